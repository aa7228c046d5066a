/**
 * No package's `dist` holds test code: every file the build wrote comes from a source module that is
 * neither a test (`*.test.ts`) nor a test helper (`*.test-support.ts`), and no compiled module
 * imports a test library. A stale output whose source is gone fails too: `npm pack` would ship it.
 */
import { describe, expect, it } from 'vitest';
import { distProblems, importedModules, isTestSource, sourceOf } from './test-code.js';
import { publishedWorkspaces } from './workspaces.js';

describe('no dist holds test code', () => {
  it.each(publishedWorkspaces().map((w) => [w.path]))('%s/dist', (path) => {
    const problems = distProblems(path);
    expect(
      problems,
      `${problems.join('\n')}\n` +
        'Test helpers are named *.test-support.ts (or shared in packages/test-support), which every ' +
        'tsconfig excludes. After renaming or deleting a module, rebuild from scratch: ' +
        'rm -rf packages/*/dist apps/*/dist && npx tsc -b',
    ).toEqual([]);
  });
});

describe('the test-code detector', () => {
  it('knows the naming convention', () => {
    expect(isTestSource('src/store/store-contract.test-support.ts')).toBe(true);
    expect(isTestSource('src/gate.test.ts')).toBe(true);
    expect(isTestSource('src/admin/test-support/fixture.ts')).toBe(true);
    expect(isTestSource('src/store/store.ts')).toBe(false);
    expect(isTestSource('src/test-supportive.ts')).toBe(false);
  });

  it('maps every build output to its source', () => {
    expect(sourceOf('dist/a/b.js')).toBe('src/a/b.ts');
    expect(sourceOf('dist/a/b.d.ts')).toBe('src/a/b.ts');
    expect(sourceOf('dist/a/b.js.map')).toBe('src/a/b.ts');
    expect(sourceOf('dist/a/b.d.ts.map')).toBe('src/a/b.ts');
    expect(sourceOf('dist/a/notes.txt')).toBeUndefined();
  });

  it('finds static, dynamic and type imports', () => {
    const code = [
      "import { describe } from 'vitest';",
      "export * from './x.js';",
      "const m = await import('fast-check');",
      "import 'tsx';",
      "import type { A } from '@ipgate/test-support/sockets';",
    ].join('\n');
    expect(importedModules(code)).toEqual([
      'vitest',
      './x.js',
      'fast-check',
      'tsx',
      '@ipgate/test-support/sockets',
    ]);
  });
});
