import { execFile, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { acquireBuildLock } from './build-lock.test-support.js';

/**
 * Runs the real, built `ipgate` for the command-line tests: `node apps/cli/bin/ipgate.js …` with
 * stdin piped, exactly as a shell would. Not part of the command; it sits in src/ so the test
 * type-check sees it.
 */

/** The repository root (this file is apps/cli/src/… or apps/cli/dist/…). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(repoRoot, 'apps/cli/bin/ipgate.js');

/** What a run printed and how it ended. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * How long one run may take before it is killed and the test told so: as long as the management
 * command tests' own timeout, so that it never fails a run the test would have waited for (a run
 * took up to 16 s with four CPU burners beside the tests, and over 60 s while other work was frozen
 * for a benchmark), yet no run outlives its test.
 */
export const CLI_RUN_MS = 120_000;

/**
 * Runs the CLI to completion. Standard input gets `stdin` and is then closed (closed at once when
 * absent), so a command that reads it never waits for a person. `env` changes the environment it
 * inherits (an undefined value removes a variable). A run that has not ended after `limitMs` is
 * killed and rejected with what it printed so far, rather than outliving its test.
 *
 * @example const r = await runCli(['parse', '10/8']); // r.stdout === '10.0.0.0/8\n'
 */
export function runCli(
  args: readonly string[],
  stdin?: string,
  env?: Readonly<Record<string, string | undefined>>,
  limitMs = CLI_RUN_MS,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repoRoot,
      stdio: 'pipe',
      env: env === undefined ? process.env : withEnv(env),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const printed = () => ({
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      const { stdout, stderr } = printed();
      reject(
        new Error(
          `ipgate ${args.join(' ')} did not end within ${limitMs / 1000} s; killed it.\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, limitMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, ...printed() });
    });
    child.stdin.end(stdin);
  });
}

/** The test process's environment with `changes` applied; an undefined value removes the variable. */
function withEnv(changes: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/**
 * Starts the CLI and leaves stdin open, for tests that talk to it line by line.
 *
 * @example const child = startCli(['check', '-', '--allow', '10/8']);
 */
export function startCli(args: readonly string[]): ReturnType<typeof spawn> {
  return spawn(process.execPath, [bin, ...args], { cwd: repoRoot, stdio: 'pipe' });
}

const projects = [
  { src: 'packages/core/src', buildInfo: 'packages/core/dist/.tsbuildinfo' },
  { src: 'apps/server/src', buildInfo: 'apps/server/dist/.tsbuildinfo' },
  { src: 'apps/cli/src', buildInfo: 'apps/cli/dist/.tsbuildinfo' },
];

/**
 * Builds the workspace with `npx tsc -b` unless the build is newer than every source.
 *
 * `npm test` builds before vitest, but a developer may run vitest alone after an edit, and the tests
 * must run what they edited. Test files run in parallel workers, so a lock held by a live process
 * makes one of them build while the others wait and then find the build fresh.
 *
 * @example beforeAll(ensureBuilt, 120_000);
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(
    tmpdir(),
    `ipgate-cli-build-${Buffer.from(repoRoot).toString('base64url').slice(-40)}.lock`,
  );
  const release = await acquireBuildLock(lock);
  try {
    if (!isStale()) return;
    try {
      await promisify(execFile)('npx', ['tsc', '-b'], { cwd: repoRoot });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`npx tsc -b failed:\n${stdout ?? ''}${stderr ?? ''}`);
    }
  } finally {
    release();
  }
}

function isStale(): boolean {
  for (const { src, buildInfo } of projects) {
    let built: number;
    try {
      built = statSync(join(repoRoot, buildInfo)).mtimeMs;
    } catch {
      return true;
    }
    if (newestSource(join(repoRoot, src)) > built) return true;
  }
  try {
    statSync(join(repoRoot, 'apps/cli/dist/bin.js'));
  } catch {
    return true;
  }
  return false;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}
