import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeActionLinks } from '../../notify/review-links.js';
import { hashSecret } from '../../secrets/secrets.js';
import { createSnapshotEngine } from '../../snapshot/snapshot-engine.js';
import { openSqliteStore } from '../../store/sqlite.js';
import type { Store } from '../../store/store.js';
import { buildAdminApp } from '../app.js';
import { hashPassword } from '../console/passwords.js';
import type { AdminApp } from '../routes/context.js';

/**
 * The action pages on their own: expired links, the sign-in setting, and request logs that never
 * carry a token. (The whole flow from a real email is in notify/review-email-flow.test.ts.)
 */
describe('one-click action pages', () => {
  let store: Store;
  let app: AdminApp;
  let tenantId: string;
  let observedId: string;
  let editorToken: string;
  let channelId: string;
  const logged: string[] = [];
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  beforeAll(async () => {
    store = await openSqliteStore({ path: ':memory:' });
    const actor = { actor: 'test' };
    tenantId = (await store.createTenant({ name: 'Pages' }, actor)).id;
    const keyId = (await store.createKey(tenantId, { name: 'ci' }, actor)).key.id;
    await store.recordObservations([
      {
        tenantId,
        keyId,
        address: '203.0.113.9',
        firstAt: new Date(),
        lastAt: new Date(),
        count: 2,
        status: 'pending',
      },
    ]);
    observedId = (await store.listObservedIps(tenantId)).items[0]?.id as string;
    channelId = (
      await store.notifications.createChannel(
        tenantId,
        { kind: 'email', name: 'owner', target: 'owner@example.com' },
        actor,
      )
    ).channel.id;
    editorToken = (await store.createToken({ name: 'ed', role: 'editor', tenantId }, actor)).secret;
    const engine = createSnapshotEngine({ store });
    await engine.refresh();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(chunk.toString('utf8'));
        done();
      },
    });
    app = await buildAdminApp({
      store,
      engine,
      logger: pino({ level: 'info' }, sink),
      review: { publicUrl: () => 'https://ipgate.example.com', requireSignIn: true },
    });
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  const links = (ttlMs = 3600_000, now = new Date()) =>
    makeActionLinks(
      store.notifications,
      { publicUrl: 'https://ipgate.example.com', ttlMs },
      { tenantId, observedId, recipient: 'email link, owner@example.com', channelId },
      now,
    );
  const path = (url: string) => new URL(url).pathname;

  it('an expired link gets a clear page and changes nothing, on GET and POST', async () => {
    const old = await links(60_000, new Date(Date.now() - 3600_000));
    for (const method of ['GET', 'POST'] as const) {
      const r = await app.inject({ method, url: path(old.authorize), headers: form, payload: '' });
      expect(r.statusCode).toBe(410);
      expect(r.body).toContain('This link has expired');
      expect(r.headers['cache-control']).toBe('no-store');
    }
    expect((await store.getObservedIp(tenantId, observedId)).status).toBe('pending');
  });

  it('with sign-in required, authorize asks for an editor token; without one nothing changes and the link still works', async () => {
    const l = await links();
    const page = await app.inject({ method: 'GET', url: path(l.authorize) });
    expect(page.body).toContain('name="adminToken"');
    expect(page.headers['content-security-policy']).toMatch(/form-action 'self'/);
    const none = await app.inject({ method: 'POST', url: path(l.authorize), headers: form, payload: '' });
    expect(none.statusCode).toBe(401);
    const wrong = await app.inject({
      method: 'POST',
      url: path(l.authorize),
      headers: form,
      payload: 'adminToken=ipg_adm_nope',
    });
    expect(wrong.statusCode).toBe(401);
    expect((await store.getObservedIp(tenantId, observedId)).status).toBe('pending');
    const ok = await app.inject({
      method: 'POST',
      url: path(l.authorize),
      headers: form,
      payload: `adminToken=${encodeURIComponent(editorToken)}`,
    });
    expect(ok.statusCode).toBe(200);
    expect((await store.getObservedIp(tenantId, observedId)).status).toBe('authorized');
    const events = (await store.listAuditEvents(tenantId)).items;
    expect(events[0]?.actor).toMatch(/^token:prn_\S+ via email link, owner@example\.com$/);
    // Reject-and-rotate does not weaken security: its form asks for no token.
    expect((await app.inject({ method: 'GET', url: path(l['reject-and-rotate']) })).body).not.toContain(
      'adminToken',
    );
  });

  it('with sign-in required, a signed-in console editor of the tenant confirms by the session cookie', async () => {
    const user = await store.createUser(
      {
        name: 'alice',
        role: 'editor',
        tenantId,
        passwordHash: await hashPassword('correct horse battery staple'),
      },
      { actor: 'test' },
    );
    const { secret } = await store.createConsoleSession(user.id, new Date(), new Date(Date.now() + 3600_000));
    const l = await links();
    const cookie = `ipgate_session=${secret}`;
    const page = await app.inject({ method: 'GET', url: path(l['stop-reviewing']) });
    expect(page.body).toContain('signed in to the console');
    const ok = await app.inject({
      method: 'POST',
      url: path(l['stop-reviewing']),
      headers: { ...form, cookie },
      payload: '',
    });
    expect(ok.statusCode).toBe(200);
    expect((await store.getTenant(tenantId)).ipMode).toBe('off');
    const events = (await store.listAuditEvents(tenantId)).items;
    expect(events[0]?.actor).toBe(`user:${user.id} via email link, owner@example.com`);
  });

  it('the stored token is only a hash, and no request log line carries a token', async () => {
    const l = await links();
    const token = /(ipg_rev_[A-Za-z0-9_-]+)/.exec(l.authorize)?.[1] as string;
    expect(await store.notifications.findActionToken(token)).toBeUndefined();
    expect(await store.notifications.findActionToken(hashSecret(token))).toBeDefined();
    await app.inject({ method: 'GET', url: path(l.authorize) });
    await app.inject({ method: 'HEAD', url: path(l.authorize) });
    await app.inject({ method: 'POST', url: path(l.authorize), headers: form, payload: '' });
    const all = logged.join('');
    expect(all).toContain('/review/…');
    expect(all).not.toMatch(/ipg_rev_/);
  });
});

describe('a one-click action whose refresh fails afterwards', () => {
  it('still shows what was done (the new secret) and keeps the link used', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    const actor = { actor: 'test' };
    const tenantId = (await store.createTenant({ name: 'Refresh' }, actor)).id;
    const keyId = (await store.createKey(tenantId, { name: 'ci' }, actor)).key.id;
    const at = new Date();
    await store.recordObservations([
      { tenantId, keyId, address: '203.0.113.7', firstAt: at, lastAt: at, count: 1, status: 'pending' },
    ]);
    const observedId = (await store.listObservedIps(tenantId)).items[0]?.id as string;
    const real = createSnapshotEngine({ store });
    await real.refresh();
    let failing = false;
    // The engine as the app sees it, with a refresh that fails once the action is committed (the
    // store gone between the action's write and the node's read).
    const engine = new Proxy(real, {
      get(target, name) {
        if (name === 'refresh' && failing) return () => Promise.reject(new Error('the store went away'));
        const value = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const app = await buildAdminApp({
      store,
      engine,
      logger: pino({ level: 'silent' }),
      review: { publicUrl: () => 'https://ipgate.example.com', requireSignIn: false },
    });
    try {
      const { channel } = await store.notifications.createChannel(
        tenantId,
        { kind: 'email', name: 'owner', target: 'owner@example.com' },
        actor,
      );
      const l = await makeActionLinks(
        store.notifications,
        { publicUrl: 'https://ipgate.example.com', ttlMs: 3600_000 },
        { tenantId, observedId, recipient: 'email link, owner@example.com', channelId: channel.id },
      );
      const url = new URL(l['reject-and-rotate']).pathname;
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      failing = true;
      const done = await app.inject({ method: 'POST', url, headers: form, payload: '' });
      expect(done.statusCode).toBe(200);
      expect(done.body).toContain('is rejected');
      expect(done.body).toMatch(/ipg_live_\w+/);
      expect((await store.getObservedIp(tenantId, observedId)).status).toBe('rejected');
      const again = await app.inject({ method: 'POST', url, headers: form, payload: '' });
      expect(again.body).toContain('This link was used');
    } finally {
      await app.close();
      real.close();
      await store.close();
    }
  });
});
