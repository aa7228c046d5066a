/**
 * One server of the middleware benchmark, in a process of its own: a framework, bare or
 * with one IP-restriction middleware, answering `GET /` with a tiny JSON body. Listens on
 * 127.0.0.1 (a free port) and prints `{"port":N}` once ready; SIGTERM closes it.
 *
 *   node bench/middleware-server.mjs express ipgate /tmp/allow.json
 *   node bench/middleware-server.mjs hono peer /tmp/allow.json     # hono's own ipRestriction
 *
 * Frameworks: node (node:http), express, fastify, hono (@hono/node-server). Variants: `bare` (no
 * middleware), `ipgate` (the @ipgate adapter), `peer` (express: express-ipfilter, mode allow;
 * hono: hono/ip-restriction with getConnInfo), `noop` (a middleware that does nothing: what having a
 * middleware at all costs in that framework), `front` (the gate in front of the framework: Express
 * through `gateListener`, Fastify through `ipGateServerFactory`, Hono through `ipGateCreateServer`),
 * and for node:http `built` (httpGate loaded and built, never called). The rules file is a JSON list of entries.
 */
import { readFileSync } from 'node:fs';

const [framework, variant, rulesFile] = process.argv.slice(2);
const allow = variant === 'bare' ? [] : JSON.parse(readFileSync(rulesFile, 'utf8'));
const BODY = { hello: 'world' };

/** Each builder starts the server and resolves with its node:http server (listening). */
const servers = {
  async node() {
    const { createServer } = await import('node:http');
    let gate;
    if (variant === 'ipgate') gate = (await import('@ipgate/node')).httpGate({ allow });
    else if (variant === 'noop') gate = (_req, _res) => true;
    else if (variant === 'built') {
      // The gate loaded and built but never called: what having ipgate in the process costs apart
      // from its per-request work (kept reachable so it is not collected).
      const built = (await import('@ipgate/node')).httpGate({ allow });
      gate = (_req, _res) => built !== undefined;
    } else if (variant !== 'bare')
      throw new Error(`node:http has no ${variant} variant (httpGate is already in front)`);
    const server = createServer((req, res) => {
      if (gate !== undefined && !gate(req, res)) return;
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(BODY));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server;
  },

  async express() {
    const express = (await import('express')).default;
    const app = express();
    if (variant === 'ipgate') app.use((await import('@ipgate/express')).ipGate({ allow }));
    else if (variant === 'peer') {
      const { IpFilter } = (await import('express-ipfilter')).default;
      // log: false — its default logs every request to the console, which no one measures with.
      app.use(IpFilter(allow, { mode: 'allow', log: false }));
    } else if (variant === 'noop') app.use((_req, _res, next) => next());
    app.get('/', (_req, res) => {
      res.json(BODY);
    });
    // front: the gate in front of the app (an Express app is a request listener), not in its router.
    const server =
      variant === 'front'
        ? (await import('node:http')).createServer(
            (await import('@ipgate/express')).gateListener(app, { allow }),
          )
        : undefined;
    return new Promise((resolve) => {
      if (server !== undefined) server.listen(0, '127.0.0.1', () => resolve(server));
      else {
        const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
      }
    });
  },

  async fastify() {
    const Fastify = (await import('fastify')).default;
    const front =
      variant === 'front' ? (await import('@ipgate/fastify')).ipGateServerFactory({ allow }) : undefined;
    const app = Fastify({ logger: false, ...(front === undefined ? {} : { serverFactory: front }) });
    if (variant === 'ipgate') await app.register((await import('@ipgate/fastify')).ipGate, { allow });
    else if (variant === 'noop') app.addHook('onRequest', (_request, _reply, done) => done());
    else if (variant !== 'bare' && variant !== 'front')
      throw new Error(`fastify has no peer middleware here (${variant})`);
    app.get('/', async () => BODY);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return app.server;
  },

  async hono() {
    const { Hono } = await import('hono');
    const { serve } = await import('@hono/node-server');
    const { ipGateCreateServer } = await import('@ipgate/hono');
    const app = new Hono();
    if (variant === 'ipgate') app.use((await import('@ipgate/hono')).ipGate({ allow }));
    else if (variant === 'peer') {
      const { ipRestriction } = await import('hono/ip-restriction');
      const { getConnInfo } = await import('@hono/node-server/conninfo');
      app.use(ipRestriction(getConnInfo, { allowList: allow }));
    } else if (variant === 'noop') {
      app.use(async (_c, next) => {
        await next();
      });
    }
    app.get('/', (c) => c.json(BODY));
    return new Promise((resolve) => {
      const createServer = variant === 'front' ? ipGateCreateServer({ allow }) : undefined;
      const server = serve(
        {
          fetch: app.fetch,
          port: 0,
          hostname: '127.0.0.1',
          ...(createServer === undefined ? {} : { createServer }),
        },
        () => resolve(server),
      );
    });
  },
};

if (!(framework in servers)) throw new Error(`unknown framework ${framework}`);
if (!['bare', 'noop', 'ipgate', 'front', 'peer', 'built'].includes(variant))
  throw new Error(`unknown variant ${variant}`);
if (variant === 'built' && framework !== 'node') throw new Error('only node:http has the built variant');
const server = await servers[framework]();
process.on('SIGTERM', () => {
  server.closeAllConnections?.();
  server.close(() => process.exit(0));
});
process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
