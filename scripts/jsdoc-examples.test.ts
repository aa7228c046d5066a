import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkExamples,
  type Example,
  exampleBlocks,
  exampleModule,
  PUBLIC_PACKAGES,
  type PublicApi,
  publicApi,
} from './jsdoc-examples.js';

const root = resolve(import.meta.dirname, '..');

describe('exampleBlocks', () => {
  it('takes every @example up to the next tag, on its own line or after the tag', () => {
    const comment = [
      '/**',
      ' * Adds.',
      ' *',
      ' * @example',
      ' * add(1, 2); // 3',
      ' * add(2, 2); // 4',
      ' * @throws never',
      ' * @example add(0, 0); // 0',
      ' */',
    ].join('\n');
    expect(exampleBlocks(comment)).toEqual([
      { code: 'add(1, 2); // 3\nadd(2, 2); // 4', lineOffset: 4 },
      { code: 'add(0, 0); // 0', lineOffset: 7 },
    ]);
  });

  it('keeps the indentation inside an example', () => {
    const comment = '/**\n * @example\n * if (x) {\n *   y();\n * }\n */';
    expect(exampleBlocks(comment)[0]?.code).toBe('if (x) {\n  y();\n}');
  });
});

describe('the public packages’ examples', () => {
  let api: PublicApi;
  beforeAll(() => {
    api = publicApi(root);
  }, 120_000);

  it('are found on every public package', () => {
    const packages = new Set(api.examples.map((e) => e.pkg));
    expect([...packages].sort()).toEqual(Object.keys(PUBLIC_PACKAGES).sort());
    expect(api.examples.find((e) => e.name === 'IpSet.from')?.code).toContain('IpSet.from(');
  });

  it('import what the package exports, and not twice what the example imports itself', () => {
    const example: Example = {
      pkg: 'express',
      name: 'x',
      file: 'x.ts',
      line: 1,
      code: "import { ipGate } from '@ipgate/express';\nipGate({ allow: [] });",
    };
    const module = exampleModule(example, api.exportNames);
    expect(module).toContain("import { ipGate } from '@ipgate/express';");
    expect(module).not.toMatch(
      /import \{[^}]*\bipGate\b[^}]*\} from '@ipgate\/express';\nimport \{ ipGate \}/,
    );
    expect(module.match(/\bipGate\b/g)).toHaveLength(2);
  });

  it('report an example that does not compile', () => {
    const broken: Example[] = [
      { pkg: 'core', name: 'IpSet.from', file: 'a.ts', line: 1, code: "IpSet.from('10.0.0.0/8', 2);" },
      { pkg: 'node', name: 'gone', file: 'b.ts', line: 1, code: "noSuchExport({ allow: ['10.0.0.0/8'] });" },
      {
        pkg: 'core',
        name: 'fine',
        file: 'c.ts',
        line: 1,
        code: "IpSet.from(['10.0.0.0/8']).has('10.1.2.3');",
      },
    ];
    const problems = checkExamples(root, { ...api, examples: broken });
    expect(problems.map((p) => p.example.name)).toEqual(['IpSet.from', 'gone']);
    expect(problems[0]?.message).toMatch(/Expected 1 arguments, but got 2/);
    expect(problems[1]?.message).toMatch(/Cannot find name 'noSuchExport'/);
  }, 120_000);

  it('all compile, as a user of the packages would write them', () => {
    const problems = checkExamples(root, api).map(
      (p) => `${p.example.file}:${p.example.line} (${p.example.name}): ${p.message}`,
    );
    expect(problems).toEqual([]);
  }, 120_000);
});
