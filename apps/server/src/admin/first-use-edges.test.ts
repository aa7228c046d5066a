/**
 * What a person new to the management API trips over, each answered the way a person can act on: an empty
 * JSON body on DELETE, list warnings on add and in the list, an expiry that has passed, mode `auto`,
 * two APIs on one route, the check endpoint's validation, and observations settled by a new entry.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteFactory } from '../store/test-stores.test-support.js';
import { type AdminFixture, bearer, openAdminFixture } from './admin-fixture.test-support.js';

describe('first-use edges of the management API', () => {
  let f: AdminFixture;
  beforeAll(async () => {
    f = await openAdminFixture(sqliteFactory());
  });
  afterAll(async () => f?.close());
  const owner = () => bearer(f.tokens.all.owner);
  const actor = { actor: 'test:edges' };

  it('a DELETE that says Content-Type: application/json and sends no body is accepted', async () => {
    const tenant = await f.store.createTenant({ name: 'empty-body', ipMode: 'off' }, actor);
    const res = await f.app.inject({
      method: 'DELETE',
      url: `/v1/tenants/${tenant.id}`,
      headers: { ...owner(), 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(204);
    // A body that is there but broken is still refused, naming the problem.
    const broken = await f.app.inject({
      method: 'POST',
      url: '/v1/tenants',
      headers: { ...owner(), 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(broken.statusCode).toBe(400);
    // A POST that needs a body and gets none is told which: a validation error, not "Body cannot be empty".
    const none = await f.app.inject({
      method: 'POST',
      url: '/v1/tenants',
      headers: { ...owner(), 'content-type': 'application/json' },
    });
    expect(none.statusCode).toBe(400);
    expect(none.json().error.code).toBe('IPG_VALIDATION_FAILED');
  });

  it('the error body documents hint, in docs/errors.md and in the OpenAPI error schema', async () => {
    const page = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
    expect(page).toContain('{"error": {"code": "IPG_…", "message": "…", "field": "…", "hint": "…"}}');
    const doc = (await f.app.inject({ url: '/openapi.json' })).json();
    const bad = doc.paths['/v1/tenants'].post.responses['400'];
    const schema = bad.content['application/json'].schema;
    const error = (schema.$ref === undefined ? schema : resolve(doc, schema.$ref)).properties.error;
    expect(Object.keys(error.properties)).toEqual(['code', 'message', 'field', 'hint']);
    expect(error.properties.hint.description).toBeTruthy();
  });

  describe('entry warnings', () => {
    it('adding a wider entry after narrower ones says it covers them; the list shows every warning', async () => {
      const tenant = await f.store.createTenant({ name: 'wide', ipMode: 'off' }, actor);
      const url = `/v1/tenants/${tenant.id}/ip-restriction/entries`;
      const add = (value: string, name?: string) =>
        f.app.inject({
          method: 'POST',
          url,
          headers: owner(),
          payload: { value, ...(name ? { name } : {}) },
        });
      expect((await add('192.168.1.0/24', 'lab')).statusCode).toBe(201);
      expect((await add('192.168.2.5')).statusCode).toBe(201);
      const wide = await add('192.168.0/16', 'site');
      expect(wide.statusCode).toBe(201);
      expect(wide.json().warnings).toContainEqual({
        code: 'IPG_WARN_COVERS',
        message: 'Covers "lab" (192.168.1.0/24), entry 2 (192.168.2.5), which then change nothing.',
      });
      // An overlapping netmask entry that starts first is told it overlaps.
      const over = await add('10.0.0.0/255.255.255.0');
      const after = await add('10.0.0.128-10.0.1.10');
      expect(after.json().warnings.map((w: { code: string }) => w.code)).toContain('IPG_WARN_OVERLAPS');
      const before = await add('9.255.255.0-10.0.0.5', 'early');
      expect(before.json().warnings).toContainEqual({
        code: 'IPG_WARN_OVERLAPS',
        message: `Shares addresses with entry 4 (${over.json().canonical}).`,
      });

      const list = await f.app.inject({ url, headers: owner() });
      expect(list.statusCode).toBe(200);
      const byValue = new Map<string, string[]>(
        list
          .json()
          .items.map((e: { value: string; warnings: { code: string }[] }) => [
            e.value,
            e.warnings.map((w) => w.code),
          ]),
      );
      expect(byValue.get('192.168.1.0/24')).toContain('IPG_WARN_COVERED_BY');
      expect(byValue.get('192.168.2.5')).toContain('IPG_WARN_COVERED_BY');
      expect(byValue.get('10.0.0.128-10.0.1.10')).toContain('IPG_WARN_OVERLAPS');
      // Paging keeps the warnings of the whole list.
      const second = await f.app.inject({
        url: `${url}?limit=1&cursor=${encodeURIComponent(
          (await f.app.inject({ url: `${url}?limit=1`, headers: owner() })).json().nextCursor,
        )}`,
        headers: owner(),
      });
      expect(second.json().items[0].warnings.map((w: { code: string }) => w.code)).toContain(
        'IPG_WARN_COVERED_BY',
      );
    });

    it('an IPv4-mapped entry says it matches as IPv4', async () => {
      const res = await f.app.inject({
        method: 'POST',
        url: `/v1/apis/${f.apiId}/allowlist/entries`,
        headers: owner(),
        remoteAddress: '127.0.0.1',
        payload: { value: '::ffff:198.51.100.4' },
      });
      expect(res.statusCode).toBe(201);
      expect(res.json().warnings[0]).toMatchObject({
        code: 'IPG_WARN_IPV4_MAPPED',
        message: expect.stringContaining('198.51.100.4'),
      });
    });
  });

  it('an entry whose expiresAt has passed is refused, on add and on edit, and nothing is written', async () => {
    const tenant = await f.store.createTenant({ name: 'expired', ipMode: 'off' }, actor);
    const url = `/v1/tenants/${tenant.id}/ip-restriction/entries`;
    const past = new Date(Date.now() - 60_000).toISOString();
    const add = await f.app.inject({
      method: 'POST',
      url,
      headers: owner(),
      payload: { value: '198.51.100.9', expiresAt: past },
    });
    expect(add.statusCode).toBe(400);
    expect(add.json().error).toMatchObject({
      code: 'IPG_VALIDATION_FAILED',
      field: 'expiresAt',
      hint: expect.stringContaining('enabled: false'),
    });
    expect(await f.store.listTenantIpEntries(tenant.id)).toEqual([]);
    const ok = await f.app.inject({
      method: 'POST',
      url,
      headers: owner(),
      payload: { value: '198.51.100.9', expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(ok.statusCode).toBe(201);
    const edit = await f.app.inject({
      method: 'PATCH',
      url: `${url}/${ok.json().id}`,
      headers: owner(),
      payload: { expiresAt: past },
    });
    expect(edit.statusCode).toBe(400);
    expect(edit.json().error.field).toBe('expiresAt');
  });

  it('mode auto, which assesses now, is accepted without the old behaves-as-manual warning', async () => {
    const created = await f.app.inject({
      method: 'POST',
      url: '/v1/tenants',
      headers: owner(),
      payload: { name: 'auto', ipMode: 'auto' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().ipMode).toBe('auto');
    expect(created.json().warnings).toBeUndefined();
  });

  it('a second API on the same route is refused with 409, on create and on edit', async () => {
    const create = (payload: Record<string, unknown>) =>
      f.app.inject({
        method: 'POST',
        url: '/v1/apis',
        headers: owner(),
        payload: { upstreamUrl: 'http://127.0.0.1:9', ...payload },
      });
    const first = await create({ name: 'shop', pathPrefix: '/shop' });
    expect(first.statusCode).toBe(201);
    const again = await create({ name: 'shop2', pathPrefix: '/shop/' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({
      code: 'IPG_ALREADY_EXISTS',
      field: 'pathPrefix',
      message: expect.stringContaining(first.json().id),
    });
    // Another host is another route; so is the same prefix under a host.
    expect((await create({ name: 'shop3', pathPrefix: '/shop', host: 'shop.example.com' })).statusCode).toBe(
      201,
    );
    expect((await create({ name: 'shop4', pathPrefix: '/shop', host: 'Shop.Example.com' })).statusCode).toBe(
      409,
    );
    const other = await create({ name: 'cart', pathPrefix: '/cart' });
    const moved = await f.app.inject({
      method: 'PATCH',
      url: `/v1/apis/${other.json().id}`,
      headers: owner(),
      payload: { pathPrefix: '/shop' },
    });
    expect(moved.statusCode).toBe(409);
    // Renaming an API keeps its own route: no conflict with itself.
    const renamed = await f.app.inject({
      method: 'PATCH',
      url: `/v1/apis/${first.json().id}`,
      headers: owner(),
      payload: { name: 'shop-renamed', pathPrefix: '/shop' },
    });
    expect(renamed.statusCode).toBe(200);
  });

  describe('the check endpoint validates as every other door does', () => {
    const check = (payload: Record<string, unknown>) =>
      f.app.inject({ method: 'POST', url: `/v1/tenants/${f.a.tenantId}/check`, headers: owner(), payload });

    it('127.1 is an ambiguous IPv4 form, with a hint, as in the CLI', async () => {
      const res = await check({ address: '127.1' });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 'IPG_ADDRESS_AMBIGUOUS_IPV4',
        field: 'address',
        hint: expect.stringContaining('plain decimal'),
      });
    });

    it('an origin without a scheme is refused with the fix; null and real origins are judged', async () => {
      const bare = await check({ address: '203.0.113.1', keyId: f.a.keyId, origin: 'a.example.com' });
      expect(bare.statusCode).toBe(400);
      expect(bare.json().error).toMatchObject({
        code: 'IPG_ORIGIN_INVALID',
        field: 'origin',
        hint: 'Write it with its scheme, e.g. https://a.example.com.',
      });
      const slash = await check({ address: '203.0.113.1', origin: 'https://a.example.com/' });
      expect(slash.json().error.code).toBe('IPG_ORIGIN_INVALID');
      expect((await check({ address: '203.0.113.1', origin: 'null' })).statusCode).toBe(200);
      expect((await check({ address: '203.0.113.1', origin: 'https://a.example.com' })).statusCode).toBe(200);
    });
  });

  it('audit events name the token that acted, by id and by its name', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/v1/tenants',
      headers: bearer(f.tokens.all.editor),
      payload: { name: 'audited-by-name', ipMode: 'off' },
    });
    const tenantId = res.json().id;
    const events = await f.app.inject({ url: `/v1/tenants/${tenantId}/audit-events`, headers: owner() });
    const created = events.json().items.find((e: { action: string }) => e.action === 'tenant.created');
    expect(created.actor).toMatch(/^token:prn_/);
    expect(created.actorName).toBe('all-editor');
    const all = await f.app.inject({ url: '/v1/audit-events?limit=5', headers: owner() });
    expect(all.json().items[0]).toHaveProperty('actorName');

    // The all-tenant list filters by actor, action, target and time.
    const q = (query: string) =>
      f.app.inject({ url: `/v1/audit-events?${query}`, headers: owner() }).then((r) => r.json().items);
    const byActor = await q(`actor=${encodeURIComponent(created.actor)}`);
    expect(byActor.length).toBeGreaterThan(0);
    expect(byActor.every((e: { actor: string }) => e.actor === created.actor)).toBe(true);
    const byAction = await q('action=tenant.created&targetType=tenant&targetId=' + tenantId);
    expect(byAction.map((e: { id: string }) => e.id)).toEqual([created.id]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(await q(`since=${encodeURIComponent(future)}`)).toEqual([]);
    expect((await q(`until=${encodeURIComponent(future)}&action=tenant.created`)).length).toBeGreaterThan(0);
    const bad = await f.app.inject({ url: '/v1/audit-events?since=yesterday', headers: owner() });
    expect(bad.statusCode).toBe(400);

    // A tenant's list takes the same filters (what its console page sends).
    const tq = (query: string) =>
      f.app
        .inject({ url: `/v1/tenants/${tenantId}/audit-events?${query}`, headers: owner() })
        .then((r) => r.json().items);
    expect((await tq('action=tenant.created')).map((e: { id: string }) => e.id)).toEqual([created.id]);
    expect(await tq('action=tenant.deleted')).toEqual([]);
    expect((await tq(`actor=${encodeURIComponent(created.actor)}`)).length).toBeGreaterThan(0);
    expect(await tq('actor=token:prn_nobody')).toEqual([]);
    expect(await tq(`since=${encodeURIComponent(future)}`)).toEqual([]);
    const badTenant = await f.app.inject({
      url: `/v1/tenants/${tenantId}/audit-events?until=tomorrow`,
      headers: owner(),
    });
    expect(badTenant.statusCode).toBe(400);
  });

  it('a pending observed address becomes authorized when an entry listing it is added', async () => {
    const url = `/v1/tenants/${f.b.tenantId}/observed-ips/${f.b.observedId}`;
    expect((await f.app.inject({ url, headers: owner() })).json().status).toBe('pending');
    // A disabled entry lets nothing through and settles nothing.
    const disabled = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.b.tenantId}/ip-restriction/entries`,
      headers: owner(),
      payload: { value: '192.0.2.0/28', enabled: false },
    });
    expect(disabled.statusCode).toBe(201);
    expect((await f.app.inject({ url, headers: owner() })).json().status).toBe('pending');
    const enabled = await f.app.inject({
      method: 'PATCH',
      url: `/v1/tenants/${f.b.tenantId}/ip-restriction/entries/${disabled.json().id}`,
      headers: owner(),
      payload: { enabled: true },
    });
    expect(enabled.statusCode).toBe(200);
    const observed = (await f.app.inject({ url, headers: owner() })).json();
    expect(observed.status).toBe('authorized');
    expect(observed.reasons.at(-1)).toBe(`listed by entry ${disabled.json().id} (192.0.2.0/28)`);
    // Tenant A's pending address is another tenant's business: untouched.
    const a = await f.app.inject({
      url: `/v1/tenants/${f.a.tenantId}/observed-ips/${f.a.observedId}`,
      headers: owner(),
    });
    expect(a.json().status).toBe('pending');
  });
});

// biome-ignore lint/suspicious/noExplicitAny: a JSON document walked by path
function resolve(doc: any, ref: string): any {
  return ref
    .slice(2)
    .split('/')
    .reduce((node, part) => node[part], doc);
}
