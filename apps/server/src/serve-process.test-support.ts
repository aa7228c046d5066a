/**
 * `ipgate serve` as a separate process, for the tests that `kill -9` it and start it again on the
 * same store: start it and read its banner, kill it hard, and give it a throwaway store (SQLite in a
 * temp dir, or a fresh PostgreSQL schema) that outlives one process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshPostgresDatabase } from './store/test-stores.test-support.js';

const bin = fileURLToPath(new URL('../../cli/bin/ipgate.js', import.meta.url));

/** A running `ipgate serve` and what its banner said. */
export interface ServeProcess {
  readonly child: ChildProcess;
  /** The banner as printed so far. */
  readonly out: string;
  readonly adminUrl: string;
  /** The gateway's URL, when the banner names one. */
  readonly gatewayUrl: string | undefined;
  /** The owner token printed on a first start; undefined on a restart. */
  readonly ownerToken: string | undefined;
}

/** When the banner is complete, and how long to let the server settle after it. */
export interface BannerWait {
  /** True once `out` holds the whole banner. */
  readonly done: (out: string) => boolean;
  readonly settleMs?: number;
}

/**
 * Spawns `ipgate serve` on loopback port 0 for both listeners (errors only in the log) with `args`
 * and `env` added, and resolves once its banner is done; rejects with its output when it exits
 * first or prints no banner within 20 s.
 *
 * @example
 * const s = await startServeProcess(['--demo'], { IPGATE_DATA_DIR: dir }, { done: (o) => /curl -H/.test(o) });
 */
export function startServeProcess(
  args: readonly string[],
  env: Record<string, string>,
  banner: BannerWait,
): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
      '--log-level',
      'error',
      ...args,
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in time:\n${out}\n${err}`)), 20_000);
    let resolved = false;
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const admin = /admin API: +(http:\/\/\S+)\/v1/.exec(out);
      if (resolved || admin === null || !banner.done(out)) return;
      resolved = true;
      setTimeout(() => {
        clearTimeout(timer);
        resolve({
          child,
          out,
          adminUrl: admin[1] as string,
          gatewayUrl: /gateway \(proxy\): +(http:\/\/\S+)/.exec(out)?.[1],
          ownerToken: /^ {2}(ipg_adm_\S+)$/m.exec(out)?.[1],
        });
      }, banner.settleMs ?? 0);
    });
    child.on('exit', (code) => reject(new Error(`ipgate serve exited with ${code}:\n${err}`)));
  });
}

/**
 * SIGKILL, and resolves once the process has exited.
 *
 * @example await killHard(serve.child);
 */
export async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/**
 * Runs `body` with the environment that points `ipgate serve` at a fresh store of `kind`, and deletes
 * the store afterwards. Both kinds get their own data dir (PostgreSQL still keeps the last good rules
 * there). `prefix` names the temp dir and, with `-` as `_`, the PostgreSQL schema.
 *
 * @example
 * await withServeStore('postgres', 'ipgate-durable', (env) => run(env));
 */
export async function withServeStore(
  kind: 'sqlite' | 'postgres',
  prefix: string,
  body: (env: Record<string, string>) => Promise<void>,
): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  try {
    if (kind === 'sqlite') {
      await body({ IPGATE_DATA_DIR: dataDir });
      return;
    }
    const db = await freshPostgresDatabase(prefix.replaceAll('-', '_'));
    try {
      await body({ DATABASE_URL: db.databaseUrl, IPGATE_DATA_DIR: dataDir });
    } finally {
      await db.drop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
