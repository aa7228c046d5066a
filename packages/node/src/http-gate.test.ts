import { Agent, createServer, type IncomingMessage, request, type Server } from 'node:http';
import { DENIAL_MESSAGE, IpSet } from '@ipgate/core';
import { decisionCases } from '@ipgate/test-support/decision-cases';
import { keyCases, keyGateOptions } from '@ipgate/test-support/key-cases';
import { close, listen, send } from '@ipgate/test-support/sockets';
import { afterEach, describe, expect, it } from 'vitest';
import { gateListener, httpGate } from './http-gate.js';
import { listRules } from './rules.js';

let server: Server | undefined;
afterEach(async () => {
  if (server) await close(server);
  server = undefined;
});

describe('httpGate over real sockets: the shared decision table', () => {
  it.each(decisionCases)('$name → $status', async (c) => {
    const gate = httpGate({ allow: c.allow, clientAddress: c.clientAddress });
    server = createServer((req, res) => {
      if (!gate(req, res)) return;
      res.end('hello');
    });
    const port = await listen(server);
    const answer = await send(port, c.source, c.headers);
    expect(answer.status).toBe(c.status);
    if (c.status === 200) expect(answer.body).toBe('hello');
    else {
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      const body = JSON.parse(answer.body) as { error: string; requestId: string };
      expect(body.error).toBe(DENIAL_MESSAGE);
      expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('httpGate denial settings', () => {
  it('sends a configured status, body and headers, and never runs the handler', async () => {
    let handled = 0;
    const gate = httpGate({
      allow: ['203.0.113.0/24'],
      denial: { status: 404, body: (id) => `not here (${id})`, headers: { 'x-why': 'ipgate' } },
      requestId: () => 'req_fixed',
    });
    server = createServer((req, res) => {
      if (!gate(req, res)) return;
      handled++;
      res.end('hello');
    });
    const port = await listen(server);
    const answer = await send(port, '127.0.0.2');
    expect(answer).toMatchObject({ status: 404, body: 'not here (req_fixed)' });
    expect(answer.headers['x-why']).toBe('ipgate');
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(handled).toBe(0);
  });
});

describe('httpGate per-key rules over real sockets', () => {
  it('the x-api-key header picks the key, Origin and Referer make a browser call', async () => {
    const gate = httpGate(keyGateOptions);
    server = createServer((req, res) => {
      if (!gate(req, res)) return;
      res.end('hello');
    });
    const port = await listen(server);
    for (const c of keyCases) {
      const answer = await send(port, c.source, c.headers);
      expect({ name: c.name, status: answer.status }).toEqual({ name: c.name, status: c.status });
    }
  });
});

describe('gateListener: the gate in front of a request listener', () => {
  it.each(decisionCases)('$name → $status', async (c) => {
    let handled = 0;
    server = createServer(
      gateListener(
        (_req, res) => {
          handled++;
          res.end('hello');
        },
        { allow: c.allow, clientAddress: c.clientAddress },
      ),
    );
    const answer = await send(await listen(server), c.source, c.headers);
    expect(answer.status).toBe(c.status);
    expect(handled).toBe(c.status === 200 ? 1 : 0);
    if (c.status === 403) expect(JSON.parse(answer.body)).toHaveProperty('requestId');
  });

  it('new rules reach an open keep-alive connection on its next request', async () => {
    let rules = listRules(IpSet.from(['127.0.0.2']), 'before');
    const listener = gateListener((_req, res) => res.end('hello'), {
      allow: { current: () => rules, close: () => {} },
    });
    server = createServer(listener);
    let connections = 0;
    server.on('connection', () => connections++);
    const port = await listen(server);
    const agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: '127.0.0.2' });
    try {
      expect((await get(agent, port)).status).toBe(200);
      expect((await get(agent, port)).status).toBe(200);
      rules = listRules(IpSet.from(['127.0.0.3']), 'after');
      expect((await get(agent, port)).status).toBe(403);
      rules = listRules(IpSet.from(['127.0.0.0/29']), 'again');
      expect((await get(agent, port)).status).toBe(200);
      expect(connections).toBe(1); // all four on one connection
    } finally {
      agent.destroy();
    }
  });

  it('refuses something that is not a listener, saying what to pass', () => {
    expect(() => gateListener(undefined as never, { allow: [] })).toThrow(/request listener/);
  });
});

function get(agent: Agent, port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, agent, path: '/' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('NodeGateRequest: the headers are read only when something needs them', () => {
  // node builds req.headers from the raw list on first access; a handler may never need it.
  function countingRequest(headers: Record<string, string>) {
    const socket = { remoteAddress: '203.0.113.7' };
    let reads = 0;
    const req = {
      socket,
      get headers() {
        reads++;
        return headers;
      },
    } as unknown as IncomingMessage;
    return { req, reads: () => reads };
  }

  it('with the socket peer the gate decides without them', () => {
    const { req, reads } = countingRequest({ 'x-forwarded-for': '198.51.100.1' });
    const gate = httpGate({ allow: ['203.0.113.0/24'] });
    expect(gate.check(req).allow).toBe(true);
    expect(gate.check(req).allow).toBe(true);
    expect(reads()).toBe(0);
  });

  it('behind trusted proxies, and for keys, it reads them', () => {
    const proxied = countingRequest({ 'x-forwarded-for': '198.51.100.1' });
    const behindProxy = httpGate({
      allow: ['198.51.100.0/24'],
      clientAddress: { mode: 'trusted-proxies', trusted: ['203.0.113.7'] },
    });
    expect(behindProxy.check(proxied.req).allow).toBe(true);
    expect(proxied.reads()).toBeGreaterThan(0);
    const keyed = countingRequest({ 'x-api-key': 'k1' });
    const withKeys = httpGate({
      allow: ['203.0.113.0/24'],
      keys: { keyOf: (r) => r.headers['x-api-key'] as string, rules: { k1: { ips: ['192.0.2.1'] } } },
    });
    expect(withKeys.check(keyed.req).allow).toBe(false);
    expect(keyed.reads()).toBeGreaterThan(0);
  });
});
