/**
 * The storm benchmark's upstream: Debian's nginx answering every request itself (`return 200` with
 * the same few bytes of JSON as `gateway-upstream.mjs`), one worker, run from a temporary directory
 * with a configuration of its own.
 *
 * Why not the node upstream: on two cores, node B has one core and everything else shares the other
 * — the storm's writer, PostgreSQL's backends, the load generator and the upstream. The node upstream
 * costs that core tens of µs per request, so during a storm the generator starved and B ran below
 * saturation, where its CPU per request says little about its capacity. nginx answers for a few µs.
 *
 *   const upstream = await startStaticUpstream({ nice: 10 });   // { port, pid, stop }
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NGINX, nginxAvailable, nginxPreamble } from '../gateway-nginx.mjs';
import { runProcess } from '../gateway-processes.mjs';

export { nginxAvailable };

const BODY = '{"ok":true,"n":42}';

/** A port free a moment ago (nginx cannot listen on port 0 and say which port it got). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function config(dir, port) {
  return `${nginxPreamble(dir, 1)}
  server {
    listen 127.0.0.1:${port};
    location / {
      default_type application/json;
      return 200 '${BODY}';
    }
  }
}
`;
}

/**
 * Starts nginx (at `nice`, when given) and resolves once it answers; a port taken between the probe
 * and nginx's bind is retried with another.
 */
export async function startStaticUpstream({ nice = 0 } = {}) {
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'ipgate-static-upstream-'));
    const port = await freePort();
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, config(dir, port));
    const args = ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf];
    await runProcess(NGINX, ['-t', '-q', ...args]);
    const child = spawn('nice', ['-n', String(nice), NGINX, ...args], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGQUIT');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    };
    for (let i = 0; i < 200 && child.exitCode === null; i++) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/`);
        if ((await response.text()) === BODY) return { port, pid: child.pid, stop };
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await stop();
    if (attempt === 3) throw new Error(`nginx did not answer on a port of its own; tried 3 times`);
  }
}
