/**
 * The authentication backoff over real sockets (docs/security.md#admin-authentication-backoff): wrong
 * tokens sent at once each take their own turn, a valid token of another principal from the same
 * address forgives nothing, and only the guessed token's own success starts its prefix afresh.
 */
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnapshotEngine } from '../../snapshot/snapshot-engine.js';
import type { Store } from '../../store/store.js';
import { sqliteFactory } from '../../store/test-stores.test-support.js';
import { buildAdminApp } from '../app.js';
import type { AdminApp } from '../routes/context.js';

const BASE_MS = 40;
const MAX_MS = 320;

describe('admin authentication backoff over HTTP', () => {
  let store: Store;
  let app: AdminApp;
  let url: string;
  const waits: number[] = [];
  /** When each waiting attempt's turn came, by the real clock. */
  const turns: number[] = [];
  const agents = new Map<string, Agent>();
  let victim = '';
  let other = '';

  beforeAll(async () => {
    store = await sqliteFactory().open();
    const engine = createSnapshotEngine({ store });
    await engine.refresh();
    const actor = { actor: 'test:backoff' };
    victim = (await store.createToken({ name: 'victim', role: 'owner' }, actor)).secret;
    other = (await store.createToken({ name: 'attacker-own', role: 'viewer' }, actor)).secret;
    app = await buildAdminApp({
      store,
      engine,
      authBackoff: {
        baseDelayMs: BASE_MS,
        maxDelayMs: MAX_MS,
        sleep: async (ms) => {
          waits.push(ms);
          turns.push(Date.now() + ms);
          await new Promise((r) => setTimeout(r, ms));
        },
      },
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([...agents.values()].map((a) => a.close()));
    await store?.close();
  });

  /** GET /v1/tenants with a bearer token, from a given loopback address. */
  const get = async (token: string, from: string) => {
    let agent = agents.get(from);
    if (agent === undefined) {
      agent = new Agent({ localAddress: from, connections: 64, pipelining: 0 });
      agents.set(from, agent);
    }
    const res = await request(`${url}/v1/tenants`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.body.json()) as { error?: { code: string } };
    return { status: res.statusCode, code: body.error?.code, retryAfter: res.headers['retry-after'] };
  };
  /** A wrong token that shares the victim token's public prefix. */
  const guess = (i: number) => `${victim.slice(0, 12)}${String(i).padStart(43, 'x')}`;

  it('answers wrong tokens sent at once one turn after another, and refuses the rest unchecked', async () => {
    turns.length = 0;
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => get(guess(i), '127.0.0.11')));
    const checked = answers.filter((a) => a.status === 401);
    const refused = answers.filter((a) => a.status === 429);
    // Three free, then turns at 40, 40+80, 40+80+160 ms; the next would be more than 320 ms away.
    expect(checked).toHaveLength(6);
    expect(checked.every((a) => a.code === 'IPG_AUTH_REQUIRED')).toBe(true);
    expect(refused).toHaveLength(6);
    for (const r of refused) {
      expect(r.code).toBe('IPG_AUTH_THROTTLED');
      expect(r.retryAfter).toBe('1');
    }
    // Each waited for the one before it plus its own delay: no single delay they all passed at once.
    const [a = 0, b = 0, c = 0, ...rest] = [...turns].sort((x, y) => x - y);
    expect(rest).toEqual([]);
    expect(b - a).toBeGreaterThanOrEqual(2 * BASE_MS - 1);
    expect(c - b).toBeGreaterThanOrEqual(4 * BASE_MS - 1);
  });

  it('a valid token of another principal from the same address forgives nothing', async () => {
    await new Promise((r) => setTimeout(r, MAX_MS + 50)); // let the queue of the last test drain
    waits.length = 0;
    // The attacker's own token works (after waiting its turn from this address) …
    expect((await get(other, '127.0.0.11')).status).toBe(200);
    // … but the next guess at the victim's prefix, from a fresh address, is still slowed.
    const next = await get(guess(100), '127.0.0.12');
    expect(next.status).toBe(401);
    expect(waits.at(-1)).toBeGreaterThan(MAX_MS / 2);
  });

  it('the guessed token’s own success starts its prefix afresh', async () => {
    await new Promise((r) => setTimeout(r, MAX_MS + 50));
    expect((await get(victim, '127.0.0.13')).status).toBe(200);
    waits.length = 0;
    expect((await get(guess(200), '127.0.0.14')).status).toBe(401);
    expect(waits).toEqual([]);
  });

  it('a client with a valid token is not queued: its concurrent requests all pass at once', async () => {
    // A store that takes 20 ms to find a token, as a database across a network does: requests overlap.
    const slow = new Proxy(store, {
      get(target, name, receiver) {
        if (name === 'findTokenBySecret')
          return async (secret: string) => {
            await new Promise((r) => setTimeout(r, 20));
            return target.findTokenBySecret(secret);
          };
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const slowWaits: number[] = [];
    const slowApp = await buildAdminApp({
      store: slow,
      engine: createSnapshotEngine({ store }),
      authBackoff: {
        baseDelayMs: BASE_MS,
        maxDelayMs: MAX_MS,
        sleep: async (ms) => {
          slowWaits.push(ms);
          await new Promise((r) => setTimeout(r, ms));
        },
      },
    });
    const slowUrl = await slowApp.listen({ host: '127.0.0.1', port: 0 });
    const agent = new Agent({ localAddress: '127.0.0.14', connections: 64, pipelining: 0 });
    try {
      const actor = { actor: 'test:backoff' };
      const made = await store.createToken({ name: 'busy-client', role: 'viewer' }, actor);
      const call = async () => {
        const res = await request(`${slowUrl}/v1/tenants`, {
          dispatcher: agent,
          headers: { authorization: `Bearer ${made.secret}` },
        });
        await res.body.dump();
        return res.statusCode;
      };
      expect(await call()).toBe(200);
      const statuses = await Promise.all(Array.from({ length: 40 }, call));
      expect(statuses).toEqual(Array(40).fill(200));
      // None of them took a turn in the backoff.
      expect(slowWaits.filter((ms) => ms > 0)).toEqual([]);
      // Skipping the backoff is not skipping the check: a token deleted meanwhile is refused at once.
      await store.deletePrincipal(made.principal.id, actor);
      expect(await call()).toBe(401);
    } finally {
      await agent.close();
      await slowApp.close();
    }
  });
});
