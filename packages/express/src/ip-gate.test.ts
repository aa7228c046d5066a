import { createServer, type Server } from 'node:http';
import { liveRules } from '@ipgate/node';
import { decisionCases } from '@ipgate/test-support/decision-cases';
import { FakeRulesServer, until } from '@ipgate/test-support/fake-rules-server';
import { keyCases, keyGateOptions } from '@ipgate/test-support/key-cases';
import { close, listen, send } from '@ipgate/test-support/sockets';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { gateListener } from './index.js';
import { ipGate } from './ip-gate.js';

let server: Server | undefined;
afterEach(async () => {
  if (server) await close(server);
  server = undefined;
});

async function start(app: express.Express): Promise<number> {
  server = createServer(app); // listen() below binds :: (dual stack), like every adapter test
  return listen(server);
}

describe('@ipgate/express over real sockets: the shared decision table', () => {
  it.each(decisionCases)('$name → $status', async (c) => {
    const app = express();
    app.use(ipGate({ allow: c.allow, clientAddress: c.clientAddress }));
    app.get('/', (_req, res) => {
      res.send('hello');
    });
    const answer = await send(await start(app), c.source, c.headers);
    expect(answer.status).toBe(c.status);
    expect(answer.body).toBe(c.status === 200 ? 'hello' : answer.body);
    if (c.status === 403) expect(JSON.parse(answer.body)).toHaveProperty('requestId');
  });
});

describe('@ipgate/express', () => {
  it("ignores Express's own trust proxy setting: only the gate's clientAddress decides", async () => {
    const app = express();
    app.set('trust proxy', true);
    app.use(ipGate({ allow: ['203.0.113.0/24'] }));
    app.get('/', (_req, res) => {
      res.send('hello');
    });
    expect((await send(await start(app), '127.0.0.2', { 'x-forwarded-for': '203.0.113.9' })).status).toBe(
      403,
    );
  });

  it("stacked gates narrow, as the Fastify plugin's per-route allow does: a route cannot widen the app's", async () => {
    const app = express();
    app.use(ipGate({ allow: ['127.0.0.2'] }));
    app.get('/wider', ipGate({ allow: ['127.0.0.2', '127.0.0.3'] }), (_req, res) => {
      res.send('wider');
    });
    const port = await start(app);
    expect((await send(port, '127.0.0.3', {}, '/wider')).status).toBe(403);
    expect((await send(port, '127.0.0.2', {}, '/wider')).status).toBe(200);
  });

  it('per-route rules and res.locals.ipgate', async () => {
    const app = express();
    app.get('/open', (_req, res) => {
      res.send('open');
    });
    app.get('/admin', ipGate({ allow: ['127.0.0.2'] }), (_req, res) => {
      res.send(`admin ${String(res.locals['ipgate']?.client)}`);
    });
    const port = await start(app);
    expect((await send(port, '127.0.0.3', {}, '/open')).status).toBe(200);
    expect((await send(port, '127.0.0.3', {}, '/admin')).status).toBe(403);
    expect((await send(port, '127.0.0.2', {}, '/admin')).body).toBe('admin 127.0.0.2');
  });

  it('per-key rules: the x-api-key header picks the key, Origin and Referer make a browser call', async () => {
    const app = express();
    app.use(ipGate(keyGateOptions));
    app.get('/', (_req, res) => {
      res.send(`hello ${String(res.locals['ipgate']?.decision.matched.length)}`);
    });
    const port = await start(app);
    for (const c of keyCases) {
      const answer = await send(port, c.source, c.headers);
      expect({ name: c.name, status: answer.status }).toEqual({ name: c.name, status: c.status });
    }
    // The network rule and the key rule both appear in the result the handlers see.
    expect((await send(port, '127.0.0.2', { 'x-api-key': 'backend' })).body).toBe('hello 2');
  });

  it('live rules: a change on the server reaches the running middleware within 1 s', async () => {
    const fake = new FakeRulesServer('tok', { kind: 'api', apiId: 'api_1' });
    fake.set(['127.0.0.2']);
    const rulesPort = await fake.start();
    const rules = liveRules({
      url: `http://127.0.0.1:${rulesPort}`,
      token: 'tok',
      scope: { apiId: 'api_1' },
    });
    try {
      await rules.ready;
      const app = express();
      app.use(ipGate({ allow: rules }));
      app.get('/', (_req, res) => {
        res.send('hello');
      });
      const port = await start(app);
      expect((await send(port, '::1')).status).toBe(403);
      await until(() => fake.requests.length >= 2);
      const t0 = performance.now();
      fake.set(['::1']);
      await until(() => rules.current()?.version === 3, 1000);
      expect((await send(port, '::1')).status).toBe(200);
      expect(performance.now() - t0).toBeLessThan(1000);
    } finally {
      await rules.close();
      await fake.stop();
    }
  });
});

describe('gateListener in front of an Express app', () => {
  it.each(decisionCases)('$name → $status', async (c) => {
    let handled = 0;
    const app = express();
    app.get('/', (_req, res) => {
      handled++;
      res.send('hello');
    });
    server = createServer(gateListener(app, { allow: c.allow, clientAddress: c.clientAddress }));
    const answer = await send(await listen(server), c.source, c.headers);
    expect(answer.status).toBe(c.status);
    expect(handled).toBe(c.status === 200 ? 1 : 0);
    if (c.status === 403) expect(JSON.parse(answer.body)).toHaveProperty('requestId');
  });
});
