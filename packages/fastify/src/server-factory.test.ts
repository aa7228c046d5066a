import { decisionCases } from '@ipgate/test-support/decision-cases';
import { send } from '@ipgate/test-support/sockets';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { fastifyInstances } from './fastify-instances.test-support.js';
import { ipGateServerFactory } from './server-factory.js';

const instances = fastifyInstances();
const start = (instance: FastifyInstance) => instances.start(instance);

describe('ipGateServerFactory over real sockets: the shared decision table', () => {
  it.each(decisionCases)('$name → $status', async (c) => {
    let handled = 0;
    const instance = Fastify({
      serverFactory: ipGateServerFactory({ allow: c.allow, clientAddress: c.clientAddress }),
    });
    instance.get('/', async () => {
      handled++;
      return 'hello';
    });
    const answer = await send(await start(instance), c.source, c.headers);
    expect(answer.status).toBe(c.status);
    expect(handled).toBe(c.status === 200 ? 1 : 0);
    if (c.status === 403) expect(JSON.parse(answer.body)).toHaveProperty('requestId');
  });
});

describe('ipGateServerFactory', () => {
  it('guards unknown paths too, before Fastify (no 404 for a denied caller)', async () => {
    const instance = Fastify({ serverFactory: ipGateServerFactory({ allow: ['127.0.0.2'] }) });
    instance.get('/', async () => 'hello');
    const port = await start(instance);
    expect((await send(port, '127.0.0.3', {}, '/no-such-path')).status).toBe(403);
    expect((await send(port, '127.0.0.2', {}, '/no-such-path')).status).toBe(404);
  });

  it('builds the server as Fastify would: its timeouts and limits are kept', async () => {
    const instance = Fastify({
      serverFactory: ipGateServerFactory({ allow: ['127.0.0.2'] }),
      keepAliveTimeout: 1234,
      requestTimeout: 5678,
      connectionTimeout: 9012,
      maxRequestsPerSocket: 7,
    });
    await start(instance);
    expect(instance.server.keepAliveTimeout).toBe(1234);
    expect(instance.server.requestTimeout).toBe(5678);
    expect(instance.server.timeout).toBe(9012);
    expect(instance.server.maxRequestsPerSocket).toBe(7);
  });

  it('closes its rules source when Fastify closes', async () => {
    let closed = 0;
    const source = { current: () => undefined, close: () => void closed++ };
    const instance = Fastify({ serverFactory: ipGateServerFactory({ allow: source }) });
    instance.get('/', async () => 'hello');
    const port = await start(instance);
    expect((await send(port, '127.0.0.2')).status).toBe(403); // no rules yet: closed
    await instance.close();
    instances.forget(instance);
    expect(closed).toBeGreaterThanOrEqual(1);
  });

  it('fails where it is written on bad options, and refuses HTTP/2', () => {
    expect(() => ipGateServerFactory({ allow: ['10.0.0.1/8'] })).toThrow(/host bits/);
    const serverFactory = ipGateServerFactory({ allow: ['127.0.0.2'] });
    expect(() => Fastify({ http2: true, serverFactory } as never)).toThrow(/HTTP\/1.*http2/);
  });
});
