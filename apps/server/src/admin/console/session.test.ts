/**
 * Console sessions against the real management app on SQLite: sign-in, the cookie's attributes, the
 * session standing in for a token, CSRF and other-origin refusals, sign-out, expiry and backoff.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnapshotEngine } from '../../snapshot/snapshot-engine.js';
import { sqliteFactory } from '../../store/test-stores.test-support.js';
import { type AdminFixture, openAdminFixture } from '../admin-fixture.test-support.js';
import { buildAdminApp } from '../app.js';
import { hashPassword } from './passwords.js';

const PASSWORD = 'correct horse battery staple';

describe('console sessions', () => {
  let f: AdminFixture;
  const sleeps: number[] = [];
  // The backoff's clock moves only by the waits it asks for, so the waits are exact.
  let clock = 0;
  beforeAll(async () => {
    f = await openAdminFixture(sqliteFactory(), {
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      now: () => clock,
    });
    const hash = await hashPassword(PASSWORD);
    const actor = { actor: 'test:session' };
    await f.store.createUser({ name: 'olga', role: 'owner', passwordHash: hash }, actor);
    await f.store.createUser({ name: 'vera', role: 'viewer', passwordHash: hash }, actor);
    await f.store.createUser(
      { name: 'ed-a', role: 'editor', tenantId: f.a.tenantId, passwordHash: hash },
      actor,
    );
  }, 30_000);
  afterAll(async () => f?.close());

  const signIn = async (name: string, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/v1/session',
      remoteAddress,
      headers: { host: 'admin.test', ...headers },
      payload: { name, password: PASSWORD },
    });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = String(res.headers['set-cookie']).split(';')[0] as string;
    return { cookie, csrf: res.json().csrfToken as string, res };
  };

  it('signs in with name and password and sets an HttpOnly, SameSite=Strict cookie (Secure over TLS)', async () => {
    const { res, csrf } = await signIn('olga');
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(
      /^ipgate_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/,
    );
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.json().user).toMatchObject({ name: 'olga', kind: 'user', role: 'owner', tenantId: null });
    expect(res.headers['cache-control']).toBe('no-store');
    const tls = await signIn('olga', { 'x-forwarded-proto': 'https' });
    expect(String(tls.res.headers['set-cookie'])).toMatch(/; Secure$/);
  });

  it('refuses a wrong password and an unknown name alike', async () => {
    for (const [name, password] of [
      ['olga', 'wrong password!!'],
      ['nobody-here', PASSWORD],
    ]) {
      const res = await f.app.inject({ method: 'POST', url: '/v1/session', payload: { name, password } });
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toMatchObject({
        code: 'IPG_AUTH_REQUIRED',
        message: 'The name or the password is wrong.',
      });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('the session reads and writes like a token, with the X-CSRF-Token header on writes', async () => {
    const { cookie, csrf } = await signIn('olga');
    const list = await f.app.inject({ url: '/v1/tenants', headers: { cookie, host: 'admin.test' } });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.length).toBeGreaterThanOrEqual(2);

    const url = `/v1/tenants/${f.a.tenantId}/ip-restriction/entries`;
    const payload = { value: '198.18.7.7', name: 'from the console' };
    const without = await f.app.inject({
      method: 'POST',
      url,
      headers: { cookie, host: 'admin.test' },
      payload,
    });
    expect(without.statusCode).toBe(403);
    expect(without.json().error.code).toBe('IPG_CSRF_REJECTED');
    const wrong = await f.app.inject({
      method: 'POST',
      url,
      headers: { cookie, host: 'admin.test', 'x-csrf-token': `${csrf.slice(1)}x` },
      payload,
    });
    expect(wrong.json().error.code).toBe('IPG_CSRF_REJECTED');

    const ok = await f.app.inject({
      method: 'POST',
      url,
      headers: { cookie, host: 'admin.test', 'x-csrf-token': csrf, origin: 'http://admin.test' },
      payload,
    });
    expect(ok.statusCode, ok.body).toBe(201);
    const audit = await f.app.inject({
      url: `/v1/tenants/${f.a.tenantId}/audit-events`,
      headers: { cookie },
    });
    const added = audit.json().items.find((e: { action: string }) => e.action === 'tenant.ip_entry.added');
    expect(added.actor).toMatch(/^user:prn_/);
  });

  it('refuses a request made by a page of another origin, even with the cookie and the CSRF token', async () => {
    const { cookie, csrf } = await signIn('olga');
    const url = `/v1/tenants/${f.a.tenantId}/ip-restriction/entries`;
    for (const headers of [
      { origin: 'http://127.0.0.1:9999' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      const read = await f.app.inject({ url, headers: { cookie, host: 'admin.test', ...headers } });
      expect(read.statusCode).toBe(403);
      expect(read.json().error.code).toBe('IPG_CSRF_REJECTED');
      const write = await f.app.inject({
        method: 'POST',
        url,
        headers: { cookie, host: 'admin.test', 'x-csrf-token': csrf, ...headers },
        payload: { value: '198.18.9.9' },
      });
      expect(write.statusCode).toBe(403);
    }
    const signInElsewhere = await f.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { host: 'admin.test', origin: 'http://evil.test' },
      payload: { name: 'olga', password: PASSWORD },
    });
    expect(signInElsewhere.json().error.code).toBe('IPG_CSRF_REJECTED');
  });

  it('roles and scopes are the user’s: a viewer cannot write, a tenant user sees one tenant', async () => {
    const viewer = await signIn('vera');
    const res = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.a.tenantId}/ip-restriction/entries`,
      headers: { cookie: viewer.cookie, 'x-csrf-token': viewer.csrf },
      payload: { value: '198.18.8.8' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('IPG_ROLE_FORBIDDEN');

    const editorA = await signIn('ed-a');
    const tenants = await f.app.inject({ url: '/v1/tenants', headers: { cookie: editorA.cookie } });
    expect(tenants.json().items.map((t: { id: string }) => t.id)).toEqual([f.a.tenantId]);
    const other = await f.app.inject({
      url: `/v1/tenants/${f.b.tenantId}`,
      headers: { cookie: editorA.cookie },
    });
    expect(other.statusCode).toBe(404);
  });

  it('GET /v1/session says who is signed in and the address the server sees', async () => {
    const { cookie, csrf } = await signIn('olga');
    const res = await f.app.inject({ url: '/v1/session', headers: { cookie }, remoteAddress: '127.0.0.9' });
    expect(res.json()).toMatchObject({
      csrfToken: csrf,
      clientAddress: '127.0.0.9',
      idleTimeoutSeconds: 1800,
    });
    expect(res.json().user.name).toBe('olga');
  });

  it('sign-out ends the session at once; its cookie no longer signs anything in', async () => {
    const { cookie, csrf } = await signIn('olga');
    const out = await f.app.inject({
      method: 'DELETE',
      url: '/v1/session',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^ipgate_session=; Path=\/; Max-Age=0; HttpOnly/);
    const after = await f.app.inject({ url: '/v1/tenants', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('IPG_AUTH_REQUIRED');
  });

  it('a new password ends every session of the user', async () => {
    const { cookie } = await signIn('vera');
    const found = await f.store.findUserByName('vera');
    await f.store.setUserPassword(found?.principal.id as string, await hashPassword(PASSWORD), {
      actor: 'test:reset',
    });
    expect((await f.app.inject({ url: '/v1/tenants', headers: { cookie } })).statusCode).toBe(401);
  });

  it('slows repeated sign-in failures for one address and for one name', async () => {
    sleeps.length = 0;
    for (let i = 0; i < 5; i++) {
      await f.app.inject({
        method: 'POST',
        url: '/v1/session',
        remoteAddress: '127.0.0.77',
        payload: { name: 'backoff-target', password: 'not the password' },
      });
    }
    expect(sleeps).toEqual([100, 200]);
    // Another address guessing the same name is slowed too.
    await f.app.inject({
      method: 'POST',
      url: '/v1/session',
      remoteAddress: '127.0.0.78',
      payload: { name: 'backoff-target', password: 'not the password' },
    });
    expect(sleeps).toEqual([100, 200, 400]);
    // Another user signing in from the guessing address waits its turn there and forgives nothing:
    // the next guess at the name, from yet another address, waits longer still.
    await signIn('vera', {}, '127.0.0.77');
    expect(sleeps).toEqual([100, 200, 400, 400]);
    const guess = await f.app.inject({
      method: 'POST',
      url: '/v1/session',
      remoteAddress: '127.0.0.79',
      payload: { name: 'backoff-target', password: 'not the password' },
    });
    expect(guess.statusCode).toBe(401);
    expect(sleeps).toEqual([100, 200, 400, 400, 800]);
  });
});

describe('console session expiry', () => {
  it('ends a session after its idle timeout and after its absolute timeout', async () => {
    const store = await sqliteFactory().open();
    const engine = createSnapshotEngine({ store });
    await engine.refresh();
    let now = Date.parse('2030-01-01T00:00:00Z');
    const app = await buildAdminApp({
      store,
      engine,
      consoleSessions: { idleTimeoutMs: 60_000, absoluteTimeoutMs: 600_000, now: () => now },
    });
    try {
      await store.createUser(
        { name: 'ana', role: 'viewer', passwordHash: await hashPassword(PASSWORD) },
        { actor: 'test:expiry' },
      );
      const signIn = async () => {
        const res = await app.inject({
          method: 'POST',
          url: '/v1/session',
          payload: { name: 'ana', password: PASSWORD },
        });
        expect(String(res.headers['set-cookie'])).toContain('Max-Age=600;');
        return String(res.headers['set-cookie']).split(';')[0] as string;
      };
      const get = (cookie: string) => app.inject({ url: '/v1/session', headers: { cookie } });

      // Idle: used every 59 s it lives on; 60 s without use ends it.
      let cookie = await signIn();
      expect((await get(cookie)).statusCode).toBe(200);
      now += 59_000;
      expect((await get(cookie)).statusCode).toBe(200);
      now += 61_000;
      const idle = await get(cookie);
      expect(idle.statusCode).toBe(401);
      expect(idle.json().error.message).toBe('The console session has expired.');

      // Absolute: kept busy, it still ends 10 minutes after sign-in.
      cookie = await signIn();
      for (let i = 0; i < 9; i++) {
        now += 59_000;
        expect((await get(cookie)).statusCode).toBe(200);
      }
      now += 60_000;
      expect((await get(cookie)).statusCode).toBe(401);
    } finally {
      await app.close();
      engine.close();
      await store.close();
    }
  });
});
