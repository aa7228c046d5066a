import { createServer, type RequestListener, type ServerOptions } from 'node:http';
import { configError } from '@ipgate/core';
import { type Gate, type GateOptions, gateListener, httpGate } from '@ipgate/node';

/**
 * A `createServer` for `@hono/node-server`'s `serve()`, with the gate for `close()`.
 *
 * @example
 * import { serve } from '@hono/node-server';
 *
 * serve({ fetch: app.fetch, createServer: ipGateCreateServer({ allow: ['203.0.113.0/24'] }) });
 */
export type IpGateCreateServer = typeof createServer & { readonly gate: Gate; close(): Promise<void> };

/**
 * The fastest way to guard a whole Hono app on `@hono/node-server`: pass it as `serve()`'s
 * `createServer`, and the gate answers a denied request before Hono builds a `Request` for it.
 * An allowed request costs one function call and, on a keep-alive connection, one lookup of the
 * connection's decision. A Hono middleware, even one that does nothing, takes Hono off its
 * single-handler fast path (the handler chain becomes async), which costs a trivial request ~13 % (bench/README.md).
 *
 * The same rules for the whole app: per-route rules need the middleware ({@link ipGate}). HTTP/1
 * only (`node:http`); for `https`/`http2` wrap their listener with `gateListener` from `@ipgate/node`.
 * The gate closes its rules source when the server closes.
 *
 * @example
 * import { serve } from '@hono/node-server';
 * import { Hono } from 'hono';
 * import { ipGateCreateServer } from '@ipgate/hono';
 *
 * const app = new Hono();
 * app.get('/', (c) => c.json({ hello: 'world' }));
 * serve({ fetch: app.fetch, port: 3000, createServer: ipGateCreateServer({ allow: ['203.0.113.0/24'] }) });
 */
export function ipGateCreateServer(options: GateOptions): IpGateCreateServer {
  // Built now, so a bad option fails where it is written, not when the server starts.
  const gate = httpGate(options);
  // Both of node's forms: createServer(listener) and createServer(options, listener).
  const create = (first?: ServerOptions | RequestListener, second?: RequestListener) => {
    const [serverOptions, listener] = typeof first === 'function' ? [{}, first] : [first ?? {}, second];
    // A listener added later with server.on('request') would not pass the gate: refuse.
    if (typeof listener !== 'function') {
      throw configError(
        'createServer',
        'ipGateCreateServer needs the request listener to put the gate in front of.',
        "Pass it as serve()'s createServer option; serve() hands it the listener.",
      );
    }
    const server = createServer(serverOptions, gateListener(listener, gate));
    server.once('close', () => void gate.close());
    return server;
  };
  return Object.assign(create as typeof createServer, { gate: gate.gate, close: () => gate.close() });
}
