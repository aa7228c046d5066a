/**
 * What writes promise: ETag/If-Match, limits, the self-lockout guard, entry warnings, and that the
 * very next decision sees the change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteFactory } from '../store/test-stores.test-support.js';
import { type AdminFixture, bearer, openAdminFixture } from './admin-fixture.test-support.js';

describe('writes', () => {
  let f: AdminFixture;
  beforeAll(async () => {
    f = await openAdminFixture(sqliteFactory());
  });
  afterAll(async () => f?.close());
  const owner = () => bearer(f.tokens.all.owner);

  it('PATCH with a stale If-Match is 412 and changes nothing; the current ETag works', async () => {
    const url = `/v1/tenants/${f.a.tenantId}`;
    const read = await f.app.inject({ url, headers: owner() });
    const etag = read.headers.etag as string;
    expect(etag).toBe(`W/"${read.json().version}"`);
    const ok = await f.app.inject({
      method: 'PATCH',
      url,
      headers: { ...owner(), 'if-match': etag },
      payload: { name: 'a2' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers.etag).toBe(`W/"${read.json().version + 1}"`);
    const stale = await f.app.inject({
      method: 'PATCH',
      url,
      headers: { ...owner(), 'if-match': etag },
      payload: { name: 'a3' },
    });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().error.code).toBe('IPG_VERSION_CONFLICT');
    const junk = await f.app.inject({
      method: 'PATCH',
      url,
      headers: { ...owner(), 'if-match': 'abc' },
      payload: { name: 'a3' },
    });
    expect(junk.statusCode).toBe(412);
    expect(junk.json().error.code).toBe('IPG_PRECONDITION_FAILED');
    expect((await f.app.inject({ url, headers: owner() })).json().name).toBe('a2');
  });

  it('DELETE of an entry with a stale If-Match is 412 and the entry stays', async () => {
    const url = `/v1/tenants/${f.b.tenantId}/keys/${f.b.keyId}/restrictions/domains/${f.b.keyDomainId}`;
    const res = await f.app.inject({ method: 'DELETE', url, headers: { ...owner(), 'if-match': 'W/"99"' } });
    expect(res.statusCode).toBe(412);
    const list = await f.app.inject({ url: url.replace(/\/[^/]+$/, ''), headers: owner() });
    expect(list.json().items.map((e: { id: string }) => e.id)).toContain(f.b.keyDomainId);
  });

  it("a key's IP list stops at the tenant's limit with 409", async () => {
    const url = `/v1/tenants/${f.b.tenantId}/keys/${f.b.keyId}/restrictions/ips`;
    const statuses: number[] = [];
    for (let i = 10; i < 16; i++) {
      statuses.push(
        (await f.app.inject({ method: 'POST', url, headers: owner(), payload: { value: `203.0.113.${i}` } }))
          .statusCode,
      );
    }
    // One was seeded; the default limit is 5.
    expect(statuses).toEqual([201, 201, 201, 201, 409, 409]);
    const summary = await f.app.inject({ url: url.replace(/\/ips$/, ''), headers: owner() });
    expect(summary.json().ips).toEqual({ enabled: true, count: 5, limit: 5 });
  });

  it('add answers with warnings about the entry and about the list', async () => {
    const url = `/v1/tenants/${f.a.tenantId}/ip-restriction/entries`;
    const wide = await f.app.inject({
      method: 'POST',
      url,
      headers: owner(),
      payload: { value: '203.0.113.0/24', name: 'net' },
    });
    expect(wide.statusCode).toBe(201);
    const all = await f.app.inject({
      method: 'POST',
      url,
      headers: owner(),
      payload: { value: '0.0.0.0/0' },
    });
    expect(all.json().warnings.map((w: { code: string }) => w.code)).toContain('IPG_WARN_COVERS_ALL');
    const del = await f.app.inject({
      method: 'DELETE',
      url: `${url}/${all.json().id}?confirmLockout=true`,
      headers: owner(),
    });
    expect(del.statusCode).toBe(204);
    const covered = await f.app.inject({
      method: 'POST',
      url,
      headers: owner(),
      payload: { value: '203.0.113.99' },
    });
    // 203.0.113.0/24 is a documentation range, so core also calls it non-public.
    expect(covered.json().warnings).toContainEqual({
      code: 'IPG_WARN_COVERED_BY',
      message: 'Already covered by "net" (203.0.113.0/24).',
    });
  });

  it('the next check sees a change at once (the engine is refreshed before the answer)', async () => {
    const check = () =>
      f.app.inject({
        method: 'POST',
        url: `/v1/tenants/${f.b.tenantId}/check`,
        headers: owner(),
        payload: { address: '198.51.100.77' },
      });
    expect((await check()).json()).toMatchObject({ allow: false, reason: 'tenant-ip-not-listed' });
    await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.b.tenantId}/ip-restriction/entries`,
      headers: owner(),
      payload: { value: '198.51.100.77', name: 'new' },
    });
    expect((await check()).json()).toMatchObject({
      allow: true,
      matched: [{ name: 'new', value: '198.51.100.77' }],
    });
  });

  describe('self-lockout guard', () => {
    const me = '203.0.113.200';
    it("refuses a mode change that denies the caller's own address unless confirmed", async () => {
      const tenant = await f.store.createTenant({ name: 'lock', ipMode: 'off' }, { actor: 't' });
      const url = `/v1/tenants/${tenant.id}/ip-restriction`;
      const refused = await f.app.inject({
        method: 'PATCH',
        url,
        headers: owner(),
        remoteAddress: me,
        payload: { mode: 'manual' },
      });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error).toMatchObject({ code: 'IPG_SELF_LOCKOUT', field: 'confirmLockout' });
      expect((await f.store.getTenant(tenant.id)).ipMode).toBe('off');
      const confirmed = await f.app.inject({
        method: 'PATCH',
        url,
        headers: owner(),
        remoteAddress: me,
        payload: { mode: 'manual', confirmLockout: true },
      });
      expect(confirmed.statusCode).toBe(200);
      expect(confirmed.json().mode).toBe('manual');
    });

    it("refuses removing or disabling the entry that allows the caller, and allows it for someone else's address", async () => {
      const tenant = await f.store.createTenant({ name: 'lock2', ipMode: 'manual' }, { actor: 't' });
      const entry = await f.store.addTenantIpEntry(tenant.id, { value: me }, { actor: 't' });
      const url = `/v1/tenants/${tenant.id}/ip-restriction/entries/${entry.id}`;
      const del = await f.app.inject({ method: 'DELETE', url, headers: owner(), remoteAddress: me });
      expect(del.statusCode).toBe(409);
      const off = await f.app.inject({
        method: 'PATCH',
        url,
        headers: owner(),
        remoteAddress: me,
        payload: { enabled: false },
      });
      expect(off.statusCode).toBe(409);
      const elsewhere = await f.app.inject({
        method: 'PATCH',
        url,
        headers: owner(),
        remoteAddress: '192.0.2.50',
        payload: { enabled: false },
      });
      expect(elsewhere.statusCode).toBe(200);
      const confirmed = await f.app.inject({
        method: 'DELETE',
        url: `${url}?confirmLockout=true`,
        headers: owner(),
        remoteAddress: me,
      });
      expect(confirmed.statusCode).toBe(204);
    });

    it('refuses the first entry of an empty API allowlist that does not list the caller', async () => {
      const api = await f.store.createApi(
        { name: 'x', pathPrefix: '/x', upstreamUrl: 'http://127.0.0.1:9' },
        { actor: 't' },
      );
      const url = `/v1/apis/${api.id}/allowlist/entries`;
      const refused = await f.app.inject({
        method: 'POST',
        url,
        headers: owner(),
        remoteAddress: me,
        payload: { value: '192.0.2.0/24' },
      });
      expect(refused.statusCode).toBe(409);
      expect(await f.store.listApiAllowlistEntries(api.id)).toEqual([]);
      const mine = await f.app.inject({
        method: 'POST',
        url,
        headers: owner(),
        remoteAddress: me,
        payload: { value: `${me}/32` },
      });
      expect(mine.statusCode).toBe(201);
    });
  });
});
