import { configError, type RequestHeaders } from '@ipgate/core';
import { createGate, type Gate, type GateOptions } from '@ipgate/node';
import type { Context, MiddlewareHandler } from 'hono';

/**
 * How to get the socket peer of a request in your runtime. Hono has no portable way: each runtime
 * keeps it elsewhere (that is why Hono's own `ipRestriction` takes a `getConnInfo` function).
 *
 * @example
 * import { getConnInfo } from '@hono/node-server/conninfo';
 * const peer: PeerOf = (c) => getConnInfo(c).remote.address;
 */
export type PeerOf = (c: Context) => string | undefined;

/**
 * The gate options plus `peer`.
 */
export interface HonoIpGateOptions extends GateOptions {
  /** Default: {@link nodeSocketPeer} (`@hono/node-server`). On Bun or Deno, pass their `getConnInfo`. */
  readonly peer?: PeerOf;
}

/**
 * The socket peer on `@hono/node-server`: the incoming request's socket, where its own
 * `getConnInfo` reads it too (`c.env.incoming`, or `c.env.server.incoming` when env is wrapped).
 * Read directly so this package does not depend on the node server.
 *
 * @example
 * app.use(ipGate({ allow: ['10.0.0.0/8'], peer: nodeSocketPeer }));
 */
export const nodeSocketPeer: PeerOf = (c) => nodeSocket(c)?.remoteAddress;

/** The incoming request's socket on `@hono/node-server`, or undefined elsewhere. */
function nodeSocket(c: Context): NodeSocket | undefined {
  return nodeIncoming(c)?.socket;
}

/** The node `IncomingMessage` behind the request on `@hono/node-server`, or undefined elsewhere. */
function nodeIncoming(c: Context): NodeIncoming | undefined {
  const env = c.env as { incoming?: NodeIncoming; server?: { incoming?: NodeIncoming } } | undefined;
  return env?.incoming ?? env?.server?.incoming;
}

interface NodeSocket {
  readonly remoteAddress?: string;
}

interface NodeIncoming {
  readonly socket?: NodeSocket;
  readonly headers?: RequestHeaders;
}

/**
 * Every request header, for `keys.keyOf` and a custom client-address strategy: node's own headers
 * object on `@hono/node-server` (no copy), else a copy of the fetch `Headers`, whose names
 * iterate in lower case already, as `GateRequest.headers` wants them.
 */
function allHeaders(c: Context): RequestHeaders {
  const incoming = nodeIncoming(c)?.headers;
  if (incoming !== undefined) return incoming;
  // No prototype: a header named `__proto__` or `constructor` is then just a header.
  const copy: Record<string, string> = Object.create(null);
  c.req.raw.headers.forEach((value, name) => {
    copy[name.toLowerCase()] = value;
  });
  return copy;
}

/**
 * The middleware, with its gate and `close()` for the rules source.
 *
 * @example
 * const gate = ipGate({ allow: ['10.0.0.0/8'] });
 * app.use(gate);
 * await gate.close();
 */
export type IpGateHonoMiddleware = MiddlewareHandler & { readonly gate: Gate; close(): Promise<void> };

// The headers core's client-address modes read. Copied by name, lower case, as core expects.
const FORWARDING = ['x-forwarded-for', 'forwarded'] as const;
const NO_HEADERS: Record<string, string | undefined> = Object.freeze({});

/**
 * Hono middleware that lets only allowed client addresses through. Use it app-wide or on a route
 * or sub-app for per-route rules (`app.use('/admin/*', ipGate({ allow: […] }))`).
 *
 * A peer that cannot be found (a runtime without a `peer` function) is an unresolvable address and
 * is denied: the gate never guesses.
 *
 * With `keys`, `keyOf` — and a `clientAddress` strategy of your own — sees every request header,
 * names in lower case: on `@hono/node-server` node's own headers object, elsewhere a copy of
 * `c.req.raw.headers`.
 *
 * @example
 * import { serve } from '@hono/node-server';
 * import { Hono } from 'hono';
 * import { ipGate } from '@ipgate/hono';
 *
 * const app = new Hono();
 * app.use(ipGate({ allow: ['203.0.113.0/24'] }));
 * app.get('/', (c) => c.json({ hello: 'world' }));
 * serve({ fetch: app.fetch, port: 3000 });
 */
export function ipGate(options: HonoIpGateOptions): IpGateHonoMiddleware {
  const { peer = nodeSocketPeer, ...gateOptions } = options;
  if (typeof peer !== 'function') {
    throw configError(
      'peer',
      'peer must be a function (c) => address.',
      'On @hono/node-server leave it out; elsewhere pass e.g. (c) => getConnInfo(c).remote.address.',
    );
  }
  const gate = createGate(gateOptions);
  // keyOf may read any header (and Origin/Referer decide browser or server), and so may a strategy
  // of the app's own (an object with resolve), so they get them all, as in the other adapters.
  const clientAddress = gateOptions.clientAddress;
  const customStrategy = typeof (clientAddress as { resolve?: unknown } | undefined)?.resolve === 'function';
  const allNeeded = gateOptions.keys !== undefined || customStrategy;
  // Core's modes read only the forwarding headers; with the default (the socket peer) no strategy
  // reads a header at all: skip copying them per request.
  const readsHeaders = clientAddress !== undefined;
  const middleware: MiddlewareHandler = async (c, next) => {
    let headers: RequestHeaders = NO_HEADERS;
    if (allNeeded) headers = allHeaders(c);
    else if (readsHeaders) {
      const raw = c.req.raw.headers;
      const forwarding: Record<string, string | undefined> = {};
      for (const name of FORWARDING) forwarding[name] = raw.get(name) ?? undefined;
      headers = forwarding;
    }
    let remoteAddress: string | undefined;
    // The socket is known only with the default peer; it lets the gate decide once per connection.
    let connection: NodeSocket | undefined;
    try {
      if (peer === nodeSocketPeer) {
        connection = nodeSocket(c);
        remoteAddress = connection?.remoteAddress;
      } else remoteAddress = peer(c);
    } catch {
      remoteAddress = undefined; // denied as unresolvable
    }
    const result = gate.check({ remoteAddress, headers, connection });
    if (result.allow) {
      await next();
      return;
    }
    return new Response(result.body, { status: result.status, headers: result.headers });
  };
  return Object.assign(middleware, { gate, close: () => gate.close() });
}
