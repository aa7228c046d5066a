/**
 * nginx as the gateway benchmark's reference: Debian's package, run from a temporary directory with
 * a configuration of its own (no root daemon, no system config): a reverse proxy with the same 1,000
 * `allow` rules as ipgate's API allowlist and `deny all`, two worker processes, keep-alive upstream.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess } from './gateway-processes.mjs';

/** Where Debian's `nginx` package puts the binary. */
export const NGINX = '/usr/sbin/nginx';

/** What to run when nginx is missing. */
export const INSTALL_NGINX = 'apt-get update && apt-get install -y nginx';

/**
 * True when the nginx binary is there.
 *
 * @example
 * if (!nginxAvailable()) console.log(`skipping nginx: ${INSTALL_NGINX}`);
 */
export function nginxAvailable() {
  return existsSync(NGINX);
}

/**
 * What every benchmark nginx shares, up to and including `http {`: in the foreground, everything it
 * writes (pid, logs, temporary files) under `dir`, no access log, long keep-alive.
 */
export function nginxPreamble(dir, workers) {
  return `daemon off;
master_process on;
worker_processes ${workers};
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  keepalive_timeout 60s;
  keepalive_requests 1000000;`;
}

/**
 * The configuration text: `allow` lines in list order (nginx checks them one by one, in order).
 *
 * @example
 * nginxConfig({ dir: '/tmp/n', port: 8090, upstreamPort: 3000, allow: ['127.0.0.1'], workers: 2 });
 */
export function nginxConfig({ dir, port, upstreamPort, allow, workers }) {
  const rules = allow.map((entry) => `      allow ${entry};`).join('\n');
  return `${nginxPreamble(dir, workers)}
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 128;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
${rules}
      deny all;
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`;
}

/**
 * Writes the configuration into `dir`, checks it (`nginx -t`) and starts nginx in the foreground
 * (`daemon off`: the child is nginx's master, so stopping it stops nginx); resolves once it answers
 * on `port`.
 *
 * @example
 * const nginx = await startNginx({ dir, port: 8090, upstreamPort: 3000, allow, workers: 2 });
 * await nginx.stop();
 */
export async function startNginx(options) {
  const { dir, port } = options;
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(options));
  // -p: the prefix for relative paths; -e: the error log before the config is read (not /var/log).
  const args = ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf];
  await runProcess(NGINX, ['-t', '-q', ...args]);
  const child = spawn(NGINX, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGQUIT'); // graceful: the master lets its workers finish, then leaves
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}; see ${dir}/error.log`);
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return { pid: child.pid, stop };
    } catch {
      if (i > 200) {
        await stop();
        throw new Error(`nginx did not answer on port ${port}; see ${dir}/error.log`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
