/**
 * The install recipe, run: `npm pack` the packages, install the tarballs into an app in a temporary
 * folder outside the repository as the docs say (no workspace links, no hoisted node_modules of ours),
 * compile the docs page's example with TypeScript against what was installed, run it, and send it an
 * allowed request (from 127.0.0.2) and a denied one (from 127.0.0.3).
 *
 * The frameworks and type packages come from the npm registry (npm's cache when it has them), as they
 * would for a user; TypeScript is the repository's own (from npm ci).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testPostgres } from '@ipgate/test-support/postgres';
import { send } from '@ipgate/test-support/sockets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALONGSIDE, needed, tarballName } from './install-recipe.js';
import { npmPack, publishedWorkspaces, repoRoot, rootManifest, workspaceNamed } from './workspaces.js';

const exec = promisify(execFile);
const TSC = join(repoRoot, 'node_modules/typescript/bin/tsc');
const INSTALL_TIMEOUT_MS = 240_000;

/** Each docs page's example app, and the type packages a TypeScript user adds for it. */
const APPS = [
  { name: '@ipgate/node', example: 'packages/node/src/docs-example.test-support.ts', types: [] },
  {
    name: '@ipgate/express',
    example: 'packages/express/src/docs-example.test-support.ts',
    types: ['@types/express'],
  },
  { name: '@ipgate/fastify', example: 'packages/fastify/src/docs-example.test-support.ts', types: [] },
  { name: '@ipgate/hono', example: 'packages/hono/src/docs-example.test-support.ts', types: [] },
] as const;

const postgres = await testPostgres();

let work: string;
let tarballs: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  // realpath: on some systems the temp folder is a symlink, and npm records real paths.
  work = realpathSync(mkdtempSync(join(tmpdir(), 'ipgate-install-')));
  expect(work.startsWith(repoRoot)).toBe(false);
  tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  await npmPack(
    publishedWorkspaces().map((w) => w.path),
    { destination: tarballs },
  );
}, 120_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
}, 60_000);

/** The arguments of the recipe's `npm install` line for a package, with the tarballs where they are. */
function recipeInstallArgs(name: string): string[] {
  return [...needed(name).map((w) => join(tarballs, tarballName(w.manifest))), ...(ALONGSIDE[name] ?? [])];
}

/** The version range the repository itself uses for a dev dependency (the type packages). */
function devRange(name: string): string {
  const range = rootManifest().devDependencies?.[name];
  if (range === undefined) throw new Error(`the root package.json has no devDependency ${name}`);
  return `${name}@${range}`;
}

/** A new, empty app folder with a package.json, outside the repository. */
function newApp(name: string): string {
  const dir = join(work, name.replace('@ipgate/', 'app-'));
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'ipgate-install-check', private: true, type: 'module' }, null, 2),
  );
  return dir;
}

async function npmInstall(dir: string, args: readonly string[]): Promise<void> {
  try {
    await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...args], {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm install ${args.join(' ')} failed in ${dir}:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

/** Starts `node run.mjs` and resolves with the port it prints. */
function startApp(dir: string): Promise<number> {
  const child = spawn(process.execPath, ['run.mjs'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start:\n${out}\n${err}`)), 20_000);
    child.stderr?.on('data', (b: Buffer) => {
      err += b.toString('utf8');
    });
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const port = /^listening on (\d+)$/m.exec(out)?.[1];
      if (port !== undefined) {
        clearTimeout(timer);
        resolve(Number(port));
      }
    });
    child.on('exit', (code) => reject(new Error(`the app exited with ${code}:\n${out}\n${err}`)));
  });
}

/** Imports the compiled example with PORT=0, the way the docs tests start it, and prints its port. */
const RUNNER = `process.env.PORT = '0';
const { server } = await import('./dist/app.js');
if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
console.log(\`listening on \${server.address().port}\`);
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    // As most apps have it; ipgate's own declarations are type-checked by its build.
    skipLibCheck: true,
    outDir: 'dist',
    rootDir: 'src',
    types: ['node'],
  },
  include: ['src'],
};

describe('the packages, installed from their tarballs into an app outside the repository', () => {
  it.each(APPS)(
    '$name: the recipe installs it, its docs example compiles, allows 127.0.0.2 and denies 127.0.0.3',
    async ({ name, example, types }) => {
      const dir = newApp(name);
      await npmInstall(dir, [
        ...recipeInstallArgs(name),
        devRange('@types/node'),
        ...types.map((t) => devRange(t)),
      ]);

      copyFileSync(join(repoRoot, example), join(dir, 'src/app.ts'));
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
      writeFileSync(join(dir, 'run.mjs'), RUNNER);
      try {
        await exec(process.execPath, [TSC, '-p', dir], { cwd: dir });
      } catch (error) {
        throw new Error(`tsc failed on the ${name} example:\n${(error as { stdout?: string }).stdout ?? ''}`);
      }

      const port = await startApp(dir);
      const allowed = await send(port, '127.0.0.2');
      expect(allowed.status).toBe(200);
      const denied = await send(port, '127.0.0.3');
      expect(denied.status).toBe(403);
      expect(JSON.parse(denied.body)).toMatchObject({
        error: "Access denied. You don't have permission to access this.",
      });
    },
    INSTALL_TIMEOUT_MS,
  );

  it(
    '@ipgate/cli: the recipe installs the ipgate command; it parses, makes an owner token and serves',
    async () => {
      const dir = newApp('@ipgate/cli');
      // Without install scripts: better-sqlite3 would otherwise build its addon from source where no
      // prebuilt one can be downloaded (minutes). So the command runs here on PostgreSQL; SQLite is the
      // repository's own tests' business. What this checks is that our tarballs carry what they need.
      await npmInstall(dir, ['--ignore-scripts', ...recipeInstallArgs('@ipgate/cli')]);
      const ipgate = async (...args: string[]) =>
        exec(process.execPath, [join(dir, 'node_modules/@ipgate/cli/bin/ipgate.js'), ...args], { cwd: dir });

      expect((await ipgate('--version')).stdout.trim()).toBe(workspaceNamed('@ipgate/cli').manifest.version);
      expect((await ipgate('parse', '10.1.0.0/255.255.0.0')).stdout).toBe('10.1.0.0/16\n');
      if (postgres.skip) return; // warned loudly by testPostgres; under CI=true it does not skip

      const { url, drop } = await postgres.freshSchema();
      try {
        const made = await ipgate('admin-token', 'create', '--owner', '--database-url', url);
        const token = /^ {2}(ipg_adm_\S+)$/m.exec(made.stdout)?.[1] as string;
        expect(token).toMatch(/^ipg_adm_/);
        const child = spawn(
          process.execPath,
          [
            join(dir, 'node_modules/@ipgate/cli/bin/ipgate.js'),
            'serve',
            '--listen',
            '127.0.0.1:0',
            '--admin-listen',
            '127.0.0.1:0',
            '--database-url',
            url,
            '--log-level',
            'warn',
          ],
          { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        children.push(child);
        const adminUrl = await new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout?.on('data', (b: Buffer) => {
            out += b.toString('utf8');
            const admin = /admin API: +(http:\/\/\S+)\/v1/.exec(out)?.[1];
            if (admin !== undefined) resolve(admin);
          });
          child.on('exit', (code) => reject(new Error(`ipgate serve exited with ${code}:\n${out}`)));
        });
        const tenants = await fetch(`${adminUrl}/v1/tenants`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(tenants.status).toBe(200);
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      } finally {
        await drop();
      }
    },
    INSTALL_TIMEOUT_MS,
  );
});
