import { describeDocsExample } from '@ipgate/test-support/docs-examples';

describeDocsExample(
  'node.md',
  new URL('./docs-example.test-support.ts', import.meta.url),
  () => import('./docs-example.test-support.js'),
);
