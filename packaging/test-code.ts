/**
 * What counts as test code in a package's build and tarball: the naming convention for sources, and
 * the modules only tests load.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './workspaces.js';

/** Modules only tests may load. */
export const TEST_ONLY_MODULES = ['vitest', 'fast-check', 'tsx', '@ipgate/test-support'];

/** What the build writes for one source module `x.ts`. */
const OUTPUT_SUFFIXES = ['.d.ts.map', '.js.map', '.d.ts', '.js'];

/** A source path that is test code by the naming convention. */
export function isTestSource(path: string): boolean {
  return /\.test\.ts$|\.test-support\.ts$/.test(path) || /(^|\/)test-support\//.test(path);
}

/** The source module a build output comes from (`dist/a/b.js.map` → `src/a/b.ts`), or undefined. */
export function sourceOf(distPath: string): string | undefined {
  const suffix = OUTPUT_SUFFIXES.find((s) => distPath.endsWith(s));
  if (suffix === undefined) return undefined;
  return `src/${distPath.slice('dist/'.length, -suffix.length)}.ts`;
}

/** The modules a compiled file imports (static and dynamic), by specifier. */
export function importedModules(code: string): string[] {
  const found: string[] = [];
  for (const m of code.matchAll(/\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(?\s*['"]([^'"]+)['"]/g)) {
    found.push((m[1] ?? m[2]) as string);
  }
  return found;
}

/** What is wrong with one workspace's dist, one line per file. */
export function distProblems(workspacePath: string): string[] {
  const dist = join(repoRoot, workspacePath, 'dist');
  if (!existsSync(dist)) return [`${workspacePath}/dist is missing: run npx tsc -b`];
  const problems: string[] = [];
  for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(join(repoRoot, workspacePath), join(entry.parentPath, entry.name));
    if (path === 'dist/.tsbuildinfo') continue;
    const source = sourceOf(path);
    if (source === undefined) {
      problems.push(`${workspacePath}/${path}: not a build output of a source module`);
    } else if (isTestSource(source)) {
      problems.push(`${workspacePath}/${path}: compiled from test code (${source})`);
    } else if (!existsSync(join(repoRoot, workspacePath, source))) {
      problems.push(`${workspacePath}/${path}: its source ${source} is gone (a stale output)`);
    }
    if (path.endsWith('.js') || path.endsWith('.d.ts')) {
      const code = readFileSync(join(repoRoot, workspacePath, path), 'utf8');
      for (const module of importedModules(code)) {
        if (TEST_ONLY_MODULES.some((t) => module === t || module.startsWith(`${t}/`))) {
          problems.push(`${workspacePath}/${path}: imports the test-only module ${module}`);
        }
      }
    }
  }
  return problems;
}
