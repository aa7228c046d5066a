/**
 * The gateway benchmark's baseline: a bare reverse proxy in Node — node:http in, undici `Pool` out,
 * as ipgate's gateway forwards (same pool size, `request()`, streamed bodies, hop-by-hop headers
 * dropped, X-Forwarded-For added) but with no rules, no authentication and no recording. Runs in
 * `WORKERS` cluster workers on one port, as `ipgate serve --workers` does.
 *
 *   node bench/gateway-bare-proxy.mjs 2 http://127.0.0.1:3000   # prints {"ready":true,"port":N}
 *   node bench/gateway-bare-proxy.mjs 2 http://127.0.0.1:3000 dispatch
 *
 * `dispatch`: the same proxy forwarding through undici's lower-level `pool.dispatch()` with a handler
 * object (no promise, no body stream, no pipeline), as ipgate's gateway does since it was made lean.
 * Not the baseline of the targets (that stays the idiomatic `request()` proxy above); it shows how
 * much of ipgate's cost is the forwarding primitive and how much is ipgate's own work.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';

const workers = Number(process.argv[2] ?? 2);
const upstream = process.argv[3];
const useDispatch = process.argv[4] === 'dispatch';
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
  const server = createServer(
    useDispatch
      ? dispatchProxy
      : async (req, res) => {
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
        },
  );
  function dispatchProxy(req, res) {
    const headers = {};
    for (const name in req.headers) if (!HOP_BY_HOP.has(name)) headers[name] = req.headers[name];
    headers['x-forwarded-for'] = req.socket.remoteAddress;
    const hasBody =
      req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    let controller;
    let done = false;
    res.on('close', () => {
      if (!done) controller?.abort(new Error('client closed'));
    });
    pool.dispatch(
      { method: req.method, path: req.url, headers, body: hasBody ? req : null },
      {
        onRequestStart(c) {
          controller = c;
        },
        onResponseStart(_c, statusCode, upstreamHeaders) {
          if (statusCode < 200) return;
          const out = {};
          for (const name in upstreamHeaders) if (!HOP_BY_HOP.has(name)) out[name] = upstreamHeaders[name];
          res.writeHead(statusCode, out);
        },
        onResponseData(c, chunk) {
          if (!res.write(chunk)) {
            c.pause();
            res.once('drain', () => c.resume());
          }
        },
        onResponseEnd() {
          done = true;
          res.end();
        },
        onResponseError() {
          done = true;
          if (!res.headersSent) res.writeHead(502).end();
          else res.destroy();
        },
      },
    );
  }

  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}
