/**
 * What a client sees the same way through every proxy that asks ipgate's decision endpoint (nginx
 * auth_request, Caddy forward_auth): a denial, a missing or unknown key, the request in the log with
 * the address the proxy saw, and a rule change enforced at once. Each proxy's test file registers
 * these inside its own `describe` and adds what only its proxy does.
 */
import { expect, it } from 'vitest';
import type { DecisionServer } from './decision-server.test-support.js';

/** An answer the proxy gave. */
export interface ProxyAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** The proxy under test, as the shared scenarios use it. */
export interface ProxyUnderTest {
  /** ipgate behind the proxy; called inside the tests, once the suite's `beforeAll` has set it. */
  server(): DecisionServer;
  /** A request through the proxy from a loopback `address`. */
  call(address: string, path: string, headers?: Record<string, string>): Promise<ProxyAnswer>;
}

/** The demo key the seeded world lists 127.0.0.2 for. */
const keyOf = (s: DecisionServer) => ({ authorization: `Bearer ${s.world.secrets.plain}` });

/**
 * An unlisted address is denied with ipgate's JSON body and request id; no key and an unknown key
 * are asked for one.
 *
 * @example describe('nginx', () => { itDeniesAndAsksForAKey(proxy); });
 */
export function itDeniesAndAsksForAKey(proxy: ProxyUnderTest): void {
  it('an unlisted address gets 403 with the documented JSON body and its X-Request-Id, from ipgate', async () => {
    const res = await proxy.call('127.0.0.3', '/orders/7', keyOf(proxy.server()));
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toContain('application/json');
    const requestId = res.headers['x-request-id'];
    expect(requestId).toMatch(/^req_[A-Za-z0-9_-]{16}$/);
    expect(JSON.parse(res.text)).toEqual({
      error: "Access denied. You don't have permission to access this.",
      requestId,
    });
  });

  it('no key and an unknown key get 401 with a JSON body and WWW-Authenticate', async () => {
    for (const headers of [{}, { authorization: `Bearer ${proxy.server().world.secrets.unknown}` }]) {
      const res = await proxy.call('127.0.0.2', '/orders/7', headers);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(JSON.parse(res.text)).toMatchObject({ error: 'A valid API key is required.' });
    }
  });
}

/**
 * A denied request is in the request log with the address the proxy saw (whatever of `spoofed` the
 * client also sent), and an address added through the management API is let through on the next
 * request. Registered last: it lists 127.0.0.3.
 *
 * @example itRecordsAndFollowsRuleChanges(proxy, { 'x-forwarded-for': '127.0.0.2' });
 */
export function itRecordsAndFollowsRuleChanges(proxy: ProxyUnderTest, spoofed: Record<string, string>): void {
  it('the request is in the request log with the client address the proxy saw', async () => {
    const s = proxy.server();
    const res = await proxy.call('127.0.0.3', '/orders/recorded', { ...keyOf(s), ...spoofed });
    const requestId = res.headers['x-request-id'] as string;
    const url = `${s.server.adminUrl}/v1/tenants/${s.world.tenants.plain}/requests/${requestId}`;
    let found: Record<string, unknown> | undefined;
    for (let i = 0; i < 40 && found === undefined; i++) {
      const r = await fetch(url, { headers: { authorization: `Bearer ${s.ownerToken}` } });
      if (r.status === 200) found = (await r.json()) as Record<string, unknown>;
      else await new Promise((done) => setTimeout(done, 100));
    }
    expect(found).toMatchObject({
      requestId,
      client: '127.0.0.3',
      method: 'GET',
      path: '/orders/recorded',
      decision: 'deny',
      stage: 'tenant-restriction',
    });
  });

  it('a rule change through the management API is enforced on the next request', async () => {
    const s = proxy.server();
    expect((await proxy.call('127.0.0.3', '/orders/8', keyOf(s))).status).toBe(403);
    const added = await fetch(
      `${s.server.adminUrl}/v1/tenants/${s.world.tenants.plain}/ip-restriction/entries`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${s.ownerToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ value: '127.0.0.3', name: 'second office' }),
      },
    );
    expect(added.status, await added.text()).toBe(201);
    expect((await proxy.call('127.0.0.3', '/orders/8', keyOf(s))).status).toBe(200);
  });
}
