/**
 * Odd paths through every front door over real sockets: the gateway and the decision endpoint as nginx,
 * Traefik and Envoy ask it. Raw requests written with `net`, because HTTP clients normalise some of these
 * paths before sending them. The world's `/internal` API lists 127.0.0.2 only; the client is 127.0.0.3.
 */
import { connect } from 'node:net';
import { SuiteResources } from '@ipgate/test-support/suite-resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DecisionServer, startDecisionServer } from './decision-server.test-support.js';

let s: DecisionServer;
const started = new SuiteResources();
beforeAll(async () => {
  s = await started.add(startDecisionServer(), (server) => server.close(), 'ipgate');
}, 120_000);
afterAll(() => started.closeAll());

/** Sends one raw HTTP/1.1 request and returns the status and body. */
function raw(url: string, from: string, target: string, headers: Record<string, string> = {}) {
  const { port } = new URL(url);
  const lines = [`GET ${target} HTTP/1.1`, 'Host: api.example.com', 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port), localAddress: from });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => {
      text += d;
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      const bodyStart = text.indexOf('\r\n\r\n');
      resolve({ status, body: bodyStart === -1 ? '' : text.slice(bodyStart + 4) });
    });
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

const AMBIGUOUS = [
  '/internal%00/x',
  '/internal%0a',
  '/internal%20/x',
  '/internal.',
  '/internal./x',
  '/internal%2e',
  '/internal%2e%20/x',
  '/%c0%ae%c0%ae/internal',
  '/x/%e0%80%ae%e0%80%ae/internal',
  '/%u0069nternal',
  '/x/%u002e%u002e/internal',
  '/internal%ff',
  '/%ef%bc%8finternal',
];

describe('odd paths get the same refusal through every door', () => {
  it.each(AMBIGUOUS)('%s', async (path) => {
    const gateway = await raw(s.server.gatewayUrl, '127.0.0.3', path);
    expect(gateway.status, gateway.body).toBe(400);
    const body = JSON.parse(gateway.body.replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, ''));
    expect(body.error).toMatch(/send the plain path/);
    expect(body.requestId).toMatch(/^req_/);

    const proxy = { 'X-Forwarded-For': '127.0.0.3' };
    // nginx turns any status but 2xx/401/403 into a 500, so it gets 403 for what the others get 400.
    const nginx = await raw(s.server.adminUrl, '127.0.0.1', '/v1/decide/nginx', {
      ...proxy,
      'X-Original-URI': path,
      'X-Original-Method': 'GET',
      'X-Original-Host': 'api.example.com',
    });
    expect(nginx.status, nginx.body).toBe(403);
    const traefik = await raw(s.server.adminUrl, '127.0.0.1', '/v1/decide/traefik', {
      ...proxy,
      'X-Forwarded-Uri': path,
      'X-Forwarded-Method': 'GET',
      'X-Forwarded-Host': 'api.example.com',
    });
    expect(traefik.status, traefik.body).toBe(400);
    expect(traefik.body).toMatch(/send the plain path/);
    const envoy = await raw(s.server.adminUrl, '127.0.0.1', `/v1/decide/envoy${path}`, proxy);
    expect(envoy.status, envoy.body).toBe(400);
    expect(envoy.body).toMatch(/send the plain path/);
  });

  it('a plain UTF-8 path and a trailing dot inside one API still get their ordinary answer', async () => {
    // No key: 401 from the orders API, at the gateway and the decision endpoint alike.
    for (const path of ['/orders/caf%C3%A9', '/orders/1.']) {
      expect((await raw(s.server.gatewayUrl, '127.0.0.2', path)).status).toBe(401);
      const envoy = await raw(s.server.adminUrl, '127.0.0.1', `/v1/decide/envoy${path}`, {
        'X-Forwarded-For': '127.0.0.2',
      });
      expect(envoy.status).toBe(401);
    }
  });

  it('a URL of the admin API itself that the router cannot decode is still a JSON 400', async () => {
    const res = await raw(s.server.adminUrl, '127.0.0.1', '/v1/apis%ff');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatchObject({
      code: 'IPG_VALIDATION_FAILED',
      hint: expect.stringMatching(/UTF-8/),
    });
  });
});
