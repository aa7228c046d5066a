import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGate, type Gate, type GateOptions, type GateResult } from './gate.js';

/**
 * A gate for a plain `node:http` (or `node:https`) server: call it first in the request handler.
 * It answers a denied request itself and returns false; on true, handle the request.
 *
 * @example
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
  const check = (req: IncomingMessage): GateResult =>
    gate.check({ remoteAddress: req.socket.remoteAddress, headers: req.headers });
  const handler = (req: IncomingMessage, res: ServerResponse): boolean => {
    const result = check(req);
    if (result.allow) return true;
    res.writeHead(result.status, result.headers);
    res.end(result.body);
    return false;
  };
  return Object.assign(handler, { check, gate, close: () => gate.close() });
}
