/**
 * What the tests that run a real proxy (nginx, Caddy) from a temp dir share: a free loopback port to
 * give it, waiting until it listens (or saying why it died), and HTTP agents that send from a chosen
 * loopback address, so one test plays clients on 127.0.0.2 and 127.0.0.3.
 */
import type { ChildProcess } from 'node:child_process';
import { type AddressInfo, connect, createServer } from 'node:net';
import { Agent } from 'undici';

/**
 * A port nothing listens on right now (the kernel's pick, released at once).
 *
 * @example const port = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

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
      await Promise.all([...agents.values()].map((a) => a.close()));
    },
  };
}

/**
 * Stops a proxy process with `signal` and waits until it has exited.
 *
 * @example await stopProcess(nginx, 'SIGQUIT');
 */
export async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}
