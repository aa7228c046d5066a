import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { decisionCases } from '@ipgate/test-support/decision-cases';
import { close, listen, send } from '@ipgate/test-support/sockets';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { ipGateCreateServer } from './create-server.js';

let server: Server | undefined;
afterEach(async () => {
  if (server) await close(server);
  server = undefined;
});

describe('ipGateCreateServer on @hono/node-server over real sockets: the shared decision table', () => {
  it.each(decisionCases)('$name → $status', async (c) => {
    let handled = 0;
    const app = new Hono();
    app.get('/', (ctx) => {
      handled++;
      return ctx.text('hello');
    });
    const createServer = ipGateCreateServer({ allow: c.allow, clientAddress: c.clientAddress });
    server = createAdaptorServer({ fetch: app.fetch, createServer }) as Server;
    const answer = await send(await listen(server), c.source, c.headers);
    expect(answer.status).toBe(c.status);
    expect(handled).toBe(c.status === 200 ? 1 : 0);
    if (c.status === 200) expect(answer.body).toBe('hello');
    else expect(JSON.parse(answer.body)).toHaveProperty('requestId');
  });
});

describe('ipGateCreateServer', () => {
  it("passes serve()'s server options on, and closes the rules source with the server", async () => {
    let closed = 0;
    const app = new Hono();
    app.get('/', (ctx) => ctx.text('hello'));
    const createServer = ipGateCreateServer({
      allow: { current: () => undefined, close: () => void closed++ },
    });
    server = createAdaptorServer({
      fetch: app.fetch,
      createServer,
      serverOptions: { requestTimeout: 4321 },
    }) as Server;
    expect(server.requestTimeout).toBe(4321);
    const port = await listen(server);
    expect((await send(port, '127.0.0.2')).status).toBe(403); // no rules yet: closed
    await close(server);
    server = undefined;
    expect(closed).toBeGreaterThanOrEqual(1);
  });

  it('fails where it is written on bad options, and refuses a server without a listener', () => {
    expect(() => ipGateCreateServer({ allow: ['10.0.0.1/8'] })).toThrow(/host bits/);
    const createServer = ipGateCreateServer({ allow: [] });
    expect(() => createServer()).toThrow(/request listener/);
    expect(() => createServer({})).toThrow(/request listener/);
  });
});
