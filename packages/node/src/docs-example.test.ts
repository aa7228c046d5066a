import { describeDocsExample } from './docs.test-support.js';

describeDocsExample(
  'node.md',
  new URL('./docs-example.test-support.ts', import.meta.url),
  () => import('./docs-example.test-support.js'),
);
