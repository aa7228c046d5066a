import { describeDocsExample } from '@ipgate/test-support/docs-examples';

describeDocsExample(
  'hono.md',
  new URL('./docs-example.test-support.ts', import.meta.url),
  () => import('./docs-example.test-support.js'),
);

describeDocsExample(
  'hono.md',
  new URL('./docs-front-example.test-support.ts', import.meta.url),
  () => import('./docs-front-example.test-support.js'),
);
