/**
 * What the tests that run a real proxy (nginx, Caddy) from a temp dir share: finding its binary, its
 * shipped config pointed at this test's servers, waiting until it listens (or saying why it died),
 * and HTTP agents that send from a chosen loopback address, so one test plays clients on 127.0.0.2
 * and 127.0.0.3. A free port to give it comes from @ipgate/test-support/sockets.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';

/**
 * How long a proxy suite's `beforeAll` may take: ipgate's start (the store seeded, the recorder
 * thread) took 60 s on a loaded machine (four CPU burners beside the run), and nginx 1.4 s more. What
 * fails does so sooner and says why: a proxy that exits, or does not listen within 10 s.
 */
export const PROXY_SUITE_START_MS = 120_000;
/** How long its `afterAll` may take: a proxy gets 5 s to stop before it is killed, then ipgate closes. */
export const PROXY_SUITE_STOP_MS = 60_000;

/**
 * A request through the proxy that gets no answer fails within the test's time, naming the timeout,
 * instead of undici's 300 s default holding the connection past the test.
 */
export const PROXY_REQUEST_TIMEOUTS = { headersTimeout: 20_000, bodyTimeout: 20_000 } as const;

/**
 * Resolves once 127.0.0.1:`port` accepts connections; rejects with the process's log when it exits
 * first or 10 s pass.
 *
 * @example await waitForListening(port, caddy, 'caddy', () => caddyLog);
 */
export async function waitForListening(
  port: number,
  child: ChildProcess,
  name: string,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not listen on ${port} within 10 s:\n${log()}`);
}

/**
 * Undici agents that connect from a given local address, one per address, closed together.
 *
 * @example
 * const agents = sourceAgents();
 * await request(url, { dispatcher: agents.from('127.0.0.3') });
 * await agents.close();
 */
export function sourceAgents(): { from(address: string): Agent; close(): Promise<void> } {
  const agents = new Map<string, Agent>();
  return {
    from(address) {
      let agent = agents.get(address);
      if (agent === undefined) {
        // localAddress on the Agent itself: undici ignores it under `connect`.
        agent = new Agent({ localAddress: address });
        agents.set(address, agent);
      }
      return agent;
    },
    async close() {
      // Destroyed, not closed: closing waits for requests in flight, and a test that timed out may
      // have left one that waits up to undici's 300 s for its answer.
      await Promise.all([...agents.values()].map((a) => a.destroy()));
    },
  };
}

/**
 * Stops a proxy process with `signal` and waits until it has exited; one that has not exited after
 * `graceMs` (a graceful stop waiting on a connection) is killed, so a suite's end never waits on it.
 *
 * @example await stopProcess(nginx, 'SIGQUIT');
 */
export async function stopProcess(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals,
  graceMs = 5_000,
): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => {
    timer = setTimeout(() => r('late'), graceMs);
  });
  const first = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (first !== 'late') return;
  child.kill('SIGKILL');
  await exited;
}

/**
 * Whether the proxy's binary is at `path`. Under CI=true a missing one throws (the run fails);
 * elsewhere it says so loudly and the suite skips.
 *
 * @example
 * const present = proxyBinaryPresent({ name: 'nginx', path: '/usr/sbin/nginx', tests: 'the nginx auth_request tests', aptPackage: 'nginx' });
 */
export function proxyBinaryPresent(binary: {
  readonly name: string;
  readonly path: string;
  /** What cannot run without it. */
  readonly tests: string;
  readonly aptPackage: string;
}): boolean {
  if (existsSync(binary.path)) return true;
  const message = `${binary.name} not found at ${binary.path}: ${binary.tests} cannot run (apt-get install -y ${binary.aptPackage}).`;
  if (process.env['CI'] === 'true') throw new Error(message);
  console.warn(`\n*** SKIPPED: ${message} ***\n`);
  return false;
}

/**
 * A shipped config file (under docs/) with each `from` that stands in it exactly once replaced by
 * its `to`: the addresses marked CHANGE pointed at this test's servers. A `from` that is missing or
 * repeated throws, so the test follows the file rather than silently testing something else.
 *
 * @example shippedConfig('nginx-auth-request.conf', [['listen 80;', `listen 127.0.0.1:${port};`]]);
 */
export function shippedConfig(name: string, replacements: readonly (readonly [string, string])[]): string {
  let text = readFileSync(fileURLToPath(new URL(`../../../../docs/${name}`, import.meta.url)), 'utf8');
  for (const [from, to] of replacements) {
    if (text.split(from).length !== 2) throw new Error(`docs/${name}: expected one ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  return text;
}
