/**
 * The install recipe the docs give until the packages are on the npm registry: `npm pack` the
 * packages a user needs in a clone of the repository, then install the tarballs into the app. Which
 * tarballs a package needs follows from the manifests (the package and every @ipgate package it
 * depends on), so the docs' lines are checked against this, and the install test runs this.
 */
import { type Manifest, type Workspace, workspaceNamed } from './workspaces.js';

/** Where the docs put the tarballs. */
export const TARBALL_DIR = '~/ipgate-tarballs';

/** What a user installs beside each package: its framework, and the adapter for Node where needed. */
export const ALONGSIDE: Readonly<Record<string, readonly string[]>> = {
  '@ipgate/express': ['express'],
  '@ipgate/fastify': ['fastify'],
  '@ipgate/hono': ['hono', '@hono/node-server'],
};

/**
 * The workspaces a package needs, dependencies first: the package and, recursively, every `@ipgate/…`
 * package in its `dependencies`.
 *
 * @example needed('@ipgate/express').map((w) => w.manifest.name) // ['@ipgate/core', '@ipgate/node', '@ipgate/express']
 */
export function needed(name: string): Workspace[] {
  const order: Workspace[] = [];
  const visit = (n: string): void => {
    if (order.some((w) => w.manifest.name === n)) return;
    const workspace = workspaceNamed(n);
    for (const dep of Object.keys(workspace.manifest.dependencies ?? {}).sort()) {
      if (dep.startsWith('@ipgate/')) visit(dep);
    }
    order.push(workspace);
  };
  visit(name);
  return order;
}

/** The file name `npm pack` gives a package's tarball: `@ipgate/core` 0.1.0 → `ipgate-core-0.1.0.tgz`. */
export function tarballName(manifest: Manifest): string {
  return `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`;
}

/**
 * The recipe's two commands for one package, as the docs show them.
 *
 * @example
 * recipeLines('@ipgate/node')
 * // { pack: 'npm pack -w @ipgate/core -w @ipgate/node --pack-destination ~/ipgate-tarballs',
 * //   install: 'npm install ~/ipgate-tarballs/ipgate-core-0.1.0.tgz ~/ipgate-tarballs/ipgate-node-0.1.0.tgz' }
 */
export function recipeLines(name: string): { pack: string; install: string } {
  const packages = needed(name);
  const pack = `npm pack ${packages.map((w) => `-w ${w.manifest.name}`).join(' ')} --pack-destination ${TARBALL_DIR}`;
  const tarballs = packages.map((w) => `${TARBALL_DIR}/${tarballName(w.manifest)}`);
  const install = ['npm install', ...tarballs, ...(ALONGSIDE[name] ?? [])].join(' ');
  return { pack, install };
}
