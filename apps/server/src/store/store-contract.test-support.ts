/**
 * The contract every `Store` implementation keeps (one suite, run against SQLite and PostgreSQL:
 * docs/architecture/storage.md#the-store). Each `*-store.test.ts` calls {@link storeContract} with its
 * factory.
 *
 * Most tests share one store per run and isolate themselves by creating their own tenants; tests
 * that need a store to themselves (concurrency, durability) open their own.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { IpGateError } from '@ipgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleAssessment } from '../review/assessment.test-support.js';
import { allRules } from './all-rules.test-support.js';
import type { Observation, RequestRecord, Store, Tenant } from './store.js';
import type { StoreFactory } from './test-stores.test-support.js';

const ACTOR = 'user:contract';
const as = { actor: ACTOR };

/** What a rejected call must carry. */
interface Expected {
  readonly code?: string;
  readonly status?: number;
  readonly field?: string;
  readonly index?: number;
}

/**
 * Defines the contract suite for one store kind.
 *
 * @example
 * storeContract(sqliteFactory());
 */
export function storeContract(factory: StoreFactory): void {
  describe.skipIf(factory.skip)(`Store contract on ${factory.name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await factory.open({ apiAllowlistEntryLimit: 3 });
    });
    afterAll(async () => {
      await store?.close();
    });

    it('has an id of its own, kept across reopening, different from another store', async () => {
      const { location, dispose } = await factory.createLocation();
      try {
        const first = await factory.openAt(location);
        const id = await first.storeId();
        await first.close();
        const again = await factory.openAt(location);
        expect(await again.storeId()).toBe(id);
        await again.close();
        expect(id).toMatch(/^sto_[0-9a-f]{32}$/);
        expect(await store.storeId()).not.toBe(id);
      } finally {
        await dispose();
      }
    });

    /** Runs `call`, expects an IpGateError like `expected`, and that no change was committed. */
    async function rejects(call: () => Promise<unknown>, expected: Expected): Promise<IpGateError> {
      const before = await store.currentVersion();
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, 'the call should have failed').toBeInstanceOf(IpGateError);
      expect(error).toMatchObject(expected);
      expect(await store.currentVersion(), 'a failed call must write no change').toBe(before);
      return error as IpGateError;
    }

    /** Runs `call` and expects exactly one change of `action` with its audit event. */
    async function changes<T>(
      action: string,
      call: () => Promise<T>,
      scope: { tenantId?: string | null; keyId?: string | null; apiId?: string | null } = {},
    ): Promise<T> {
      const before = await store.currentVersion();
      const result = await call();
      const after = await store.changesSince(before);
      expect(after.map((c) => c.kind)).toEqual([action]);
      expect(after[0]).toMatchObject(scope);
      const [event] = (await store.listAllAuditEvents({ limit: 1 })).items;
      expect(event).toMatchObject({ action, actor: ACTOR, changeVersion: after[0]?.version });
      return result;
    }

    const tenant = (name = 'Acme', extra: Partial<Parameters<Store['createTenant']>[0]> = {}) =>
      store.createTenant({ name, ...extra }, as);

    describe('tenants', () => {
      it('creates with defaults, reads, and audits the creation', async () => {
        const t = await changes('tenant.created', () => tenant('Acme  '));
        expect(t).toMatchObject({
          name: 'Acme',
          ipMode: 'manual',
          ipEntryLimit: 100,
          keyIpLimit: 5,
          keyDomainLimit: 5,
          enforce: true,
          version: 1,
        });
        expect(t.createdAt).toBeInstanceOf(Date);
        expect(await store.getTenant(t.id)).toEqual(t);
        const [event] = (await store.listAuditEvents(t.id)).items;
        expect(event).toMatchObject({ tenantId: t.id, targetType: 'tenant', targetId: t.id, before: null });
        expect((event?.after as Tenant | undefined)?.name).toBe('Acme');
      });

      it.each([
        [{ name: '' }, 'name'],
        [{ name: 'x'.repeat(201) }, 'name'],
        [{ name: 'A', ipMode: 'strict' }, 'ipMode'],
        [{ name: 'A', ipEntryLimit: -1 }, 'ipEntryLimit'],
        [{ name: 'A', keyIpLimit: 1.5 }, 'keyIpLimit'],
        [{ name: 'A', keyDomainLimit: '5' }, 'keyDomainLimit'],
        [{ name: 'A', enforce: 'no' }, 'enforce'],
      ])('refuses bad input %j on field %s', async (input, field) => {
        await rejects(() => store.createTenant(input as never, as), { status: 400, field });
      });

      it('refuses a change without an actor', async () => {
        await rejects(() => store.createTenant({ name: 'A' }, { actor: '' }), {
          status: 400,
          field: 'actor',
        });
      });

      it('updates with the expected version, and refuses a stale one writing nothing', async () => {
        const t = await tenant();
        const u = await changes('tenant.ip_mode.changed', () =>
          store.updateTenant(t.id, { ipMode: 'auto', ipEntryLimit: 7 }, { ...as, expectedVersion: 1 }),
        );
        expect(u).toMatchObject({ ipMode: 'auto', ipEntryLimit: 7, version: 2 });
        await rejects(() => store.updateTenant(t.id, { name: 'B' }, { ...as, expectedVersion: 1 }), {
          code: 'IPG_VERSION_CONFLICT',
          field: 'version',
        });
        await rejects(() => store.updateTenant(t.id, { ipMode: 'none' as never }, as), {
          status: 400,
          field: 'ipMode',
        });
        expect(await store.getTenant(t.id)).toEqual(u);
        // The same mode again is no mode change.
        await changes('tenant.updated', () =>
          store.updateTenant(t.id, { ipMode: 'auto', ipEntryLimit: 8 }, as),
        );
        const [modeEvent] = (await store.listAuditEvents(t.id)).items.filter(
          (e) => e.action === 'tenant.ip_mode.changed',
        );
        expect(modeEvent).toMatchObject({ before: { ipMode: 'manual' }, after: { ipMode: 'auto' } });
      });

      it('deletes with everything it owns; its audit events stay', async () => {
        const t = await tenant();
        const { key } = await store.createKey(t.id, { name: 'k' }, as);
        await store.addTenantIpEntry(t.id, { value: '192.0.2.1' }, as);
        await store.addKeyIpEntry(t.id, key.id, { value: '192.0.2.2' }, as);
        await rejects(() => store.deleteTenant(t.id, { ...as, expectedVersion: 9 }), {
          code: 'IPG_VERSION_CONFLICT',
        });
        await changes('tenant.deleted', () => store.deleteTenant(t.id, as), { tenantId: t.id });
        await rejects(() => store.getTenant(t.id), { code: 'IPG_NOT_FOUND', status: 404 });
        await rejects(() => store.getKey(t.id, key.id), { code: 'IPG_NOT_FOUND' });
        const rules = await allRules(store);
        expect(rules.keys.some((k) => k.key.id === key.id)).toBe(false);
        expect(rules.tenants.some((r) => r.tenant.id === t.id)).toBe(false);
        expect((await store.listAuditEvents(t.id)).items[0]?.action).toBe('tenant.deleted');
      });

      it.each(['getTenant', 'updateTenant', 'deleteTenant'] as const)(
        '%s of a missing tenant is IPG_NOT_FOUND',
        async (op) => {
          const call = {
            getTenant: () => store.getTenant('ten_missing'),
            updateTenant: () => store.updateTenant('ten_missing', { name: 'x' }, as),
            deleteTenant: () => store.deleteTenant('ten_missing', as),
          }[op];
          await rejects(call, { code: 'IPG_NOT_FOUND', status: 404 });
        },
      );

      it('pages through tenants oldest first without gaps or repeats', async () => {
        for (let i = 0; i < 5; i++) await tenant(`page ${i}`);
        const all = (await store.listTenants({ limit: 500 })).items;
        const paged = await collect((cursor) => store.listTenants({ limit: 2, cursor }));
        expect(paged.map((t) => t.id)).toEqual(all.map((t) => t.id));
        const times = all.map((t) => t.createdAt.getTime());
        expect([...times].sort((a, b) => a - b)).toEqual(times);
        await rejects(() => store.listTenants({ limit: 0 }), { status: 400, field: 'limit' });
        await rejects(() => store.listTenants({ limit: 501 }), { status: 400, field: 'limit' });
        await rejects(() => store.listTenants({ cursor: 'garbage' }), { status: 400, field: 'cursor' });
      });
    });

    describe('tenant IP entries', () => {
      it('adds, reads, updates and removes, one audited change each', async () => {
        const t = await tenant();
        const e = await changes(
          'tenant.ip_entry.added',
          () =>
            store.addTenantIpEntry(t.id, { value: ' 10.0.0.0/255.0.0.0 ', name: 'office', reason: 'hq' }, as),
          { tenantId: t.id },
        );
        expect(e).toMatchObject({
          tenantId: t.id,
          value: '10.0.0.0/255.0.0.0',
          canonical: '10.0.0.0/8',
          type: 'range',
          enabled: true,
          expiresAt: null,
          source: 'manual',
          reason: 'hq',
          createdBy: ACTOR,
          version: 1,
        });
        expect(await store.getTenantIpEntry(t.id, e.id)).toEqual(e);
        const expiresAt = new Date('2031-01-01T00:00:00.000Z');
        const u = await changes('tenant.ip_entry.updated', () =>
          store.updateTenantIpEntry(
            t.id,
            e.id,
            { enabled: false, expiresAt, value: '10.1.2.3' },
            { ...as, expectedVersion: 1 },
          ),
        );
        expect(u).toMatchObject({ enabled: false, expiresAt, canonical: '10.1.2.3', type: 'ip', version: 2 });
        await rejects(
          () => store.updateTenantIpEntry(t.id, e.id, { name: 'x' }, { ...as, expectedVersion: 1 }),
          {
            code: 'IPG_VERSION_CONFLICT',
          },
        );
        await rejects(() => store.removeTenantIpEntry(t.id, e.id, { ...as, expectedVersion: 1 }), {
          code: 'IPG_VERSION_CONFLICT',
        });
        expect(await store.listTenantIpEntries(t.id)).toEqual([u]);
        await changes('tenant.ip_entry.removed', () =>
          store.removeTenantIpEntry(t.id, e.id, { ...as, expectedVersion: 2 }),
        );
        expect(await store.listTenantIpEntries(t.id)).toEqual([]);
      });

      it('refuses a second entry with the same canonical form, naming the first', async () => {
        const t = await tenant();
        const first = await store.addTenantIpEntry(t.id, { value: '192.0.2.0/24', name: 'lab' }, as);
        const error = await rejects(
          () => store.addTenantIpEntry(t.id, { value: '192.0.2.0/255.255.255.0' }, as),
          {
            code: 'IPG_ALREADY_EXISTS',
            field: 'value',
          },
        );
        expect(error.message).toContain(first.id);
        const other = await store.addTenantIpEntry(t.id, { value: '192.0.3.0/24' }, as);
        await rejects(() => store.updateTenantIpEntry(t.id, other.id, { value: '192.0.2.0/24' }, as), {
          code: 'IPG_ALREADY_EXISTS',
        });
      });

      it.each([
        [{ value: '10.0.0.1/8' }, 'value'],
        [{ value: 'not an address' }, 'value'],
        [{ value: 42 }, 'value'],
        [{ value: '10.0.0.1', enabled: 'yes' }, 'enabled'],
        [{ value: '10.0.0.1', expiresAt: 'tomorrow' }, 'expiresAt'],
        [{ value: '10.0.0.1', source: 'magic' }, 'source'],
        [{ value: '10.0.0.1', name: 'n'.repeat(201) }, 'name'],
      ])('refuses bad input %j on field %s, writing nothing', async (input, field) => {
        const t = await tenant();
        await rejects(() => store.addTenantIpEntry(t.id, input as never, as), { status: 400, field });
        expect(await store.listTenantIpEntries(t.id)).toEqual([]);
      });

      it('keeps tenants apart: another tenant’s entry is IPG_NOT_FOUND everywhere', async () => {
        const a = await tenant('A');
        const b = await tenant('B');
        const e = await store.addTenantIpEntry(a.id, { value: '198.51.100.1' }, as);
        await rejects(() => store.getTenantIpEntry(b.id, e.id), { code: 'IPG_NOT_FOUND' });
        await rejects(() => store.updateTenantIpEntry(b.id, e.id, { name: 'x' }, as), {
          code: 'IPG_NOT_FOUND',
        });
        await rejects(() => store.removeTenantIpEntry(b.id, e.id, as), { code: 'IPG_NOT_FOUND' });
        await rejects(() => store.listTenantIpEntries('ten_missing'), { code: 'IPG_NOT_FOUND' });
        await rejects(() => store.addTenantIpEntry('ten_missing', { value: '10.0.0.1' }, as), {
          code: 'IPG_NOT_FOUND',
        });
        expect(await store.listTenantIpEntries(b.id)).toEqual([]);
        expect(await store.getTenantIpEntry(a.id, e.id)).toEqual(e);
      });

      it('refuses additions beyond the tenant limit, and a limit below what the list holds', async () => {
        const t = await tenant('A', { ipEntryLimit: 2 });
        await store.addTenantIpEntry(t.id, { value: '10.0.0.1' }, as);
        await store.addTenantIpEntry(t.id, { value: '10.0.0.2' }, as);
        await rejects(() => store.addTenantIpEntry(t.id, { value: '10.0.0.3' }, as), {
          code: 'IPG_LIMIT_REACHED',
          status: 409,
        });
        // Lowering the limit below the count would leave a surplus nobody decided about: refused.
        await rejects(() => store.updateTenant(t.id, { ipEntryLimit: 1 }, as), {
          code: 'IPG_LIMIT_BELOW_COUNT',
          status: 409,
          field: 'ipEntryLimit',
        });
        expect(await store.listTenantIpEntries(t.id)).toHaveLength(2);
        expect((await store.getTenant(t.id)).ipEntryLimit).toBe(2);
        await store.updateTenant(t.id, { ipEntryLimit: 2 }, as);
      });

      it("refuses a key list limit below what one of the tenant's keys holds", async () => {
        const t = await tenant('A', { keyIpLimit: 5 });
        const { key } = await store.createKey(t.id, { name: 'k', ipRestrictionEnabled: true }, as);
        await store.addKeyIpEntry(t.id, key.id, { value: '10.0.0.1' }, as);
        await store.addKeyIpEntry(t.id, key.id, { value: '10.0.0.2' }, as);
        await rejects(() => store.updateTenant(t.id, { keyIpLimit: 1 }, as), {
          code: 'IPG_LIMIT_BELOW_COUNT',
          field: 'keyIpLimit',
        });
        await store.updateTenant(t.id, { keyIpLimit: 2, keyDomainLimit: 0 }, as);
      });
    });

    describe('report-only switches', () => {
      it('turn a tenant and an API report-only and back, audited, and reach the rules', async () => {
        const t = await tenant('Report', { enforce: false });
        expect(t.enforce).toBe(false);
        const on = await changes('tenant.updated', () => store.updateTenant(t.id, { enforce: true }, as));
        expect(on.enforce).toBe(true);
        const api = await store.createApi({ name: 'ro', upstreamUrl: 'http://10.0.0.5', enforce: false }, as);
        expect(api.enforce).toBe(false);
        const off = await changes('api.updated', () => store.updateApi(api.id, { stripPrefix: true }, as));
        expect(off.enforce).toBe(false);
        const [event] = (await store.listAllAuditEvents({ limit: 1 })).items;
        expect(event?.after).toMatchObject({ enforce: false });
        const delta = await store.rulesSince(0, { maxChanges: 100_000 });
        expect(delta?.tenants.get(t.id)?.tenant.enforce).toBe(true);
        expect(delta?.apis.get(api.id)?.api.enforce).toBe(false);
        await rejects(() => store.updateApi(api.id, { enforce: 1 as never }, as), { field: 'enforce' });
      });
    });

    describe('APIs and their allowlists', () => {
      it('creates, updates and deletes an API, audited without a tenant', async () => {
        const api = await changes(
          'api.created',
          () =>
            store.createApi(
              {
                name: 'orders',
                host: 'API.example.com',
                pathPrefix: '/orders',
                upstreamUrl: 'http://10.0.0.5:8080',
              },
              as,
            ),
          { tenantId: null },
        );
        expect(api).toMatchObject({
          host: 'api.example.com',
          pathPrefix: '/orders',
          stripPrefix: false,
          authHeader: 'authorization',
          version: 1,
        });
        expect(await store.getApi(api.id)).toEqual(api);
        const u = await changes('api.updated', () =>
          store.updateApi(
            api.id,
            { stripPrefix: true, authHeader: 'x-api-key' },
            { ...as, expectedVersion: 1 },
          ),
        );
        expect(u).toMatchObject({ stripPrefix: true, authHeader: 'x-api-key', version: 2 });
        await rejects(() => store.updateApi(api.id, { name: 'x' }, { ...as, expectedVersion: 1 }), {
          code: 'IPG_VERSION_CONFLICT',
        });
        await changes('api.deleted', () => store.deleteApi(api.id, as), { apiId: api.id });
        await rejects(() => store.getApi(api.id), { code: 'IPG_NOT_FOUND' });
        await rejects(() => store.deleteApi(api.id, as), { code: 'IPG_NOT_FOUND' });
      });

      it.each([
        [{ name: 'a', upstreamUrl: 'ftp://x' }, 'upstreamUrl'],
        [{ name: 'a', upstreamUrl: 'http://x', host: 'a b' }, 'host'],
        [{ name: 'a', upstreamUrl: 'http://x', pathPrefix: 'orders' }, 'pathPrefix'],
        [{ name: 'a', upstreamUrl: 'http://x', authHeader: 'cookie' }, 'authHeader'],
        [{ name: '', upstreamUrl: 'http://x' }, 'name'],
      ])('refuses bad API %j on field %s', async (input, field) => {
        await rejects(() => store.createApi(input as never, as), { status: 400, field });
      });

      it('refuses a second API on a route another has (host and prefix as routing compares them)', async () => {
        const first = await store.createApi(
          { name: 'route', host: 'Route.Example', pathPrefix: '/r/', upstreamUrl: 'http://10.0.0.1' },
          as,
        );
        await rejects(
          () =>
            store.createApi(
              { name: 'route2', host: 'route.example', pathPrefix: '/r', upstreamUrl: 'http://10.0.0.1' },
              as,
            ),
          { status: 409, field: 'pathPrefix' },
        );
        const other = await store.createApi(
          { name: 'route3', host: 'route.example', pathPrefix: '/s', upstreamUrl: 'http://10.0.0.1' },
          as,
        );
        await rejects(() => store.updateApi(other.id, { pathPrefix: '/r' }, as), { status: 409 });
        expect((await store.updateApi(first.id, { pathPrefix: '/r' }, as)).pathPrefix).toBe('/r');
        // Concurrent creates of one route: exactly one wins.
        const results = await Promise.allSettled(
          [1, 2, 3, 4].map((i) =>
            store.createApi({ name: `race${i}`, pathPrefix: '/race', upstreamUrl: 'http://10.0.0.1' }, as),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      });

      it('pages through APIs', async () => {
        for (let i = 0; i < 3; i++)
          await store.createApi(
            { name: `p${i}`, pathPrefix: `/pages/${i}`, upstreamUrl: 'http://10.0.0.1' },
            as,
          );
        const all = (await store.listApis({ limit: 500 })).items;
        expect((await collect((cursor) => store.listApis({ limit: 2, cursor }))).map((a) => a.id)).toEqual(
          all.map((a) => a.id),
        );
      });

      it('keeps an allowlist per API, limited when the store says so', async () => {
        const a = await store.createApi({ name: 'a', pathPrefix: '/a', upstreamUrl: 'http://10.0.0.1' }, as);
        const b = await store.createApi({ name: 'b', pathPrefix: '/b', upstreamUrl: 'http://10.0.0.1' }, as);
        const e = await changes(
          'api.allowlist_entry.added',
          () => store.addApiAllowlistEntry(a.id, { value: '2001:db8::/32' }, as),
          {
            apiId: a.id,
            tenantId: null,
          },
        );
        expect(e).toMatchObject({ apiId: a.id, canonical: '2001:db8::/32' });
        await rejects(() => store.getApiAllowlistEntry(b.id, e.id), { code: 'IPG_NOT_FOUND' });
        await rejects(() => store.removeApiAllowlistEntry(b.id, e.id, as), { code: 'IPG_NOT_FOUND' });
        const u = await changes('api.allowlist_entry.updated', () =>
          store.updateApiAllowlistEntry(a.id, e.id, { name: 'v6' }, { ...as, expectedVersion: 1 }),
        );
        expect(u.name).toBe('v6');
        await store.addApiAllowlistEntry(a.id, { value: '192.0.2.1' }, as);
        await store.addApiAllowlistEntry(a.id, { value: '192.0.2.2' }, as);
        await rejects(() => store.addApiAllowlistEntry(a.id, { value: '192.0.2.3' }, as), {
          code: 'IPG_LIMIT_REACHED',
        });
        await changes('api.allowlist_entry.removed', () => store.removeApiAllowlistEntry(a.id, e.id, as));
        expect((await store.listApiAllowlistEntries(a.id)).map((x) => x.value)).toEqual([
          '192.0.2.1',
          '192.0.2.2',
        ]);
        await rejects(() => store.listApiAllowlistEntries('api_missing'), { code: 'IPG_NOT_FOUND' });
      });
    });

    describe('keys', () => {
      it('creates a key whose secret is shown once and found by its hash', async () => {
        const t = await tenant();
        const { key, secret } = await changes(
          'key.created',
          () => store.createKey(t.id, { name: 'ci', ipRestrictionEnabled: true }, as),
          {
            tenantId: t.id,
          },
        );
        expect(secret).toMatch(/^ipg_live_[A-Za-z0-9_-]{43}$/);
        expect(secret.startsWith(key.prefix)).toBe(true);
        expect(key).toMatchObject({
          tenantId: t.id,
          status: 'active',
          ipRestrictionEnabled: true,
          domainRestrictionEnabled: false,
          version: 1,
        });
        expect(await store.findKeyBySecret(secret)).toEqual(key);
        expect(await store.findKeyBySecret(`${secret}x`)).toBeUndefined();
        expect(await store.findKeyBySecret('nonsense')).toBeUndefined();
        const event = (await store.listAuditEvents(t.id)).items[0];
        expect(JSON.stringify(event)).not.toContain(secret);
      });

      it('rotates (the old secret stops working) and revokes (once)', async () => {
        const t = await tenant();
        const { key, secret } = await store.createKey(t.id, { name: 'k' }, as);
        const rotated = await changes(
          'key.rotated',
          () => store.rotateKey(t.id, key.id, { ...as, expectedVersion: 1 }),
          { keyId: key.id },
        );
        expect(rotated.secret).not.toBe(secret);
        expect(rotated.key.rotatedAt).toBeInstanceOf(Date);
        expect(await store.findKeyBySecret(secret)).toBeUndefined();
        expect((await store.findKeyBySecret(rotated.secret))?.id).toBe(key.id);
        await rejects(() => store.rotateKey(t.id, key.id, { ...as, expectedVersion: 1 }), {
          code: 'IPG_VERSION_CONFLICT',
        });
        const revoked = await changes('key.revoked', () => store.revokeKey(t.id, key.id, as));
        expect(revoked).toMatchObject({ status: 'revoked', version: 3 });
        expect(await store.findKeyBySecret(rotated.secret)).toBeUndefined();
        const version = await store.currentVersion();
        expect(await store.revokeKey(t.id, key.id, as)).toEqual(revoked);
        expect(await store.currentVersion()).toBe(version);
      });

      it('updates name and switches; refuses bad input and other tenants', async () => {
        const a = await tenant('A');
        const b = await tenant('B');
        const { key } = await store.createKey(a.id, { name: 'k' }, as);
        const u = await changes('key.updated', () =>
          store.updateKey(a.id, key.id, { domainRestrictionEnabled: true }, { ...as, expectedVersion: 1 }),
        );
        expect(u).toMatchObject({ domainRestrictionEnabled: true, version: 2 });
        await rejects(() => store.updateKey(a.id, key.id, { ipRestrictionEnabled: 'on' as never }, as), {
          status: 400,
          field: 'ipRestrictionEnabled',
        });
        await rejects(() => store.createKey(a.id, { name: ' ' }, as), { status: 400, field: 'name' });
        for (const call of [
          () => store.getKey(b.id, key.id),
          () => store.updateKey(b.id, key.id, { name: 'x' }, as),
          () => store.rotateKey(b.id, key.id, as),
          () => store.revokeKey(b.id, key.id, as),
          () => store.listKeyIpEntries(b.id, key.id),
          () => store.createKey('ten_missing', { name: 'k' }, as),
          () => store.listKeys('ten_missing'),
        ]) {
          await rejects(call, { code: 'IPG_NOT_FOUND' });
        }
        expect((await store.listKeys(b.id)).items).toEqual([]);
      });

      it('pages through a tenant’s keys', async () => {
        const t = await tenant();
        for (let i = 0; i < 5; i++) await store.createKey(t.id, { name: `k${i}` }, as);
        const paged = await collect((cursor) => store.listKeys(t.id, { limit: 2, cursor }));
        // Creation time orders the list; keys made within one millisecond order by id.
        expect(paged.map((k) => k.id)).toEqual(
          (await store.listKeys(t.id, { limit: 500 })).items.map((k) => k.id),
        );
        expect(paged.map((k) => k.name).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
      });
    });

    describe.each([
      {
        list: 'IP',
        values: [
          '198.51.100.0/24',
          '203.0.113.2',
          '203.0.113.3',
          '203.0.113.4',
          '203.0.113.5',
          '203.0.113.6',
        ],
        bad: '203.0.113.1/8',
        same: '198.51.100.0/255.255.255.0',
      },
      {
        list: 'domain',
        values: [
          'a.example.com',
          'b.example.com',
          'c.example.com',
          'd.example.com',
          'e.example.com',
          'f.example.com',
        ],
        bad: 'https://x.example.com/path',
        same: 'A.EXAMPLE.COM',
      },
    ])('key $list entries', ({ list, values, bad, same }) => {
      const ops = (s: Store) =>
        list === 'IP'
          ? {
              add: s.addKeyIpEntry.bind(s),
              update: s.updateKeyIpEntry.bind(s),
              remove: s.removeKeyIpEntry.bind(s),
              list: s.listKeyIpEntries.bind(s),
              action: 'key.ip_entry',
            }
          : {
              add: s.addKeyDomainEntry.bind(s),
              update: s.updateKeyDomainEntry.bind(s),
              remove: s.removeKeyDomainEntry.bind(s),
              list: s.listKeyDomainEntries.bind(s),
              action: 'key.domain_entry',
            };

      it('adds up to the per-key limit of 5, then refuses', async () => {
        const o = ops(store);
        const t = await tenant();
        const { key } = await store.createKey(t.id, { name: 'k' }, as);
        const first = await changes(
          `${o.action}.added`,
          () => o.add(t.id, key.id, { value: values[0] as string, name: 'first' }, as),
          {
            tenantId: t.id,
            keyId: key.id,
          },
        );
        expect(first).toMatchObject({ keyId: key.id, name: 'first', version: 1 });
        for (const value of values.slice(1, 5)) await o.add(t.id, key.id, { value }, as);
        await rejects(() => o.add(t.id, key.id, { value: values[5] as string }, as), {
          code: 'IPG_LIMIT_REACHED',
        });
        expect(await o.list(t.id, key.id)).toHaveLength(5);
      });

      it('refuses duplicates and bad values, and keeps tenants apart', async () => {
        const o = ops(store);
        const a = await tenant('A');
        const b = await tenant('B');
        const { key } = await store.createKey(a.id, { name: 'k' }, as);
        const e = await o.add(a.id, key.id, { value: values[0] as string }, as);
        await rejects(() => o.add(a.id, key.id, { value: same }, as), {
          code: 'IPG_ALREADY_EXISTS',
          field: 'value',
        });
        await rejects(() => o.add(a.id, key.id, { value: bad }, as), { status: 400, field: 'value' });
        await rejects(() => o.add(b.id, key.id, { value: values[1] as string }, as), {
          code: 'IPG_NOT_FOUND',
        });
        await rejects(() => o.update(b.id, key.id, e.id, { name: 'x' }, as), { code: 'IPG_NOT_FOUND' });
        await rejects(() => o.remove(b.id, key.id, e.id, as), { code: 'IPG_NOT_FOUND' });
        await rejects(() => o.remove(a.id, key.id, 'kie_missing', as), { code: 'IPG_NOT_FOUND' });
        expect(await o.list(a.id, key.id)).toEqual([e]);
      });

      it('updates with version checks and removes', async () => {
        const o = ops(store);
        const t = await tenant();
        const { key } = await store.createKey(t.id, { name: 'k' }, as);
        const e = await o.add(t.id, key.id, { value: values[0] as string }, as);
        const u = await changes(`${o.action}.updated`, () =>
          o.update(t.id, key.id, e.id, { value: values[1] as string }, { ...as, expectedVersion: 1 }),
        );
        expect(u).toMatchObject({ value: values[1], version: 2 });
        await rejects(() => o.update(t.id, key.id, e.id, { name: 'x' }, { ...as, expectedVersion: 1 }), {
          code: 'IPG_VERSION_CONFLICT',
        });
        await rejects(() => o.update(t.id, key.id, e.id, { value: bad }, as), {
          status: 400,
          field: 'value',
        });
        await changes(`${o.action}.removed`, () =>
          o.remove(t.id, key.id, e.id, { ...as, expectedVersion: 2 }),
        );
        expect(await o.list(t.id, key.id)).toEqual([]);
      });
    });

    describe('admin tokens', () => {
      it('creates a token whose secret is shown once and found by its hash', async () => {
        const count = await store.countPrincipals();
        const { principal, secret } = await changes(
          'principal.created',
          () => store.createToken({ name: `ops ${Math.random()}`, role: 'owner' }, as),
          {
            tenantId: null,
          },
        );
        expect(secret).toMatch(/^ipg_adm_[A-Za-z0-9_-]{43}$/);
        expect(principal).toMatchObject({ kind: 'token', role: 'owner', tenantId: null, version: 1 });
        expect(await store.findTokenBySecret(secret)).toEqual(principal);
        // One character changed (never to itself: a secret ending in "A" once made this test fail).
        const other = secret.endsWith('A') ? 'B' : 'A';
        expect(await store.findTokenBySecret(`${secret.slice(0, -1)}${other}`)).toBeUndefined();
        expect(await store.countPrincipals()).toBe(count + 1);
        expect(JSON.stringify((await store.listAllAuditEvents({ limit: 1 })).items)).not.toContain(secret);
      });

      it('never takes a key secret for a token or a token secret for a key', async () => {
        const t = await tenant();
        const key = await store.createKey(t.id, { name: 'k' }, as);
        const token = await store.createToken(
          { name: `t ${Math.random()}`, role: 'viewer', tenantId: t.id },
          as,
        );
        expect(token.principal.tenantId).toBe(t.id);
        expect(await store.findTokenBySecret(key.secret)).toBeUndefined();
        expect(await store.findKeyBySecret(token.secret)).toBeUndefined();
        expect(await store.findTokenBySecret('ipg_adm_x'.repeat(40))).toBeUndefined();
      });

      it.each([
        [{ name: '', role: 'owner' }, 'name'],
        [{ name: 'x', role: 'admin' }, 'role'],
        [{ name: 'x', role: 'owner', tenantId: 7 }, 'tenantId'],
      ])('refuses bad input %j on field %s', async (input, field) => {
        await rejects(() => store.createToken(input as never, as), { status: 400, field });
      });

      it('refuses a duplicate name and an unknown tenant', async () => {
        const name = `dup ${Math.random()}`;
        await store.createToken({ name, role: 'editor' }, as);
        await rejects(() => store.createToken({ name, role: 'viewer' }, as), {
          code: 'IPG_ALREADY_EXISTS',
          field: 'name',
        });
        await rejects(() => store.createToken({ name: 'x', role: 'viewer', tenantId: 'ten_missing' }, as), {
          code: 'IPG_NOT_FOUND',
        });
      });

      it('lists and deletes; a deleted token stops working', async () => {
        const made = [];
        for (let i = 0; i < 3; i++)
          made.push(await store.createToken({ name: `list ${i} ${Math.random()}`, role: 'viewer' }, as));
        const paged = await collect((cursor) => store.listPrincipals({ limit: 2, cursor }));
        expect(paged.map((p) => p.id)).toEqual(
          (await store.listPrincipals({ limit: 500 })).items.map((p) => p.id),
        );
        expect(paged.map((p) => p.id)).toEqual(expect.arrayContaining(made.map((m) => m.principal.id)));
        const [victim] = made;
        if (victim === undefined) throw new Error('unreachable');
        await rejects(() => store.deletePrincipal(victim.principal.id, { ...as, expectedVersion: 2 }), {
          code: 'IPG_VERSION_CONFLICT',
        });
        const count = await store.countPrincipals();
        await changes('principal.deleted', () =>
          store.deletePrincipal(victim.principal.id, { ...as, expectedVersion: 1 }),
        );
        expect(await store.findTokenBySecret(victim.secret)).toBeUndefined();
        expect(await store.countPrincipals()).toBe(count - 1);
        await rejects(() => store.deletePrincipal(victim.principal.id, as), { code: 'IPG_NOT_FOUND' });
        await rejects(() => store.getPrincipal(victim.principal.id), { code: 'IPG_NOT_FOUND', status: 404 });
      });

      it('lists one tenant’s principals by tenant, and gets one by id', async () => {
        const a = await tenant('tokens a');
        const b = await tenant('tokens b');
        const ofA = [];
        for (let i = 0; i < 3; i++)
          ofA.push(
            (await store.createToken({ name: `a ${i} ${a.id}`, role: 'viewer', tenantId: a.id }, as))
              .principal,
          );
        await store.createToken({ name: `b ${b.id}`, role: 'editor', tenantId: b.id }, as);
        const paged = await collect((cursor) =>
          store.listPrincipals({ limit: 2, cursor }, { tenantId: a.id }),
        );
        expect(paged.map((p) => p.id)).toEqual(ofA.map((p) => p.id));
        expect(await store.getPrincipal(ofA[1]?.id as string)).toEqual(ofA[1]);
      });
    });

    describe('rules for the request path', () => {
      it('hold what the request path compiles, at the current version; disabled entries and revoked keys left out', async () => {
        const t = await tenant('rules', { ipMode: 'auto' });
        const api = await store.createApi(
          { name: 'rules', upstreamUrl: 'http://10.0.0.1', host: 'r.example' },
          as,
        );
        const allow = await store.addApiAllowlistEntry(
          api.id,
          { value: '198.51.100.0/24', name: 'partner' },
          as,
        );
        await store.addApiAllowlistEntry(api.id, { value: '198.51.101.0/24', enabled: false }, as);
        const soon = new Date(Date.now() + 3_600_000);
        const entry = await store.addTenantIpEntry(
          t.id,
          { value: '203.0.113.9', name: 'office', expiresAt: soon },
          as,
        );
        await store.addTenantIpEntry(t.id, { value: '203.0.113.10', enabled: false }, as);
        const live = await store.createKey(t.id, { name: 'live', ipRestrictionEnabled: true }, as);
        const dead = await store.createKey(t.id, { name: 'dead' }, as);
        const kip = await store.addKeyIpEntry(t.id, live.key.id, { value: '192.0.2.7', name: 'ci' }, as);
        const kdom = await store.addKeyDomainEntry(t.id, live.key.id, { value: 'app.example.com' }, as);
        await store.addKeyIpEntry(t.id, dead.key.id, { value: '192.0.2.8' }, as);
        await store.revokeKey(t.id, dead.key.id, as);
        const rules = await allRules(store);
        expect(rules.version).toBe(await store.currentVersion());
        expect(rules.tenants.find((r) => r.tenant.id === t.id)).toEqual({
          tenant: { id: t.id, ipMode: 'auto', enforce: true },
          entries: [{ id: entry.id, name: 'office', type: 'ip', value: '203.0.113.9', expiresAt: soon }],
        });
        expect(rules.apis.find((r) => r.api.id === api.id)).toEqual({
          api: {
            id: api.id,
            name: 'rules',
            host: 'r.example',
            pathPrefix: '/',
            stripPrefix: false,
            upstreamUrl: 'http://10.0.0.1',
            authHeader: 'authorization',
            enforce: true,
          },
          entries: [
            { id: allow.id, name: 'partner', type: 'range', value: '198.51.100.0/24', expiresAt: null },
          ],
        });
        const key = rules.keys.find((k) => k.key.id === live.key.id);
        expect(key).toEqual({
          key: {
            id: live.key.id,
            tenantId: t.id,
            name: 'live',
            ipRestrictionEnabled: true,
            domainRestrictionEnabled: false,
            secretHash: expect.stringMatching(/^[0-9a-f]{64}$/),
          },
          ipEntries: [{ id: kip.id, name: 'ci', type: 'ip', value: '192.0.2.7', expiresAt: null }],
          domains: [{ id: kdom.id, name: '', value: 'app.example.com' }],
        });
        expect(rules.keys.some((k) => k.key.id === dead.key.id)).toBe(false);
      });

      it('load in parts, each tenant with its keys, the APIs last; every unit once', async () => {
        const made = [];
        for (let i = 0; i < 5; i++) {
          const t = await tenant(`part ${i}`);
          await store.addTenantIpEntry(t.id, { value: `192.0.2.${i}` }, as);
          made.push({ t, key: (await store.createKey(t.id, { name: 'k' }, as)).key });
        }
        const chunks: { tenants: string[]; keys: string[]; apis: number }[] = [];
        const version = await store.loadRules(
          (c) => {
            chunks.push({
              tenants: c.tenants.map((r) => r.tenant.id),
              keys: c.keys.map((k) => k.key.tenantId),
              apis: c.apis.length,
            });
          },
          { tenantsPerChunk: 2 },
        );
        expect(version).toBe(await store.currentVersion());
        const tenantIds = chunks.flatMap((c) => c.tenants);
        expect(new Set(tenantIds).size).toBe(tenantIds.length);
        for (const { t } of made) expect(tenantIds).toContain(t.id);
        for (const c of chunks) {
          expect(c.tenants.length).toBeLessThanOrEqual(2);
          for (const owner of c.keys) expect(c.tenants).toContain(owner);
        }
        const firstApiChunk = chunks.findIndex((c) => c.apis > 0);
        if (firstApiChunk !== -1)
          expect(chunks.slice(firstApiChunk).every((c) => c.tenants.length === 0)).toBe(true);
        await rejects(() => store.loadRules(() => {}, { tenantsPerChunk: 0 }), { field: 'tenantsPerChunk' });
      });

      it('are consistent with their version while writers commit', async () => {
        const t = await tenant('rules race', { ipEntryLimit: 1000 });
        const writes = Array.from({ length: 20 }, (_, i) =>
          store.addTenantIpEntry(t.id, { value: `10.9.0.${i}` }, as),
        );
        const counts: { version: number; entries: number }[] = [];
        for (let i = 0; i < 5; i++) {
          const all = await allRules(store);
          counts.push({
            version: all.version,
            entries: all.tenants.find((r) => r.tenant.id === t.id)?.entries.length ?? 0,
          });
          const delta = await store.rulesSince(0, { maxChanges: 100_000 });
          if (delta === undefined) throw new Error('rulesSince gave up');
          counts.push({ version: delta.version, entries: delta.tenants.get(t.id)?.entries.length ?? 0 });
        }
        await Promise.all(writes);
        const last = await allRules(store);
        counts.push({
          version: last.version,
          entries: last.tenants.find((r) => r.tenant.id === t.id)?.entries.length ?? 0,
        });
        const added = (await store.changesSince(0, 10_000)).filter(
          (c) => c.tenantId === t.id && c.kind === 'tenant.ip_entry.added',
        );
        for (const read of counts) {
          expect(read.entries).toBe(added.filter((c) => c.version <= read.version).length);
        }
        expect(counts.at(-1)?.entries).toBe(20);
      });

      it('since a version: exactly the units its changes touched, as of the last change', async () => {
        const a = await tenant('since a');
        const b = await tenant('since b');
        const keyA = (await store.createKey(a.id, { name: 'ka' }, as)).key;
        const api = await store.createApi(
          { name: 'since', pathPrefix: '/since', upstreamUrl: 'http://10.0.0.2' },
          as,
        );
        const start = await store.currentVersion();
        const empty = await store.rulesSince(start);
        expect(empty).toEqual({ version: start, tenants: new Map(), apis: new Map(), keys: new Map() });

        await store.addTenantIpEntry(a.id, { value: '192.0.2.50' }, as);
        await store.createToken({ name: `since ${start}`, role: 'viewer', tenantId: b.id }, as);
        let delta = await store.rulesSince(start);
        expect(delta?.version).toBe(await store.currentVersion());
        expect([...(delta?.tenants.keys() ?? [])]).toEqual([a.id]);
        expect(delta?.tenants.get(a.id)?.entries.map((e) => e.value)).toEqual(['192.0.2.50']);
        expect([delta?.apis.size, delta?.keys.size]).toEqual([0, 0]);

        let from = await store.currentVersion();
        const rotated = await store.rotateKey(a.id, keyA.id, as);
        await store.addApiAllowlistEntry(api.id, { value: '198.51.100.9' }, as);
        delta = await store.rulesSince(from);
        expect(delta?.keys.get(keyA.id)?.key.secretHash).toMatch(/^[0-9a-f]{64}$/);
        expect(delta?.keys.get(keyA.id)?.key.secretHash).not.toBe(
          (await allRules(store)).keys.find((k) => k.key.id === keyA.id && k.key.secretHash === '')?.key
            .secretHash,
        );
        expect(rotated.secret).toBeTypeOf('string');
        expect([...(delta?.tenants.keys() ?? [])]).toEqual([a.id]);
        expect(delta?.apis.get(api.id)?.entries.map((e) => e.value)).toEqual(['198.51.100.9']);

        from = await store.currentVersion();
        await store.revokeKey(a.id, keyA.id, as);
        await store.deleteApi(api.id, as);
        await store.deleteTenant(b.id, as);
        delta = await store.rulesSince(from);
        expect(delta?.keys.get(keyA.id)).toBeNull();
        expect(delta?.apis.get(api.id)).toBeNull();
        expect(delta?.tenants.get(b.id)).toBeNull();
        expect(delta?.tenants.get(a.id)?.tenant.id).toBe(a.id);

        expect(await store.rulesSince(start, { maxChanges: 3 })).toBeUndefined();
        expect(await store.rulesSince(start, { maxChanges: 100 })).toBeDefined();
        await rejects(() => store.rulesSince(-1), { status: 400, field: 'version' });
        await rejects(() => store.rulesSince(0, { maxChanges: 0 }), { status: 400, field: 'maxChanges' });
      });
    });

    describe('observed addresses', () => {
      const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 0, minute));
      const obs = (
        tenantId: string,
        keyId: string,
        address: string,
        extra: Partial<Observation> = {},
      ): Observation => ({
        tenantId,
        keyId,
        address,
        firstAt: at(1),
        lastAt: at(2),
        count: 1,
        status: 'pending',
        ...extra,
      });
      async function setUp(limit = 100) {
        const t = await tenant('obs', { ipEntryLimit: limit });
        const k = await store.createKey(t.id, { name: 'k' }, as);
        return { t, k };
      }

      it('merges a batch and widens first/last seen without an audited change', async () => {
        const { t, k } = await setUp();
        const version = await store.currentVersion();
        await store.recordObservations([
          obs(t.id, k.key.id, '203.0.113.7', { count: 2, reason: 'not listed' }),
          obs(t.id, k.key.id, '203.0.113.007'.replace('007', '7'), {
            firstAt: at(0),
            lastAt: at(0),
            count: 3,
          }),
          obs(t.id, 'key_missing', '203.0.113.8'),
        ]);
        await store.recordObservations([
          obs(t.id, k.key.id, '203.0.113.7', { firstAt: at(5), lastAt: at(9), count: 4 }),
        ]);
        expect(await store.currentVersion()).toBe(version);
        const { items } = await store.listObservedIps(t.id);
        expect(items).toHaveLength(1);
        expect(items[0]).toMatchObject({
          tenantId: t.id,
          keyId: k.key.id,
          address: '203.0.113.7',
          firstSeen: at(0),
          lastSeen: at(9),
          count: 9,
          status: 'pending',
          reasons: ['not listed'],
          version: 1,
        });
        expect(await store.getObservedIp(t.id, items[0]?.id as string)).toEqual(items[0]);
      });

      it('keeps addresses canonical, so one address is one row', async () => {
        const { t, k } = await setUp();
        await store.recordObservations([
          obs(t.id, k.key.id, '2001:DB8:0:0::1'),
          obs(t.id, k.key.id, '2001:db8::1'),
        ]);
        const { items } = await store.listObservedIps(t.id);
        expect(items.map((o) => [o.address, o.count])).toEqual([['2001:db8::1', 2]]);
      });

      it('upgrades pending to authorized, never downgrades authorized, never overrides rejected', async () => {
        const { t, k } = await setUp();
        await store.recordObservations([
          obs(t.id, k.key.id, '192.0.2.1'),
          obs(t.id, k.key.id, '192.0.2.2', { status: 'authorized' }),
          obs(t.id, k.key.id, '192.0.2.3'),
        ]);
        const byAddress = async () =>
          new Map((await store.listObservedIps(t.id)).items.map((o) => [o.address, o]));
        const rejected = (await byAddress()).get('192.0.2.3');
        await store.rejectObservedIp(t.id, rejected?.id as string, {}, as);
        await store.recordObservations([
          obs(t.id, k.key.id, '192.0.2.1', { status: 'authorized' }),
          obs(t.id, k.key.id, '192.0.2.2', { status: 'pending' }),
          obs(t.id, k.key.id, '192.0.2.3', { status: 'authorized' }),
        ]);
        const now = await byAddress();
        expect(now.get('192.0.2.1')).toMatchObject({ status: 'authorized', version: 2, count: 2 });
        expect(now.get('192.0.2.2')).toMatchObject({ status: 'authorized', version: 1, count: 2 });
        expect(now.get('192.0.2.3')).toMatchObject({ status: 'rejected', count: 2 });
      });

      it('keeps the newest assessment with the observation; a batch without one keeps it', async () => {
        const { t, k } = await setUp();
        const held = sampleAssessment('198.51.100.9', 'held');
        const trusted = sampleAssessment('198.51.100.9', 'trusted');
        await store.recordObservations([obs(t.id, k.key.id, '198.51.100.9', { assessment: held })]);
        const [first] = (await store.listObservedIps(t.id)).items;
        expect(first?.assessment).toEqual(held);
        await store.recordObservations([
          obs(t.id, k.key.id, '198.51.100.9', { status: 'authorized', assessment: trusted }),
        ]);
        await store.recordObservations([obs(t.id, k.key.id, '198.51.100.9', { status: 'authorized' })]);
        const again = await store.getObservedIp(t.id, first?.id as string);
        expect(again.assessment).toEqual(trusted);
        expect(again).toMatchObject({ status: 'authorized', count: 3 });
        await store.recordObservations([obs(t.id, k.key.id, '198.51.100.10')]);
        const plain = (await store.listObservedIps(t.id)).items.find((o) => o.address === '198.51.100.10');
        expect(plain?.assessment).toBeNull();
        await expect(
          store.recordObservations([
            obs(t.id, k.key.id, '198.51.100.11', { assessment: { verdict: 'maybe' } as never }),
          ]),
        ).rejects.toMatchObject({ field: 'assessment', index: 0 });
      });

      it('drops observations of another tenant’s key', async () => {
        const { t } = await setUp();
        const { t: other, k: otherKey } = await setUp();
        await store.recordObservations([obs(t.id, otherKey.key.id, '192.0.2.1')]);
        expect((await store.listObservedIps(t.id)).items).toEqual([]);
        expect((await store.listObservedIps(other.id)).items).toEqual([]);
      });

      it.each([
        [{ address: '10.0.0.01' }, 'address'],
        [{ count: 0 }, 'count'],
        [{ status: 'rejected' }, 'status'],
        [{ firstAt: new Date('x') }, 'firstAt'],
        [{ firstAt: at(5), lastAt: at(1) }, 'lastAt'],
      ])('refuses a batch with a bad observation %j (field %s), writing none of it', async (bad, field) => {
        const { t, k } = await setUp();
        await rejects(
          () =>
            store.recordObservations([
              obs(t.id, k.key.id, '192.0.2.1'),
              obs(t.id, k.key.id, '192.0.2.2', bad as never),
            ]),
          {
            status: 400,
            field,
            index: 1,
          },
        );
        expect((await store.listObservedIps(t.id)).items).toEqual([]);
      });

      it('lists newest first, filtered, one page at a time; other tenants see nothing', async () => {
        const { t, k } = await setUp();
        const k2 = await store.createKey(t.id, { name: 'k2' }, as);
        await store.recordObservations([
          ...Array.from({ length: 5 }, (_, i) =>
            obs(t.id, k.key.id, `192.0.2.${i}`, { lastAt: at(10 + (i % 3)), firstAt: at(1) }),
          ),
          obs(t.id, k2.key.id, '192.0.2.9', { status: 'authorized', lastAt: at(30) }),
        ]);
        const all = await collect((cursor) => store.listObservedIps(t.id, {}, { limit: 2, cursor }));
        expect(all).toHaveLength(6);
        const seen = all.map((o) => o.lastSeen.getTime());
        expect([...seen].sort((a, b) => b - a)).toEqual(seen);
        expect(new Set(all.map((o) => o.id)).size).toBe(6);
        expect(
          (await store.listObservedIps(t.id, { status: 'authorized' })).items.map((o) => o.address),
        ).toEqual(['192.0.2.9']);
        expect(
          (await store.listObservedIps(t.id, { keyId: k.key.id, status: 'pending' })).items,
        ).toHaveLength(5);
        await rejects(() => store.listObservedIps(t.id, { status: 'maybe' as never }), {
          status: 400,
          field: 'status',
        });
        const { t: other } = await setUp();
        await rejects(() => store.getObservedIp(other.id, all[0]?.id as string), { code: 'IPG_NOT_FOUND' });
        await rejects(() => store.listObservedIps('ten_missing'), { code: 'IPG_NOT_FOUND' });
      });

      it('authorizes: adds a review entry to the tenant list in one audited change', async () => {
        const { t, k } = await setUp();
        await store.recordObservations([obs(t.id, k.key.id, '198.51.100.4', { reason: 'not listed' })]);
        const [o] = (await store.listObservedIps(t.id)).items;
        if (o === undefined) throw new Error('no observation');
        const { t: other } = await setUp();
        await rejects(() => store.authorizeObservedIp(other.id, o.id, {}, as), { code: 'IPG_NOT_FOUND' });
        await rejects(() => store.authorizeObservedIp(t.id, o.id, {}, { ...as, expectedVersion: 2 }), {
          code: 'IPG_VERSION_CONFLICT',
        });
        await rejects(() => store.authorizeObservedIp(t.id, o.id, { name: '' }, as), {
          status: 400,
          field: 'name',
        });
        const result = await changes(
          'tenant.observed_ip.authorized',
          () =>
            store.authorizeObservedIp(
              t.id,
              o.id,
              { name: 'home', reason: 'known laptop' },
              { ...as, expectedVersion: 1 },
            ),
          { tenantId: t.id, keyId: k.key.id },
        );
        expect(result.observed).toMatchObject({
          status: 'authorized',
          version: 2,
          reasons: ['not listed', `authorized by ${ACTOR}: known laptop`],
        });
        expect(result.entry).toMatchObject({
          name: 'home',
          canonical: '198.51.100.4',
          source: 'review',
          reason: 'known laptop',
          createdBy: ACTOR,
        });
        expect(await store.listTenantIpEntries(t.id)).toEqual([result.entry]);
        expect(await store.getObservedIp(t.id, o.id)).toEqual(result.observed);
      });

      it('authorizing an address the list covers only marks it', async () => {
        const { t, k } = await setUp();
        await store.addTenantIpEntry(t.id, { value: '198.51.100.0/24' }, as);
        await store.recordObservations([obs(t.id, k.key.id, '198.51.100.4')]);
        const [o] = (await store.listObservedIps(t.id)).items;
        const { entry, observed } = await store.authorizeObservedIp(t.id, o?.id as string, {}, as);
        expect(entry).toBeNull();
        expect(observed.status).toBe('authorized');
        expect(await store.listTenantIpEntries(t.id)).toHaveLength(1);
      });

      it('authorizing against a full list fails and changes nothing', async () => {
        const { t, k } = await setUp(1);
        await store.addTenantIpEntry(t.id, { value: '10.0.0.1' }, as);
        await store.recordObservations([obs(t.id, k.key.id, '198.51.100.4')]);
        const [o] = (await store.listObservedIps(t.id)).items;
        await rejects(() => store.authorizeObservedIp(t.id, o?.id as string, {}, as), {
          code: 'IPG_LIMIT_REACHED',
        });
        expect(await store.getObservedIp(t.id, o?.id as string)).toEqual(o);
        expect(await store.listTenantIpEntries(t.id)).toHaveLength(1);
      });

      it('rejects, optionally rotating the key in the same change', async () => {
        const { t, k } = await setUp();
        await store.recordObservations([
          obs(t.id, k.key.id, '198.51.100.4'),
          obs(t.id, k.key.id, '198.51.100.5'),
        ]);
        const [first, second] = (await store.listObservedIps(t.id)).items;
        if (first === undefined || second === undefined) throw new Error('no observations');
        await rejects(() => store.rejectObservedIp(t.id, first.id, { rotateKey: 'yes' as never }, as), {
          status: 400,
          field: 'rotateKey',
        });
        const plain = await changes(
          'tenant.observed_ip.rejected',
          () => store.rejectObservedIp(t.id, first.id, { reason: 'unknown' }, as),
          {
            keyId: k.key.id,
          },
        );
        expect(plain.rotated).toBeNull();
        expect(plain.observed).toMatchObject({
          status: 'rejected',
          reasons: [`rejected by ${ACTOR}: unknown`],
        });
        expect((await store.findKeyBySecret(k.secret))?.id).toBe(k.key.id);
        const { rotated, observed } = await changes('tenant.observed_ip.rejected', () =>
          store.rejectObservedIp(t.id, second.id, { rotateKey: true }, { ...as, expectedVersion: 1 }),
        );
        expect(observed.status).toBe('rejected');
        expect(rotated?.key).toMatchObject({ id: k.key.id, version: k.key.version + 1 });
        expect(await store.findKeyBySecret(k.secret)).toBeUndefined();
        expect((await store.findKeyBySecret(rotated?.secret as string))?.id).toBe(k.key.id);
        expect(JSON.stringify((await store.listAuditEvents(t.id)).items)).not.toContain(rotated?.secret);
        await rejects(() => store.rejectObservedIp(t.id, 'obs_missing', {}, as), { code: 'IPG_NOT_FOUND' });
      });
    });

    describe('request log', () => {
      const record = (requestId: string, extra: Partial<RequestRecord> = {}): RequestRecord => ({
        requestId,
        at: new Date('2025-03-01T00:00:00.000Z'),
        tenantId: null,
        apiId: null,
        keyId: null,
        client: '203.0.113.7',
        method: 'GET',
        path: '/orders?id=1',
        status: 200,
        decision: 'allow',
        stage: 'complete',
        reason: null,
        latencyMs: 1.25,
        origin: null,
        matched: [],
        ...extra,
      });

      it('scans a window oldest first, in small pages, across ties and long gaps, each record once', async () => {
        const t = await tenant();
        const other = await tenant('Other');
        const base = Date.UTC(2026, 0, 1);
        // Bursts sharing a millisecond, seconds apart, and hours apart; another tenant's in between.
        const offsets = [
          0,
          0,
          0,
          0,
          0,
          1,
          1000,
          1000,
          3_600_000,
          3_600_000,
          3_600_001,
          7 * 3_600_000,
          86_399_999,
        ];
        const mine = offsets.map((o, i) =>
          record(`scan_${t.id}_${String(i).padStart(2, '0')}`, { tenantId: t.id, at: new Date(base + o) }),
        );
        await store.appendRequests([
          ...mine,
          ...offsets.map((o, i) =>
            record(`scan_${other.id}_${i}`, { tenantId: other.id, at: new Date(base + o) }),
          ),
          record(`scan_${t.id}_late`, { tenantId: t.id, at: new Date(base + 86_400_000) }),
        ]);
        const window = { tenantId: t.id, since: new Date(base), until: new Date(base + 86_400_000) };
        for (const batchSize of [1, 2, 3, 5000]) {
          const seen: string[] = [];
          const pages: number[] = [];
          const r = await store.scanRequests(
            window,
            (rows) => {
              pages.push(rows.length);
              for (const row of rows) seen.push(row.requestId);
            },
            { batchSize },
          );
          expect(seen, `batch size ${batchSize}`).toEqual(mine.map((m) => m.requestId));
          expect(r).toEqual({ rows: mine.length, truncated: false });
          expect(Math.max(...pages)).toBeLessThanOrEqual(batchSize);
        }
        const cut = await store.scanRequests(window, () => {}, { batchSize: 2, maxRows: 5 });
        expect(cut).toEqual({ rows: 5, truncated: true });
        await rejects(() => store.scanRequests({ since: window.since, until: window.until }, () => {}), {
          field: 'tenantId',
        });
      });

      it('keeps would-deny and the origin, and filters allow, deny and would-deny apart', async () => {
        const t = await tenant();
        const id = `req_${t.id}`;
        const would = record(`${id}_w`, {
          tenantId: t.id,
          decision: 'would-deny',
          stage: 'tenant-restriction',
          reason: 'tenant-ip-not-listed',
          origin: 'https://app.example.com',
        });
        await store.appendRequests([
          would,
          record(`${id}_a`, { tenantId: t.id }),
          record(`${id}_d`, { tenantId: t.id, decision: 'deny', status: 403 }),
        ]);
        expect(await store.getRequest(would.requestId)).toEqual(would);
        const ids = async (decision: RequestRecord['decision']) =>
          (await store.listRequests({ tenantId: t.id, decision })).items.map((r) => r.requestId);
        expect(await ids('would-deny')).toEqual([`${id}_w`]);
        expect(await ids('allow')).toEqual([`${id}_a`]);
        expect(await ids('deny')).toEqual([`${id}_d`]);
      });

      it('keeps the entries a request matched, in stage order; a record without them reads as none', async () => {
        const t = await tenant();
        const matched = [
          { list: 'api-allowlist', entryId: 'ent_api' },
          { list: 'tenant', entryId: 'ent_tenant' },
          { list: 'key-domains', entryId: 'kdm_1' },
        ] as const;
        const withMatches = record(`req_m_${t.id}`, { tenantId: t.id, matched });
        const { matched: _, ...older } = record(`req_o_${t.id}`, { tenantId: t.id });
        await store.appendRequests([withMatches, older]);
        expect((await store.getRequest(withMatches.requestId)).matched).toEqual(matched);
        expect((await store.getRequest(older.requestId)).matched).toEqual([]);
        const listed = (await store.listRequests({ tenantId: t.id })).items;
        expect(listed.find((r) => r.requestId === withMatches.requestId)?.matched).toEqual(matched);
      });

      it('appends a batch, skips repeated ids, and reads one back', async () => {
        const t = await tenant();
        const id = `req_${Math.random()}`;
        const r = record(id, { tenantId: t.id, latencyMs: 12.3456789 });
        await store.appendRequests([r, record(`${id}b`, { tenantId: t.id })]);
        await store.appendRequests([{ ...r, status: 500 }]);
        expect(await store.getRequest(id)).toEqual(r);
        expect((await store.listRequests({ tenantId: t.id })).items).toHaveLength(2);
        await rejects(() => store.getRequest('req_missing'), { code: 'IPG_NOT_FOUND' });
      });

      it.each([
        [{ status: 42 }, 'status'],
        [{ decision: 'maybe' }, 'decision'],
        [{ origin: 'x'.repeat(2001) }, 'origin'],
        [{ matched: [{ list: 'nowhere', entryId: 'ent_1' }] }, 'matched[0].list'],
        [{ matched: [{ list: 'tenant', entryId: '' }] }, 'matched[0].entryId'],
        [{ matched: 'ent_1' }, 'matched'],
        [{ matched: Array.from({ length: 9 }, () => ({ list: 'tenant', entryId: 'ent_1' })) }, 'matched'],
        [{ at: new Date('x') }, 'at'],
        [{ latencyMs: -1 }, 'latencyMs'],
        [{ requestId: '' }, 'requestId'],
      ])('refuses a batch with a bad record %j (field %s), writing none of it', async (bad, field) => {
        const t = await tenant();
        await rejects(
          () =>
            store.appendRequests([
              record(`ok_${Math.random()}`, { tenantId: t.id }),
              record('bad', { tenantId: t.id, ...(bad as object) }),
            ]),
          {
            status: 400,
            field,
            index: 1,
          },
        );
        expect((await store.listRequests({ tenantId: t.id })).items).toEqual([]);
      });

      it('filters, lists newest first with stable pages, and prunes by age', async () => {
        const t = await tenant();
        const base = Date.UTC(2025, 5, 1);
        const batch = Array.from({ length: 7 }, (_, i) =>
          record(`req_${t.id}_${i}`, {
            tenantId: t.id,
            // Two records share each time, so pages must order ties by id too.
            at: new Date(base + Math.floor(i / 2) * 1000),
            decision: i % 2 === 0 ? 'allow' : 'deny',
            client: i === 6 ? '198.51.100.1' : '203.0.113.7',
          }),
        );
        await store.appendRequests(batch);
        const paged = await collect((cursor) => store.listRequests({ tenantId: t.id }, { limit: 3, cursor }));
        const expected = [...batch].sort(
          (a, b) => b.at.getTime() - a.at.getTime() || (a.requestId < b.requestId ? 1 : -1),
        );
        expect(paged.map((r) => r.requestId)).toEqual(expected.map((r) => r.requestId));
        expect((await store.listRequests({ tenantId: t.id, decision: 'deny' })).items).toHaveLength(3);
        expect(
          (await store.listRequests({ tenantId: t.id, client: '198.51.100.1' })).items.map(
            (r) => r.requestId,
          ),
        ).toEqual([`req_${t.id}_6`]);
        const window = await store.listRequests({
          tenantId: t.id,
          since: new Date(base + 1000),
          until: new Date(base + 3000),
        });
        expect(window.items.map((r) => r.requestId).sort()).toEqual(
          [2, 3, 4, 5].map((i) => `req_${t.id}_${i}`),
        );
        await rejects(() => store.listRequests({ decision: 'x' as never }), {
          status: 400,
          field: 'decision',
        });
        await rejects(() => store.pruneRequests(new Date('x')), { status: 400, field: 'before' });
        const pruned = await store.pruneRequests(new Date(base + 2000), { batchSize: 2 });
        expect(pruned).toBeGreaterThanOrEqual(4);
        expect((await store.listRequests({ tenantId: t.id })).items).toHaveLength(3);
        await rejects(() => store.pruneRequests(new Date(base), { batchSize: 0 }), { field: 'batchSize' });
      });
    });

    describe('retention of observed addresses', () => {
      it('deletes addresses not seen since the cut-off, in batches, and keeps rejected ones', async () => {
        const t = await tenant('observed retention');
        const { key } = await store.createKey(t.id, { name: 'k' }, as);
        const at = (day: number) => new Date(Date.UTC(2024, 0, day));
        const seen = (address: string, day: number, status: 'authorized' | 'pending') => ({
          tenantId: t.id,
          keyId: key.id,
          address,
          firstAt: at(day),
          lastAt: at(day),
          count: 1,
          status,
        });
        await store.recordObservations([
          seen('192.0.2.1', 1, 'pending'),
          seen('192.0.2.2', 2, 'authorized'),
          seen('192.0.2.3', 3, 'pending'),
          seen('192.0.2.4', 20, 'pending'),
        ]);
        const list = async () =>
          (await store.listObservedIps(t.id, {}, { limit: 50 })).items.map((o) => o.address).sort();
        const third = (await store.listObservedIps(t.id, {}, { limit: 50 })).items.find(
          (o) => o.address === '192.0.2.3',
        );
        await store.rejectObservedIp(t.id, third?.id as string, {}, as);
        await rejects(() => store.pruneObservedIps(new Date('x')), { status: 400, field: 'before' });
        expect(await store.pruneObservedIps(at(10), { batchSize: 1 })).toBe(2);
        expect(await list()).toEqual(['192.0.2.3', '192.0.2.4']);
      });
    });

    describe('audit events and changes', () => {
      it('pages a tenant’s events newest first; the global list covers APIs too', async () => {
        const t = await tenant();
        for (let i = 0; i < 4; i++) await store.addTenantIpEntry(t.id, { value: `10.7.0.${i}` }, as);
        const mine = await collect((cursor) => store.listAuditEvents(t.id, { limit: 2, cursor }));
        expect(mine.map((e) => e.action)).toEqual([
          ...Array(4).fill('tenant.ip_entry.added'),
          'tenant.created',
        ]);
        const versions = mine.map((e) => e.changeVersion);
        expect([...versions].sort((a, b) => b - a)).toEqual(versions);
        const api = await store.createApi(
          { name: 'audited', pathPrefix: '/audited', upstreamUrl: 'http://10.0.0.1' },
          as,
        );
        const global = await collect((cursor) => store.listAllAuditEvents({ limit: 50, cursor }));
        expect(global[0]).toMatchObject({ action: 'api.created', targetId: api.id, tenantId: null });
        expect(global.filter((e) => e.tenantId === t.id)).toEqual(mine);
        expect(new Set(global.map((e) => e.id)).size).toBe(global.length);
        await rejects(() => store.listAllAuditEvents({ cursor: 'x' }), { status: 400, field: 'cursor' });
      });

      it('hands out increasing change versions, readable in order', async () => {
        const start = await store.currentVersion();
        const t = await tenant();
        await store.updateTenant(t.id, { name: 'B' }, as);
        const list = await store.changesSince(start);
        expect(list.map((c) => c.kind)).toEqual(['tenant.created', 'tenant.updated']);
        expect(list[1]?.version).toBeGreaterThan(list[0]?.version as number);
        expect(await store.currentVersion()).toBe(list[1]?.version);
        expect(await store.changesSince(start, 1)).toHaveLength(1);
        await rejects(() => store.changesSince(-1), { status: 400, field: 'version' });
      });

      it('starts empty', async () => {
        const fresh = await factory.open();
        try {
          expect(await fresh.currentVersion()).toBe(0);
          expect(await fresh.countPrincipals()).toBe(0);
          expect((await allRules(fresh)).version).toBe(0);
          expect((await fresh.listAllAuditEvents()).items).toEqual([]);
        } finally {
          await fresh.close();
        }
      });
    });

    describe('under concurrency', () => {
      let racing: Store;
      beforeAll(async () => {
        // Several connections on PostgreSQL, so the transactions really overlap. SQLite has one
        // connection per process and one writer per file; the same calls must hold there too.
        racing = await factory.open({ maxConnections: 10 });
      });
      afterAll(async () => {
        await racing?.close();
      });

      it.each(['tenant IP', 'key IP', 'key domain'] as const)(
        '50 concurrent adds to a %s list with a limit of 5 leave exactly 5',
        async (list) => {
          const t = await racing.createTenant({ name: 'race', ipEntryLimit: 5 }, as);
          const { key } = await racing.createKey(t.id, { name: 'k' }, as);
          const add = (i: number) => {
            if (list === 'tenant IP') return racing.addTenantIpEntry(t.id, { value: `10.1.0.${i}` }, as);
            if (list === 'key IP') return racing.addKeyIpEntry(t.id, key.id, { value: `10.2.0.${i}` }, as);
            return racing.addKeyDomainEntry(t.id, key.id, { value: `d${i}.example.com` }, as);
          };
          const before = await racing.currentVersion();
          const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => add(i)));
          const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
          expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
          expect(failures).toHaveLength(45);
          for (const f of failures) expect(f).toMatchObject({ code: 'IPG_LIMIT_REACHED' });
          const stored =
            list === 'tenant IP'
              ? await racing.listTenantIpEntries(t.id)
              : list === 'key IP'
                ? await racing.listKeyIpEntries(t.id, key.id)
                : await racing.listKeyDomainEntries(t.id, key.id);
          expect(stored).toHaveLength(5);
          expect(await racing.changesSince(before)).toHaveLength(5);
        },
      );

      it.each(['tenant', 'tenant IP entry', 'key'] as const)(
        'concurrent updates of a %s with the same expected version: exactly one wins',
        async (what) => {
          const t = await racing.createTenant({ name: 'race' }, as);
          const { key } = await racing.createKey(t.id, { name: 'k' }, as);
          const entry = await racing.addTenantIpEntry(t.id, { value: '10.3.0.1' }, as);
          const update = (i: number) => {
            const o = { ...as, expectedVersion: 1 };
            if (what === 'tenant') return racing.updateTenant(t.id, { name: `n${i}` }, o);
            if (what === 'key') return racing.updateKey(t.id, key.id, { name: `n${i}` }, o);
            return racing.updateTenantIpEntry(t.id, entry.id, { name: `n${i}` }, o);
          };
          const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => update(i)));
          const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
          expect(won).toHaveLength(1);
          for (const r of results) {
            if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'IPG_VERSION_CONFLICT' });
          }
          expect(won[0]?.version).toBe(2);
        },
      );
    });

    describe('durability under kill -9', () => {
      it('keeps every write a killed process had acknowledged', async () => {
        const { location, dispose } = await factory.createLocation();
        try {
          const setup = await factory.openAt(location);
          const t = await setup.createTenant({ name: 'durable', ipEntryLimit: 100_000 }, as);
          await setup.close();
          const acknowledged = await writeUntilKilled(JSON.stringify(location), t.id, 40);
          expect(acknowledged.length).toBeGreaterThanOrEqual(40);
          const reopened = await factory.openAt(location);
          try {
            const stored = new Set((await reopened.listTenantIpEntries(t.id)).map((e) => e.id));
            const missing = acknowledged.filter((id) => !stored.has(id));
            expect(missing, 'acknowledged writes lost by kill -9').toEqual([]);
            // At most the one write in flight when the process died may be there unacknowledged.
            expect(stored.size - acknowledged.length).toBeLessThanOrEqual(1);
          } finally {
            await reopened.close();
          }
        } finally {
          await dispose();
        }
      }, 30_000);
    });
  });
}

/** Follows cursors until the last page; fails on a loop. */
async function collect<T>(
  read: (cursor: string | undefined) => Promise<{ items: readonly T[]; nextCursor: string | undefined }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await read(cursor);
    all.push(...page.items);
    if (page.nextCursor === undefined) return all;
    cursor = page.nextCursor;
  }
  throw new Error('more than 1000 pages: the cursor does not advance');
}

const WRITER = fileURLToPath(new URL('./durability-writer.test-support.ts', import.meta.url));

/**
 * Starts the writer, SIGKILLs it once it has acknowledged `atLeast` writes, and returns every id it
 * acknowledged (read to the end of its output, so ids still in the pipe count too).
 */
function writeUntilKilled(location: string, tenantId: string, atLeast: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, location, tenantId], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ids: string[] = [];
    let partial = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the writer acknowledged only ${ids.length} writes in 20 s; stderr: ${stderr}`));
    }, 20_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      ids.push(...lines.filter((l) => l !== ''));
      if (!killed && ids.length >= atLeast) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL')
        reject(new Error(`the writer ended on its own (${signal}); stderr: ${stderr}`));
      // A line without its newline was cut by the kill: it was never acknowledged.
      else resolve(ids);
    });
  });
}
