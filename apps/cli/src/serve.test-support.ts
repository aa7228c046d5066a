import type { ChildProcess } from 'node:child_process';
import { startCli } from './cli.test-support.js';

/** A running `ipgate serve` and what its banner said. */
export interface ServeRun {
  readonly child: ChildProcess;
  /** The banner, as printed on standard output. */
  readonly banner: string;
  readonly gatewayUrl: string;
  readonly adminUrl: string;
  /** The owner token the banner showed, if it showed one. */
  readonly ownerToken: string | undefined;
  /** SIGTERM; resolves with `exit 0`, or the exit code or signal and the logs. */
  stop(): Promise<string>;
}

/**
 * Starts the real `ipgate serve` with the given arguments (add `--data-dir` or `--database-url`) on
 * free loopback ports, and resolves once the banner is complete: the server logs "ipgate started"
 * right after writing it.
 *
 * @example
 * const run = await startServe(['--data-dir', dir]);
 * try { await fetch(`${run.adminUrl}/healthz`); } finally { await run.stop(); }
 */
export function startServe(args: readonly string[]): Promise<ServeRun> {
  const child = startCli([
    'serve',
    '--listen',
    '127.0.0.1:0',
    '--admin-listen',
    '127.0.0.1:0',
    '--log-level',
    'info',
    ...args,
  ]);
  let out = '';
  let err = '';
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) =>
      resolve(code === 0 ? 'exit 0' : `exit ${code} (${signal}):\n${err}`),
    ),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no banner in time:\n${out}\n${err}`));
    }, 30_000);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString('utf8');
    });
    child.stderr?.on('data', (b: Buffer) => {
      err += b.toString('utf8');
      if (!/"msg":"ipgate started"/.test(err)) return;
      clearTimeout(timer);
      const gateway = /gateway \(proxy\): +(http:\/\/\S+)/.exec(out)?.[1];
      const admin = /admin API: +(http:\/\/\S+)\/v1/.exec(out)?.[1];
      if (gateway === undefined || admin === undefined) {
        reject(new Error(`the banner lacks the URLs:\n${out}`));
        return;
      }
      resolve({
        child,
        banner: out,
        gatewayUrl: gateway,
        adminUrl: admin,
        ownerToken: /^ {2}(ipg_adm_\S+)$/m.exec(out)?.[1],
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ipgate serve exited with ${code}:\n${out}\n${err}`));
    });
  });
}
