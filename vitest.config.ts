import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/fuzz/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'apps/console/test/**/*.test.ts',
      'bench/**/*.test.ts',
      'scripts/**/*.test.ts',
      'packaging/**/*.test.ts',
    ],
    testTimeout: 30_000,
    // The JSON file lets scripts/test-summary.mjs print a closing line any CI understands.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
  },
});
