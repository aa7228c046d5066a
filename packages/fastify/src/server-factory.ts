import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import { configError } from '@ipgate/core';
import { type Gate, type GateOptions, gateListener, httpGate } from '@ipgate/node';
import type { FastifyServerFactory } from 'fastify';

/**
 * A Fastify `serverFactory` with the gate in front of Fastify, and the gate for `close()`.
 *
 * @example
 * import Fastify from 'fastify';
 *
 * const serverFactory = ipGateServerFactory({ allow: ['203.0.113.0/24'] });
 * const app = Fastify({ serverFactory });
 */
export type IpGateServerFactory = FastifyServerFactory<Server> & {
  readonly gate: Gate;
  close(): Promise<void>;
};

/**
 * A way to guard a whole Fastify server before Fastify sees the request: a `serverFactory` whose
 * server runs the gate first, so a denied caller costs Fastify nothing (no routing, no request
 * objects, no 404 handler). An allowed request costs one function call and, on a keep-alive
 * connection, one lookup of the connection's decision — about as much as the plugin's hook.
 *
 * The same rules for every route: per-route rules need the plugin ({@link ipGate}). The server is
 * built as Fastify builds its own HTTP/1 server (`http`/`https` options, `keepAliveTimeout`,
 * `requestTimeout`, `connectionTimeout`, `maxRequestsPerSocket`); HTTP/2 is refused — use the
 * plugin there. The gate closes its rules source when the server closes.
 *
 * @example
 * import Fastify from 'fastify';
 * import { ipGateServerFactory } from '@ipgate/fastify';
 *
 * const app = Fastify({ serverFactory: ipGateServerFactory({ allow: ['203.0.113.0/24'] }) });
 * app.get('/', async () => ({ hello: 'world' }));
 * await app.listen({ port: 3000 });
 */
export function ipGateServerFactory(options: GateOptions): IpGateServerFactory {
  // Built now, so a bad option fails where the factory is made, not when Fastify starts.
  const gate = httpGate(options);
  const factory = (
    handler: Parameters<FastifyServerFactory<Server>>[0],
    opts: Record<string, unknown>,
  ): Server => {
    if (opts['http2'] === true) {
      throw configError(
        'serverFactory',
        'ipGateServerFactory builds HTTP/1 servers; this Fastify is set to http2.',
        'For HTTP/2 register the plugin instead: app.register(ipGate, { allow: […] }).',
      );
    }
    const listener = gateListener(handler, gate);
    const https = opts['https'];
    const server =
      https !== undefined && https !== null && https !== false
        ? createHttpsServer(https === true ? {} : (https as HttpsServerOptions), listener)
        : createHttpServer((opts['http'] ?? {}) as Parameters<typeof createHttpServer>[0] & object, listener);
    // As Fastify sets up its own server, so the factory changes nothing but the gate.
    if (typeof opts['keepAliveTimeout'] === 'number') server.keepAliveTimeout = opts['keepAliveTimeout'];
    if (typeof opts['requestTimeout'] === 'number') server.requestTimeout = opts['requestTimeout'];
    if (typeof opts['connectionTimeout'] === 'number') server.setTimeout(opts['connectionTimeout']);
    if (typeof opts['maxRequestsPerSocket'] === 'number' && opts['maxRequestsPerSocket'] > 0) {
      server.maxRequestsPerSocket = opts['maxRequestsPerSocket'];
    }
    server.once('close', () => void gate.close());
    return server;
  };
  return Object.assign(factory, { gate: gate.gate, close: () => gate.close() });
}
