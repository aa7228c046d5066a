import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { configError } from '@ipgate/core';
import { createGate, type Gate, type GateOptions, type GateRequest, type GateResult } from './gate.js';

/**
 * A gate for a plain `node:http` (or `node:https`) server: call it first in the request handler.
 * It answers a denied request itself and returns false; on true, handle the request.
 *
 * @example
 * import { createServer } from 'node:http';
 *
 * const gate = httpGate({ allow: ['203.0.113.0/24'] });
 * createServer((req, res) => {
 *   if (!gate(req, res)) return;
 *   res.end('hello');
 * });
 */
export interface HttpGate {
  (req: IncomingMessage, res: ServerResponse): boolean;
  /** The gate's full answer for a request, without sending anything. */
  check(req: IncomingMessage): GateResult;
  readonly gate: Gate;
  close(): Promise<void>;
}

/**
 * Builds an {@link HttpGate}. A function you call rather than a wrapper around your handler, so it
 * fits any server: `createServer`, an existing handler, or a router that needs it on some paths only.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { httpGate } from '@ipgate/node';
 *
 * const gate = httpGate({ allow: ['203.0.113.0/24', '127.0.0.1'] });
 * createServer((req, res) => {
 *   if (!gate(req, res)) return; // denied: a 403 with a JSON body was sent
 *   res.end('hello\n');
 * }).listen(8080);
 */
export function httpGate(options: GateOptions): HttpGate {
  const gate = createGate(options);
  const check = (req: IncomingMessage): GateResult => gate.check(new NodeGateRequest(req));
  const handler = (req: IncomingMessage, res: ServerResponse): boolean => {
    const result = check(req);
    if (result.allow) return true;
    res.writeHead(result.status, result.headers);
    res.end(result.body);
    return false;
  };
  return Object.assign(handler, { check, gate, close: () => gate.close() });
}

/**
 * A `node:http` request as the gate reads it: its socket peer, its connection and — only when a
 * strategy, `keys` or a hook asks — its headers. Node builds `req.headers` from the raw header list on
 * first access; with the default client address the gate does not need it, so a handler that never
 * reads headers (plain `node:http`) does not pay for building it. (Fastify and `@hono/node-server`
 * read `req.headers` on every request themselves, so there the object is built either way.)
 *
 * @example
 * const gate = createGate({ allow: ['203.0.113.0/24'] });
 * gate.check(new NodeGateRequest(req)).allow;
 */
export class NodeGateRequest implements GateRequest {
  constructor(private readonly req: IncomingMessage) {}

  get remoteAddress(): string | undefined {
    return this.req.socket.remoteAddress;
  }

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  get connection(): object {
    return this.req.socket;
  }
}

/**
 * A `node:http` request listener with a gate in front of it (see {@link gateListener}).
 *
 * @example
 * import { createServer, type RequestListener } from 'node:http';
 *
 * const app: RequestListener = (_req, res) => res.end('hello');
 * const listener = gateListener(app, { allow: ['203.0.113.0/24'] });
 * createServer(listener).listen(3000);
 * await listener.close();
 */
export interface GatedListener {
  (req: IncomingMessage, res: ServerResponse): void;
  readonly gate: Gate;
  close(): Promise<void>;
}

/**
 * Puts a gate in front of any `node:http` request listener: an Express app, the handler Fastify
 * gives its `serverFactory`, the listener `@hono/node-server` gives its `createServer`. A denied
 * request is answered before the framework sees it; an allowed one costs the framework nothing
 * beyond one function call — unlike a middleware, which every framework runs through its own
 * hook machinery. Use it for rules that hold for the whole server; use the framework's middleware
 * for per-route rules.
 *
 * @example
 * import { createServer } from 'node:http';
 * import express from 'express';
 * import { gateListener } from '@ipgate/node';
 *
 * const app = express();
 * app.get('/', (_req, res) => res.json({ hello: 'world' }));
 * createServer(gateListener(app, { allow: ['203.0.113.0/24'] })).listen(3000);
 */
export function gateListener(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  options: GateOptions | HttpGate,
): GatedListener {
  if (typeof listener !== 'function') {
    throw configError(
      'listener',
      'gateListener needs the request listener to put the gate in front of.',
      'Pass the (req, res) function your server would get, e.g. gateListener(app, { allow: […] }) for an Express app.',
    );
  }
  const gate = typeof options === 'function' ? options : httpGate(options);
  const gated = (req: IncomingMessage, res: ServerResponse): void => {
    if (gate(req, res)) listener(req, res);
  };
  return Object.assign(gated, { gate: gate.gate, close: () => gate.close() });
}
