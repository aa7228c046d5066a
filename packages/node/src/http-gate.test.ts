import { createServer, type Server } from 'node:http';
import { DENIAL_MESSAGE } from '@ipgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { decisionCases } from './decision-cases.test-support.js';
import { httpGate } from './http-gate.js';
import { close, listen, send } from './sockets.test-support.js';

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
