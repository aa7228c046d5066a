import { createGate, type Gate, type GateOptions, NodeGateRequest } from '@ipgate/node';
import type { NextFunction, Request, Response } from 'express';

/**
 * The middleware, with its gate (for `check` and `rules()`) and `close()` for the rules source.
 *
 * @example
 * const gate = ipGate({ allow: fileRules('allow.txt') });
 * app.use(gate);
 * process.on('SIGTERM', () => void gate.close());
 */
export interface IpGateMiddleware {
  (req: Request, res: Response, next: NextFunction): void;
  readonly gate: Gate;
  close(): Promise<void>;
}

/**
 * Express middleware that lets only allowed client addresses through and answers everyone else
 * with the denial (default 403 JSON). Use it app-wide (`app.use`) or per route
 * (`app.get('/admin', ipGate({ allow: […] }), handler)`) for per-route rules.
 *
 * The client is the socket peer by default; Express's own `trust proxy` setting and `req.ip` are not
 * consulted, so the gate's `clientAddress` option alone decides which proxies are trusted. The gate's
 * result is put in `res.locals.ipgate` for the handlers after it.
 *
 * @example
 * import express from 'express';
 * import { ipGate } from '@ipgate/express';
 *
 * const app = express();
 * app.use(ipGate({ allow: ['203.0.113.0/24'], clientAddress: { mode: 'trusted-proxies', trusted: ['10.0.0.0/8'] } }));
 * app.get('/', (_req, res) => res.json({ hello: 'world' }));
 */
export function ipGate(options: GateOptions): IpGateMiddleware {
  const gate = createGate(options);
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const result = gate.check(new NodeGateRequest(req));
    res.locals['ipgate'] = result;
    if (result.allow) {
      next();
      return;
    }
    res.writeHead(result.status, result.headers);
    res.end(result.body);
  };
  return Object.assign(middleware, { gate, close: () => gate.close() });
}
