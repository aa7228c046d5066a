/**
 * The same decision table through the gateway (clients really sending from 127.0.0.2/.3) and through
 * the decision endpoint as each proxy asks it (the proxy at 127.0.0.1, trusted, naming the client in
 * X-Forwarded-For): every case gets the same answer, translated only where a proxy needs it (nginx:
 * 204 for allow, 403 for no route).
 */
import { SuiteResources } from '@ipgate/test-support/suite-resources';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DecisionServer, startDecisionServer } from './decision-server.test-support.js';
import { GATEWAY_CASES, type GatewayCase, headersFor } from './gateway-cases.test-support.js';

let s: DecisionServer;
const started = new SuiteResources();
const agents = new Map<string, Agent>();
const agentFrom = (address: string): Agent => {
  let agent = agents.get(address);
  if (agent === undefined) {
    // localAddress on the Agent itself: undici ignores it under `connect`.
    agent = new Agent({ localAddress: address });
    agents.set(address, agent);
  }
  return agent;
};

beforeAll(async () => {
  s = await started.add(startDecisionServer(), (server) => server.close(), 'ipgate');
  // Closed before the server, after the tests made them.
  await started.add(
    undefined,
    async () => {
      await Promise.all([...agents.values()].map((a) => a.close()));
    },
    'the agents',
  );
}, 120_000);
afterAll(() => started.closeAll());

async function throughGateway(c: GatewayCase) {
  const res = await request(`${s.server.gatewayUrl}${c.path}`, {
    headers: headersFor(c, s.world),
    dispatcher: agentFrom(c.from),
  });
  const body = await res.body.text();
  return { status: res.statusCode, body, requestId: res.headers['x-request-id'] };
}

/** How each proxy asks: its path and the headers it sets. */
const ASKS = {
  nginx: (c: GatewayCase) => ({
    path: '/v1/decide/nginx',
    headers: { 'x-original-uri': c.path, 'x-original-method': 'GET', 'x-original-host': 'api.example.com' },
  }),
  traefik: (c: GatewayCase) => ({
    path: '/v1/decide/traefik',
    headers: {
      'x-forwarded-uri': c.path,
      'x-forwarded-method': 'GET',
      'x-forwarded-host': 'api.example.com',
    },
  }),
  envoy: (c: GatewayCase) => ({ path: `/v1/decide/envoy${c.path}`, headers: {} }),
} as const;

async function throughDecision(kind: keyof typeof ASKS, c: GatewayCase, extra: Record<string, string> = {}) {
  const ask = ASKS[kind](c);
  const res = await request(`${s.server.adminUrl}${ask.path}`, {
    headers: { ...headersFor(c, s.world), ...ask.headers, 'x-forwarded-for': c.from, ...extra },
    dispatcher: agentFrom('127.0.0.1'),
  });
  const body = await res.body.text();
  return { status: res.statusCode, body, headers: res.headers };
}

const expectedGateway = (c: GatewayCase) => (c.expected === 'allow' ? 200 : c.expected);
const expectedFor = (kind: keyof typeof ASKS, c: GatewayCase) => {
  if (c.expected === 'allow') return kind === 'nginx' ? 204 : 200;
  return kind === 'nginx' && c.expected === 404 ? 403 : c.expected;
};

describe('the decision table: gateway and decision endpoint agree', () => {
  it.each(GATEWAY_CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const gateway = await throughGateway(c);
    expect(gateway.status, gateway.body).toBe(expectedGateway(c));
    if (c.expected === 'allow') expect(JSON.parse(gateway.body).upstream).toBe(true);
    for (const kind of ['nginx', 'traefik', 'envoy'] as const) {
      const answer = await throughDecision(kind, c);
      expect(answer.status, `${kind}: ${answer.body}`).toBe(expectedFor(kind, c));
      expect(answer.headers['x-request-id']).toMatch(/^req_[A-Za-z0-9_-]{16}$/);
      if (answer.status === 403) {
        expect(JSON.parse(answer.body)).toEqual({
          error: "Access denied. You don't have permission to access this.",
          requestId: answer.headers['x-request-id'],
        });
      }
    }
  });
});

describe('decision endpoint', () => {
  const allowed = GATEWAY_CASES[0] as GatewayCase;

  it('an allowed answer names the tenant and key for the upstream', async () => {
    const answer = await throughDecision('traefik', allowed);
    expect(answer.status).toBe(200);
    expect(answer.headers['x-ipgate-tenant-id']).toBe(s.world.tenants.plain);
    expect(answer.headers['x-ipgate-key-id']).toMatch(/^key_/);
  });

  it('an ask from a peer that is not a trusted proxy is refused, whatever it claims', async () => {
    const res = await request(`${s.server.adminUrl}/v1/decide/traefik`, {
      headers: {
        ...headersFor(allowed, s.world),
        'x-forwarded-uri': allowed.path,
        'x-forwarded-for': '127.0.0.2',
      },
      dispatcher: agentFrom('127.0.0.2'),
    });
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(await res.body.text()).error).toBe('Decisions are answered to trusted proxies only.');
  });

  it('a request that carried Authorization twice is refused (401), whichever copy is a good key', async () => {
    const good = headersFor(allowed, s.world)['authorization'] as string;
    const res = await request(`${s.server.adminUrl}/v1/decide/nginx`, {
      headers: {
        authorization: [good, 'Bearer ipg_live_someone_else'],
        'x-original-uri': allowed.path,
        'x-original-method': 'GET',
        'x-original-host': 'api.example.com',
        'x-forwarded-for': '127.0.0.2',
      },
      dispatcher: agentFrom('127.0.0.1'),
    });
    expect(res.statusCode).toBe(401);
    await res.body.dump();
  });

  it('an ask without the original URI is a bad request: 400, never a decision', async () => {
    const res = await request(`${s.server.adminUrl}/v1/decide/nginx`, {
      headers: { ...headersFor(allowed, s.world), 'x-forwarded-for': '127.0.0.2' },
      dispatcher: agentFrom('127.0.0.1'),
    });
    expect(res.statusCode).toBe(400);
    expect(await res.body.text()).toContain('X-Original-URI');
  });

  it("another proxy's URI header does not count: nginx reads X-Original-URI only", async () => {
    const res = await request(`${s.server.adminUrl}/v1/decide/nginx`, {
      headers: { 'x-forwarded-uri': '/orders', 'x-forwarded-for': '127.0.0.2' },
      dispatcher: agentFrom('127.0.0.1'),
    });
    expect(res.statusCode).toBe(400);
    await res.body.text();
  });

  it('an Envoy check with the client Content-Type and a body is decided, not refused by a body parser', async () => {
    const res = await request(`${s.server.adminUrl}/v1/decide/envoy/orders/7`, {
      method: 'POST',
      headers: {
        ...headersFor(allowed, s.world),
        'x-forwarded-for': '127.0.0.2',
        'content-type': 'application/json',
      },
      body: '{"not":"read"',
      dispatcher: agentFrom('127.0.0.1'),
    });
    expect(res.statusCode, await res.body.text()).toBe(200);
  });

  it('decided requests are in the request log, with the client address and the pending observation', async () => {
    const denied = GATEWAY_CASES[1] as GatewayCase;
    const answer = await throughDecision('nginx', denied);
    const requestId = answer.headers['x-request-id'] as string;
    const headers = { authorization: `Bearer ${s.ownerToken}` };
    const url = `${s.server.adminUrl}/v1/tenants/${s.world.tenants.plain}/requests/${requestId}`;
    let found: Record<string, unknown> | undefined;
    for (let i = 0; i < 40 && found === undefined; i++) {
      const res = await fetch(url, { headers });
      if (res.status === 200) found = (await res.json()) as Record<string, unknown>;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(found).toMatchObject({
      requestId,
      client: '127.0.0.3',
      path: '/orders/1',
      method: 'GET',
      status: 403,
      decision: 'deny',
      stage: 'tenant-restriction',
    });
    const observed = await fetch(`${s.server.adminUrl}/v1/tenants/${s.world.tenants.plain}/observed-ips`, {
      headers,
    });
    const items = ((await observed.json()) as { items: { address: string; status: string }[] }).items;
    expect(items).toContainEqual(expect.objectContaining({ address: '127.0.0.3', status: 'pending' }));
  });
});
