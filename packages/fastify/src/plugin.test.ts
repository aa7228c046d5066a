import { decisionCases } from '@ipgate/test-support/decision-cases';
import { keyCases, keyGateOptions } from '@ipgate/test-support/key-cases';
import { send } from '@ipgate/test-support/sockets';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { fastifyInstances } from './fastify-instances.test-support.js';
import { ipGate } from './plugin.js';

const instances = fastifyInstances();
const start = (instance: FastifyInstance) => instances.start(instance);

describe('@ipgate/fastify over real sockets: the shared decision table', () => {
  it.each(decisionCases)('$name → $status', async (c) => {
    const instance = Fastify();
    await instance.register(ipGate, { allow: c.allow, clientAddress: c.clientAddress });
    instance.get('/', async () => 'hello');
    const answer = await send(await start(instance), c.source, c.headers);
    expect(answer.status).toBe(c.status);
    if (c.status === 200) expect(answer.body).toBe('hello');
    else expect(JSON.parse(answer.body)).toHaveProperty('requestId');
  });
});

describe('@ipgate/fastify per-key rules over real sockets', () => {
  it('the x-api-key header picks the key, Origin and Referer make a browser call', async () => {
    const instance = Fastify();
    await instance.register(ipGate, keyGateOptions);
    instance.get('/', async () => 'hello');
    const port = await start(instance);
    for (const c of keyCases) {
      const answer = await send(port, c.source, c.headers);
      expect({ name: c.name, status: answer.status }).toEqual({ name: c.name, status: c.status });
    }
  });

  it('config.ipGate.keys gives a route its own key rules, or none; allow is inherited', async () => {
    const instance = Fastify();
    await instance.register(ipGate, keyGateOptions);
    const strict = { ...keyGateOptions.keys, rules: { other: { ips: ['127.0.0.2'] } } };
    instance.get('/strict', { config: { ipGate: { keys: strict } } }, async () => 'strict');
    instance.get('/keyless', { config: { ipGate: { keys: undefined } } }, async () => 'keyless');
    instance.get('/', async () => 'hello');
    const port = await start(instance);
    const other = { 'x-api-key': 'other' };
    expect((await send(port, '127.0.0.3', other, '/')).status).toBe(200); // not restricted app-wide
    expect((await send(port, '127.0.0.3', other, '/strict')).status).toBe(403);
    expect((await send(port, '127.0.0.2', other, '/strict')).status).toBe(200);
    expect((await send(port, '127.0.0.3', { 'x-api-key': 'backend' }, '/strict')).status).toBe(200);
    expect((await send(port, '127.0.0.3', { 'x-api-key': 'backend' }, '/keyless')).status).toBe(200);
    expect((await send(port, '127.0.0.3', { 'x-api-key': 'backend' }, '/')).status).toBe(403);
  });

  it('a bad per-route key rule fails when the route is added, naming the field', async () => {
    const instance = Fastify();
    instances.track(instance);
    await instance.register(ipGate, keyGateOptions);
    const bad = { ...keyGateOptions.keys, rules: { k: { ips: ['10.0.0.1/8'] } } };
    expect(() => instance.get('/x', { config: { ipGate: { keys: bad } } }, async () => 'x')).toThrow(
      expect.objectContaining({ field: 'keys.rules.k.ips' }),
    );
  });
});

describe('@ipgate/fastify per-route config', () => {
  it('config.ipGate false turns it off, an object overrides, and unknown paths are gated too', async () => {
    const instance = Fastify({ trustProxy: true }); // not consulted: the gate decides alone
    await instance.register(ipGate, { allow: ['127.0.0.2'] });
    instance.get('/healthz', { config: { ipGate: false } }, async () => 'ok');
    const replaced = { allow: ['127.0.0.3'], replace: true };
    instance.get('/admin', { config: { ipGate: replaced } }, async () => 'admin');
    instance.get('/teapot', { config: { ipGate: { denial: { status: 418 } } } }, async () => 'tea');
    instance.get('/', async (request) => `hello ${String(request.ipgate?.client)}`);
    const port = await start(instance);
    expect((await send(port, '127.0.0.3', {}, '/healthz')).status).toBe(200);
    // replace: true — the route's list instead of the plugin's.
    expect((await send(port, '127.0.0.3', {}, '/admin')).status).toBe(200);
    expect((await send(port, '127.0.0.2', {}, '/admin')).status).toBe(403);
    expect((await send(port, '127.0.0.3', {}, '/teapot')).status).toBe(418); // inherits allow, own denial
    expect((await send(port, '127.0.0.2', {}, '/teapot')).status).toBe(200);
    expect((await send(port, '127.0.0.2', { 'x-forwarded-for': '127.0.0.3' }, '/')).body).toBe(
      'hello 127.0.0.2',
    );
    expect((await send(port, '127.0.0.3', {}, '/no-such-path')).status).toBe(403);
    expect((await send(port, '127.0.0.2', {}, '/no-such-path')).status).toBe(404);
  });

  it("a route's own allow narrows the plugin's by default: both must pass", async () => {
    const instance = Fastify();
    await instance.register(ipGate, { allow: ['127.0.0.2'] });
    // The route lists more than the plugin: it cannot widen access without replace: true.
    instance.get('/wider', { config: { ipGate: { allow: ['127.0.0.2', '127.0.0.3'] } } }, async () => 'w');
    // The route lists another address: nobody passes both.
    instance.get('/other', { config: { ipGate: { allow: ['127.0.0.3'] } } }, async () => 'o');
    instance.get(
      '/narrow',
      { config: { ipGate: { allow: ['127.0.0.0/30'], denial: { status: 404 } } } },
      async (request) => `hello ${String(request.ipgate?.client)}`,
    );
    const port = await start(instance);
    expect((await send(port, '127.0.0.3', {}, '/wider')).status).toBe(403);
    expect((await send(port, '127.0.0.2', {}, '/wider')).status).toBe(200);
    expect((await send(port, '127.0.0.2', {}, '/other')).status).toBe(403);
    expect((await send(port, '127.0.0.3', {}, '/other')).status).toBe(403);
    const passed = await send(port, '127.0.0.2', {}, '/narrow');
    expect(passed.status).toBe(200);
    expect(passed.body).toBe('hello 127.0.0.2');
  });

  it('a bad per-route setting fails when the route is added', async () => {
    const instance = Fastify();
    instances.track(instance);
    await instance.register(ipGate, { allow: [] });
    expect(() =>
      instance.get('/x', { config: { ipGate: { allow: ['10.0.0.1/8'] } } }, async () => 'x'),
    ).toThrow(/host bits/);
  });

  it('bad plugin options fail the registration', async () => {
    const instance = Fastify();
    instances.track(instance);
    await expect(instance.register(ipGate, { allow: ['300.0.0.1'] })).rejects.toThrow();
  });
});
