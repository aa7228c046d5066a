import { describeDocsExample } from '../../node/src/docs.test-support.js';

describeDocsExample(
  'fastify.md',
  new URL('./docs-example.test-support.ts', import.meta.url),
  () => import('./docs-example.test-support.js'),
);

describeDocsExample(
  'fastify.md',
  new URL('./docs-front-example.test-support.ts', import.meta.url),
  () => import('./docs-front-example.test-support.js'),
);
