/**
 * What `npm pack --dry-run` puts in each published package's tarball, and the manifest that goes with
 * it: the build and the sources its maps point to, a README, the licence; no tests, test helpers or
 * build info; and a package.json that installs outside this repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { recipeLines } from './install-recipe.js';
import { isTestSource, sourceOf } from './test-code.js';
import {
  type Manifest,
  npmPack,
  type PackResult,
  publishedWorkspaces,
  repoRoot,
  rootManifest,
  type Workspace,
} from './workspaces.js';

/** The framework each adapter plugs into: a peer dependency, never a dependency of its own. */
const FRAMEWORK: Readonly<Record<string, string>> = {
  '@ipgate/express': 'express',
  '@ipgate/fastify': 'fastify',
  '@ipgate/hono': 'hono',
};

const published = publishedWorkspaces();
const packed = new Map<string, PackResult>();

beforeAll(async () => {
  for (const result of await npmPack(
    published.map((w) => w.path),
    { dryRun: true },
  )) {
    packed.set(result.name, result);
  }
}, 60_000);

/** The files a manifest names as entry points (`main`, `types`, `exports`, `bin`), without `./`. */
function entryPoints(manifest: Manifest): string[] {
  const targets: string[] = [];
  if (manifest.main !== undefined) targets.push(manifest.main);
  if (manifest.types !== undefined) targets.push(manifest.types);
  for (const target of Object.values(manifest.exports ?? {})) {
    if (typeof target === 'string') targets.push(target);
    else targets.push(...[target.types, target.default].filter((t): t is string => t !== undefined));
  }
  targets.push(...Object.values(manifest.bin ?? {}));
  return targets.map((t) => normalize(t));
}

/** Why a path should not be in the tarball, or undefined when it belongs there. */
function unwanted(path: string, manifest: Manifest): string | undefined {
  if (['package.json', 'README.md', 'LICENSE'].includes(path)) return undefined;
  if (Object.values(manifest.bin ?? {}).some((b) => normalize(b) === path)) return undefined;
  if (path.startsWith('src/')) {
    if (!path.endsWith('.ts')) return 'not a TypeScript source';
    return isTestSource(path) ? 'test code' : undefined;
  }
  if (path.startsWith('dist/')) {
    const source = sourceOf(path);
    if (source === undefined) return 'not a build output (build info?)';
    if (isTestSource(source)) return `compiled from test code (${source})`;
    return undefined;
  }
  return 'outside dist/, src/ and the package files';
}

describe.each(published.map((w) => [w.manifest.name, w] as const))('the %s tarball', (_name, workspace) => {
  const pathOf = (file: string): string => join(repoRoot, workspace.path, file);
  const files = (): Set<string> =>
    new Set((packed.get(workspace.manifest.name)?.files ?? []).map((f) => f.path));

  it('holds the build, its sources, a README and the LICENSE, and nothing else', () => {
    const inTarball = files();
    expect(inTarball.size, 'npm pack --dry-run listed no files').toBeGreaterThan(0);
    const wrong = [...inTarball]
      .map((path) => [path, unwanted(path, workspace.manifest)] as const)
      .filter(([, why]) => why !== undefined)
      .map(([path, why]) => `${path}: ${why}`);
    expect(wrong).toEqual([]);
    const missing = ['package.json', 'README.md', 'LICENSE', ...entryPoints(workspace.manifest)].filter(
      (path) => !inTarball.has(path),
    );
    expect(missing).toEqual([]);
  });

  it('has source maps only with the sources they point to', () => {
    const inTarball = files();
    const dangling: string[] = [];
    for (const map of [...inTarball].filter((p) => p.endsWith('.map'))) {
      const { sources } = JSON.parse(readFileSync(pathOf(map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const target = normalize(join(dirname(map), source));
        if (!inTarball.has(target)) dangling.push(`${map} → ${target}`);
      }
    }
    expect(dangling).toEqual([]);
  });

  it("ships the repository's LICENSE (Apache-2.0)", () => {
    expect(workspace.manifest.license).toBe('Apache-2.0');
    expect(readFileSync(pathOf('LICENSE'), 'utf8')).toBe(readFileSync(join(repoRoot, 'LICENSE'), 'utf8'));
  });

  it('names its repository and folder', () => {
    expect(workspace.manifest.repository).toEqual({
      type: 'git',
      url: rootManifest().repository?.url,
      directory: workspace.path,
    });
  });

  it('depends on the @ipgate packages of this very version, so the tarballs install together', () => {
    const versions = new Map(published.map((w) => [w.manifest.name, w.manifest.version]));
    for (const [dep, range] of Object.entries(workspace.manifest.dependencies ?? {})) {
      if (dep.startsWith('@ipgate/')) expect(range, dep).toBe(versions.get(dep));
    }
  });

  it('has a README that says how to install it from the tarballs', () => {
    const readme = readFileSync(pathOf('README.md'), 'utf8');
    expect(readme.startsWith(`# ${workspace.manifest.name}\n`)).toBe(true);
    const { pack, install } = recipeLines(workspace.manifest.name);
    expect(readme).toContain(pack);
    expect(readme).toContain(install);
  });

  const framework = FRAMEWORK[workspace.manifest.name];
  if (framework !== undefined) {
    it(`takes ${framework} as a peer dependency`, () => {
      expect(workspace.manifest.peerDependencies?.[framework]).toBeTruthy();
      expect(workspace.manifest.dependencies?.[framework]).toBeUndefined();
    });
  }

  const example = exampleOf(workspace);
  if (example !== undefined) {
    it('shows its docs page example in the README', () => {
      const text = readFileSync(example, 'utf8').trim();
      expect(readFileSync(pathOf('README.md'), 'utf8')).toContain(`\`\`\`ts\n${text}\n\`\`\``);
    });
  }
});

/** The docs page example a package's tests run, when it has one. */
function exampleOf(workspace: Workspace): string | undefined {
  const path = join(repoRoot, workspace.path, 'src/docs-example.test-support.ts');
  return existsSync(path) ? path : undefined;
}
