/**
 * The gateway benchmark's upstream: node:http answering every request with a few bytes of JSON,
 * in `PROCESSES` cluster workers on one port (so it is not what limits the proxies in front of it).
 *
 *   node bench/gateway-upstream.mjs 2     # prints {"ready":true,"port":N} once every worker listens
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';

const processes = Number(process.argv[2] ?? 2);
const BODY = Buffer.from('{"ok":true,"n":42}');

if (cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < processes; i++) {
    cluster.fork().on('message', (m) => {
      if (m?.port !== undefined && ++listening === processes)
        process.stdout.write(`${JSON.stringify({ ready: true, port: m.port })}\n`);
    });
  }
  // Cluster workers leave with their primary (their IPC channel closes).
  process.on('SIGTERM', () => process.exit(0));
} else {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  // Port 0 in every worker: node:cluster gives them all the same port.
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}
