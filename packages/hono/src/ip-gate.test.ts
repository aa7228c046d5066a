import type { IncomingMessage, Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { type ClientAddressStrategy, IpAddress } from '@ipgate/core';
import { decisionCases } from '@ipgate/test-support/decision-cases';
import { keyCases, keyGateOptions } from '@ipgate/test-support/key-cases';
import { close, listen, send } from '@ipgate/test-support/sockets';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { ipGate } from './ip-gate.js';

let server: Server | undefined;
afterEach(async () => {
  if (server) await close(server);
  server = undefined;
});

async function start(app: Hono): Promise<number> {
  server = createAdaptorServer({ fetch: app.fetch }) as Server;
  return listen(server);
}

describe('@ipgate/hono on @hono/node-server over real sockets: the shared decision table', () => {
  it.each(decisionCases)('$name → $status', async (c) => {
    const app = new Hono();
    app.use(ipGate({ allow: c.allow, clientAddress: c.clientAddress }));
    app.get('/', (ctx) => ctx.text('hello'));
    const answer = await send(await start(app), c.source, c.headers);
    expect(answer.status).toBe(c.status);
    if (c.status === 200) expect(answer.body).toBe('hello');
    else expect(JSON.parse(answer.body)).toHaveProperty('requestId');
  });
});

describe('@ipgate/hono', () => {
  it("takes the peer from @hono/node-server's getConnInfo when given, and per-path rules", async () => {
    const app = new Hono();
    app.use('/admin/*', ipGate({ allow: ['127.0.0.2'], peer: (c) => getConnInfo(c).remote.address }));
    app.get('/admin/x', (ctx) => ctx.text('admin'));
    app.get('/open', (ctx) => ctx.text('open'));
    const port = await start(app);
    expect((await send(port, '127.0.0.2', {}, '/admin/x')).status).toBe(200);
    expect((await send(port, '127.0.0.3', {}, '/admin/x')).status).toBe(403);
    expect((await send(port, '127.0.0.3', {}, '/open')).status).toBe(200);
  });

  it('per-key rules over real sockets: keyOf sees the node request headers', async () => {
    const app = new Hono();
    let seen: unknown;
    const { keyOf } = keyGateOptions.keys;
    app.use(
      ipGate({
        ...keyGateOptions,
        keys: {
          ...keyGateOptions.keys,
          keyOf: (r) => {
            seen = r.headers;
            return keyOf(r);
          },
        },
      }),
    );
    // node's own headers object, not a copy.
    app.get('/', (ctx) =>
      ctx.text(String(seen === (ctx.env as { incoming: IncomingMessage }).incoming.headers)),
    );
    const port = await start(app);
    for (const c of keyCases) {
      const answer = await send(port, c.source, c.headers);
      expect({ name: c.name, status: answer.status }).toEqual({ name: c.name, status: c.status });
      if (c.status === 200) expect(answer.body).toBe('true');
    }
  });

  it('per-key rules without a node request: keyOf sees a lower-case copy of the fetch headers', async () => {
    const app = new Hono();
    app.use(ipGate({ ...keyGateOptions, peer: () => '127.0.0.3' }));
    app.get('/', (ctx) => ctx.text('hello'));
    const status = async (headers: Record<string, string>) => (await app.request('/', { headers })).status;
    expect(await status({ 'X-Api-Key': 'webapp', Origin: 'https://app.example.com' })).toBe(200);
    expect(await status({ 'X-Api-Key': 'webapp', Referer: 'https://app.example.com/a' })).toBe(200);
    expect(await status({ 'X-Api-Key': 'webapp' })).toBe(403);
    expect(await status({ 'X-Api-Key': 'backend' })).toBe(403); // 127.0.0.3 is not the key's address
    expect(await status({ 'X-Api-Key': 'other' })).toBe(200);
  });

  it('a custom client-address strategy sees every header, as it does in the other adapters', async () => {
    // A strategy of the app's own (here: a header its edge proxy sets), not one of core's modes,
    // which read only X-Forwarded-For or Forwarded.
    const edgeHeader: ClientAddressStrategy = {
      description: 'x-edge-client from the edge proxy',
      resolve: (_peer, headers) => {
        const value = headers['x-edge-client'];
        const address = typeof value === 'string' ? IpAddress.tryParse(value) : undefined;
        return address === undefined
          ? {
              ok: false,
              reason: 'client-address-invalid',
              detail: 'no x-edge-client header',
              sawForwardingHeaders: false,
            }
          : { ok: true, address, via: 'header', sawForwardingHeaders: true };
      },
    };
    const app = new Hono();
    app.use(ipGate({ allow: ['198.51.100.7'], clientAddress: edgeHeader, peer: () => '127.0.0.1' }));
    app.get('/', (ctx) => ctx.text('hello'));
    const status = async (headers: Record<string, string>) => (await app.request('/', { headers })).status;
    expect(await status({ 'X-Edge-Client': '198.51.100.7' })).toBe(200);
    expect(await status({ 'X-Edge-Client': '198.51.100.8' })).toBe(403);
    expect(await status({})).toBe(403);
  });

  it('denies when the peer cannot be found (a runtime without a peer function)', async () => {
    const app = new Hono();
    app.use(ipGate({ allow: ['0.0.0.0/0', '::/0'] }));
    app.get('/', (ctx) => ctx.text('hello'));
    const response = await app.request('/'); // no Node socket behind this request
    expect(response.status).toBe(403);
    const throwing = new Hono();
    throwing.use(
      ipGate({
        allow: ['0.0.0.0/0'],
        peer: () => {
          throw new Error('no conn info');
        },
      }),
    );
    expect((await throwing.request('/')).status).toBe(403);
  });
});
