/**
 * The gateway benchmark's baseline: a bare reverse proxy in Node — node:http in, undici `Pool` out,
 * as ipgate's gateway forwards (same pool size, `request()`, streamed bodies, hop-by-hop headers
 * dropped, X-Forwarded-For added) but with no rules, no authentication and no recording. Runs in
 * `WORKERS` cluster workers on one port, as `ipgate serve --workers` does.
 *
 *   node bench/gateway-bare-proxy.mjs 2 http://127.0.0.1:3000   # prints {"ready":true,"port":N}
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';

const workers = Number(process.argv[2] ?? 2);
const upstream = process.argv[3];
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
]);

if (cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('message', (m) => {
      if (m?.port !== undefined && ++listening === workers)
        process.stdout.write(`${JSON.stringify({ ready: true, port: m.port })}\n`);
    });
  }
  process.on('SIGTERM', () => process.exit(0));
} else {
  const pool = new Pool(upstream, { connections: 128 });
  const server = createServer(async (req, res) => {
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers['x-forwarded-for'] = req.socket.remoteAddress;
    const hasBody =
      req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    try {
      const response = await pool.request({
        method: req.method,
        path: req.url,
        headers,
        body: hasBody ? req : null,
      });
      const out = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (!HOP_BY_HOP.has(name)) out[name] = value;
      }
      res.writeHead(response.statusCode, out);
      await pipeline(response.body, res);
    } catch {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}
