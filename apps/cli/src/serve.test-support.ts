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
 * (saying whether it showed an owner token) right after writing it.
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
      reject(new Error(`no complete banner in time:\n${out}\n${err}`));
    }, 30_000);
    // The banner goes to standard output and then "ipgate started" to standard error: two pipes, read
    // in whatever order the loop gets to them, so the log line can arrive before the banner's last
    // bytes. Done once both are in: the log line, the URLs, and the token when the log says it showed one.
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      if (!/"msg":"ipgate started"/.test(err)) return;
      const gateway = /gateway \(proxy\): +(http:\/\/\S+)\n/.exec(out)?.[1];
      const admin = /admin API: +(http:\/\/\S+)\/v1/.exec(out)?.[1];
      const tokenShown = /"ownerTokenShown":true/.test(err);
      const ownerToken = /^ {2}(ipg_adm_\S+)\n/m.exec(out)?.[1];
      if (gateway === undefined || admin === undefined || (tokenShown && ownerToken === undefined)) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        child,
        banner: out,
        gatewayUrl: gateway,
        adminUrl: admin,
        ownerToken,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      settle();
    });
    child.stderr?.on('data', (b: Buffer) => {
      err += b.toString('utf8');
      settle();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ipgate serve exited with ${code}:\n${out}\n${err}`));
    });
  });
}
