/**
 * Holes an attack run found in the management API, each closed: what a tenant's token learns from
 * `check`, expiry as a lockout, reject undoing authorize, who may delete a tenant, the last owner,
 * names that print as something else, and error codes that name the real problem. On SQLite and
 * PostgreSQL, through the real app.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeFactories } from '../store/test-stores.test-support.js';
import { type AdminFixture, bearer, openAdminFixture } from './admin-fixture.test-support.js';

for (const factory of await storeFactories()) {
  describe.skipIf(factory.skip)(`management API hardening on ${factory.name}`, () => {
    let f: AdminFixture;
    beforeAll(async () => {
      f = await openAdminFixture(factory);
    });
    afterAll(async () => f?.close());
    const owner = () => bearer(f.tokens.all.owner);

    it("a tenant's token cannot read an API's allowlist through check, nor tell API ids apart", async () => {
      const url = `/v1/tenants/${f.a.tenantId}/check`;
      const ask = (token: string, apiId: string) =>
        f.app.inject({
          method: 'POST',
          url,
          headers: bearer(token),
          payload: { address: '127.0.0.1', apiId },
        });
      const real = await ask(f.tokens.a.viewer, f.apiId);
      const made = await ask(f.tokens.a.viewer, 'api_doesnotexist');
      expect(real.statusCode).toBe(404);
      expect(made.statusCode).toBe(404);
      expect(real.json().error.code).toBe('IPG_NOT_FOUND');
      expect(real.body).not.toContain(f.apiEntryId);
      expect(real.body.replace(f.apiId, 'X')).toBe(made.body.replace('api_doesnotexist', 'X'));
      // A token for all tenants still gets the whole answer.
      const global = await ask(f.tokens.all.viewer, f.apiId);
      expect(global.statusCode).toBe(200);
      expect(JSON.stringify(global.json().matched)).toContain(f.apiEntryId);
    });

    it('an expiry that would lock the caller out is refused unless confirmed, like a delete', async () => {
      const url = `/v1/tenants/${f.a.tenantId}/ip-restriction/entries/${f.a.entryId}`;
      const soon = new Date(Date.now() + 5_000).toISOString();
      const patch = (payload: object) =>
        f.app.inject({ method: 'PATCH', url, headers: owner(), payload, remoteAddress: '203.0.113.1' });
      const refused = await patch({ expiresAt: soon });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error).toMatchObject({ code: 'IPG_SELF_LOCKOUT', field: 'confirmLockout' });
      expect(refused.json().error.message).toContain('when the entry expires');
      // From another address it is nobody's lockout; and confirmed it goes through.
      expect(
        (
          await f.app.inject({
            method: 'PATCH',
            url,
            headers: owner(),
            payload: { expiresAt: soon },
            remoteAddress: '198.51.100.200',
          })
        ).statusCode,
      ).toBe(200);
      expect((await patch({ expiresAt: null })).statusCode).toBe(200);
      expect((await patch({ expiresAt: soon, confirmLockout: true })).statusCode).toBe(200);
      expect((await patch({ expiresAt: null, confirmLockout: true })).statusCode).toBe(200);
    });

    it('rejecting an authorized address removes the entry authorize added, and says so', async () => {
      const base = `/v1/tenants/${f.b.tenantId}/observed-ips/${f.b.observedId}`;
      const authorized = await f.app.inject({
        method: 'POST',
        url: `${base}/authorize`,
        headers: owner(),
        payload: {},
      });
      expect(authorized.statusCode).toBe(200);
      const entryId = authorized.json().entry.id as string;
      const allowedBefore = f.engine.check({ address: '192.0.2.2', tenantId: f.b.tenantId });
      expect(allowedBefore.decision.allow).toBe(true);

      const rejected = await f.app.inject({
        method: 'POST',
        url: `${base}/reject`,
        headers: owner(),
        payload: {},
      });
      expect(rejected.statusCode).toBe(200);
      expect(rejected.json()).toMatchObject({
        observed: { status: 'rejected' },
        removedEntries: [{ id: entryId, value: '192.0.2.2', source: 'review' }],
        stillListed: false,
      });
      const entries = await f.store.listTenantIpEntries(f.b.tenantId);
      expect(entries.map((e) => e.id)).not.toContain(entryId);
      expect(f.engine.check({ address: '192.0.2.2', tenantId: f.b.tenantId }).decision.allow).toBe(false);
    });

    it('deleting a tenant needs an owner, and its audit event lists what went with it', async () => {
      const t = await f.store.createTenant({ name: 'doomed' }, { actor: 'test' });
      await f.store.createKey(t.id, { name: 'k' }, { actor: 'test' });
      await f.store.addTenantIpEntry(t.id, { value: '192.0.2.77', name: 'office' }, { actor: 'test' });
      await f.store.createToken({ name: 'doomed-owner', role: 'owner', tenantId: t.id }, { actor: 'test' });
      const url = `/v1/tenants/${t.id}`;
      const byEditor = await f.app.inject({ method: 'DELETE', url, headers: bearer(f.tokens.all.editor) });
      expect(byEditor.statusCode).toBe(403);
      expect(byEditor.json().error.code).toBe('IPG_ROLE_FORBIDDEN');
      expect((await f.app.inject({ method: 'DELETE', url, headers: owner() })).statusCode).toBe(204);
      const events = await f.store.listAuditEvents(t.id, { limit: 500 });
      const deleted = events.items.find((e) => e.action === 'tenant.deleted');
      expect(deleted?.before).toMatchObject({
        id: t.id,
        removed: {
          keys: [{ name: 'k' }],
          ipEntries: [{ value: '192.0.2.77', name: 'office' }],
          principals: [{ name: 'doomed-owner', role: 'owner' }],
          observedIps: 0,
        },
      });
      expect(JSON.stringify(deleted?.before)).not.toMatch(/secret|hash/);
    });

    it('the last owner for all tenants cannot be deleted, not even by itself', async () => {
      const list = await f.app.inject({ url: '/v1/tokens?limit=100', headers: owner() });
      const me = (list.json().items as { id: string; name: string }[]).find((p) => p.name === 'all-owner');
      const refused = await f.app.inject({ method: 'DELETE', url: `/v1/tokens/${me?.id}`, headers: owner() });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error.code).toBe('IPG_LAST_OWNER');
      // With a second owner, the first may go.
      const { secret } = await f.store.createToken(
        { name: 'second-owner', role: 'owner', tenantId: null },
        { actor: 'test' },
      );
      const ok = await f.app.inject({ method: 'DELETE', url: `/v1/tokens/${me?.id}`, headers: owner() });
      expect(ok.statusCode).toBe(204);
      f.tokens.all.owner = secret;
    });

    it.each([
      ['a NUL', 'acme\u0000'],
      ['an escape sequence', 'acme\u001b[31m'],
      ['a right-to-left override', 'acme\u202Etxt.exe'],
      ['a bidi isolate', '\u2066acme'],
      ['a line break', 'acme\nroot'],
    ])('a name with %s is IPG_TEXT_INVALID, naming the field', async (_what, name) => {
      const res = await f.app.inject({
        method: 'POST',
        url: '/v1/tenants',
        headers: owner(),
        payload: { name },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'IPG_TEXT_INVALID', field: 'name' });
    });

    it('a blank name is IPG_TEXT_INVALID; markup is plain text, escaped where it is printed', async () => {
      const blank = await f.app.inject({
        method: 'POST',
        url: '/v1/tenants',
        headers: owner(),
        payload: { name: '   ' },
      });
      expect(blank.statusCode).toBe(400);
      expect(blank.json().error).toMatchObject({ code: 'IPG_TEXT_INVALID', field: 'name' });
      const markup = await f.app.inject({
        method: 'POST',
        url: '/v1/tenants',
        headers: owner(),
        payload: { name: '<script>x</script>' },
      });
      expect(markup.statusCode).toBe(201);
    });

    it('a cursor not handed out is IPG_CURSOR_INVALID, on store lists and on lists paged in memory', async () => {
      for (const url of [
        '/v1/tenants?cursor=junk',
        `/v1/tenants/${f.a.tenantId}/ip-restriction/entries?cursor=junk`,
        `/v1/tenants/${f.a.tenantId}/requests?cursor=eyJ4IjoxfQ`,
      ]) {
        const res = await f.app.inject({ url, headers: owner() });
        expect(res.statusCode, url).toBe(400);
        expect(res.json().error, url).toMatchObject({ code: 'IPG_CURSOR_INVALID', field: 'cursor' });
      }
    });

    it('rotating a revoked key is 409 IPG_KEY_REVOKED, and hands out no secret', async () => {
      const { key } = await f.store.createKey(f.a.tenantId, { name: 'old' }, { actor: 'test' });
      const base = `/v1/tenants/${f.a.tenantId}/keys/${key.id}`;
      expect(
        (await f.app.inject({ method: 'POST', url: `${base}/revoke`, headers: owner() })).statusCode,
      ).toBe(200);
      const res = await f.app.inject({ method: 'POST', url: `${base}/rotate`, headers: owner() });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('IPG_KEY_REVOKED');
      expect(res.body).not.toContain('ipg_');
    });

    it('an ipEntryLimit below the entries the list holds is 409 IPG_LIMIT_BELOW_COUNT', async () => {
      const url = `/v1/tenants/${f.a.tenantId}/ip-restriction`;
      const res = await f.app.inject({
        method: 'PATCH',
        url,
        headers: owner(),
        payload: { ipEntryLimit: 0 },
      });
      expect(res.statusCode).toBe(409);
      expect(res.json().error).toMatchObject({ code: 'IPG_LIMIT_BELOW_COUNT', field: 'ipEntryLimit' });
    });
  });
}
