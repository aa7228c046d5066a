import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { needed, recipeLines, TARBALL_DIR } from './install-recipe.js';
import { publishedWorkspaces, repoRoot } from './workspaces.js';

const read = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');
const names = (name: string): string[] => needed(name).map((w) => w.manifest.name);

describe('which tarballs a package needs', () => {
  it('follows the @ipgate dependencies, dependencies first', () => {
    expect(names('@ipgate/core')).toEqual(['@ipgate/core']);
    expect(names('@ipgate/express')).toEqual(['@ipgate/core', '@ipgate/node', '@ipgate/express']);
    expect(names('@ipgate/cli')).toEqual(['@ipgate/core', '@ipgate/server', '@ipgate/cli']);
  });

  it('names the frameworks beside the adapters', () => {
    expect(recipeLines('@ipgate/hono').install).toMatch(/ipgate-hono-\S+\.tgz hono @hono\/node-server$/);
    expect(recipeLines('@ipgate/node').install).toMatch(/ipgate-node-\S+\.tgz$/);
  });
});

describe('the docs give the recipe the install test runs', () => {
  it.each([
    ['docs/node.md', '@ipgate/node'],
    ['docs/express.md', '@ipgate/express'],
    ['docs/fastify.md', '@ipgate/fastify'],
    ['docs/hono.md', '@ipgate/hono'],
  ])('%s', (page, name) => {
    const { pack, install } = recipeLines(name);
    expect(read(page)).toContain(`mkdir -p ${TARBALL_DIR}\n${pack}\n`);
    expect(read(page)).toContain(`\n${install}\n`);
  });

  it('README.md packs every published package and installs each one that users install', () => {
    const readme = read('README.md');
    const all = publishedWorkspaces().map((w) => `-w ${w.manifest.name}`);
    expect(readme).toContain(`npm pack ${all.join(' ')} --pack-destination ${TARBALL_DIR}\n`);
    for (const name of [
      '@ipgate/core',
      '@ipgate/node',
      '@ipgate/express',
      '@ipgate/fastify',
      '@ipgate/hono',
      '@ipgate/cli',
    ]) {
      expect(readme).toContain(`\n${recipeLines(name).install}\n`);
    }
  });
});
