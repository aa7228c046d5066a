import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running demo upstream. */
export interface DemoUpstream {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The small API that `npm start` puts behind the gateway: it answers every request with JSON that
 * shows what arrived (method, path, the client address the gateway forwarded), so a new user sees the
 * gateway at work without writing an upstream of their own.
 *
 * @example
 * const upstream = await startDemoUpstream({ port: 8082 });
 * // GET http://127.0.0.1:8082/hello → {"message":"Hello from the demo upstream", ...}
 * await upstream.close();
 */
export async function startDemoUpstream(options: { readonly port: number }): Promise<DemoUpstream> {
  const server: Server = createServer((req, res) => {
    // Drain the body so keep-alive connections stay usable; the demo does not echo bodies.
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        message: 'Hello from the demo upstream',
        method: req.method,
        path: req.url,
        forwardedFor: req.headers['x-forwarded-for'] ?? null,
        at: new Date().toISOString(),
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
