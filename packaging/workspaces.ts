/**
 * The repository's workspaces as the packaging checks see them: their manifests, which ones are
 * published, and what `npm pack` puts in their tarballs.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The repository root, with a trailing slash. */
export const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/** The fields of a package.json the checks read. */
export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly license?: string;
  readonly description?: string;
  readonly main?: string;
  readonly types?: string;
  readonly bin?: Record<string, string>;
  readonly files?: readonly string[];
  readonly exports?: Record<string, { readonly types?: string; readonly default?: string } | string>;
  readonly repository?: { readonly type?: string; readonly url?: string; readonly directory?: string };
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { readonly optional?: boolean }>;
  readonly workspaces?: readonly string[];
}

/** One workspace: its folder relative to the root (`packages/core`) and its manifest. */
export interface Workspace {
  readonly path: string;
  readonly manifest: Manifest;
}

/** The root package.json. */
export function rootManifest(): Manifest {
  return JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Manifest;
}

/** Every workspace the root package.json lists, in its order. */
export function workspaces(): Workspace[] {
  return (rootManifest().workspaces ?? []).map((path) => ({
    path,
    manifest: JSON.parse(readFileSync(join(repoRoot, path, 'package.json'), 'utf8')) as Manifest,
  }));
}

/** The workspaces that are published (not `"private": true`). */
export function publishedWorkspaces(): Workspace[] {
  return workspaces().filter((w) => w.manifest.private !== true);
}

/** A workspace by package name; throws when there is none. */
export function workspaceNamed(name: string): Workspace {
  const found = workspaces().find((w) => w.manifest.name === name);
  if (found === undefined) throw new Error(`no workspace is named ${name}`);
  return found;
}

/** What `npm pack --json` reports for one package. */
export interface PackResult {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

/**
 * Runs `npm pack --json` for the given workspaces from the root, as a user following the docs would:
 * with `dryRun`, only the list of files; otherwise the tarballs are written to `destination`.
 *
 * @example const [core] = await npmPack(['packages/core'], { dryRun: true });
 */
export async function npmPack(
  paths: readonly string[],
  options: { readonly dryRun: true } | { readonly dryRun?: false; readonly destination: string },
): Promise<PackResult[]> {
  const args = ['pack', '--json', ...paths.flatMap((p) => ['--workspace', p])];
  if (options.dryRun === true) args.push('--dry-run');
  else args.push('--pack-destination', options.destination);
  const { stdout } = await promisify(execFile)('npm', args, {
    cwd: repoRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as PackResult[];
}
