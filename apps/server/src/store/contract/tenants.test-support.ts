import { beforeAll, describe, expect, it } from 'vitest';
import { allRules } from '../all-rules.test-support.js';
import type { Store, Tenant } from '../store.js';
import { ACTOR, as, type ContractContext, collect, contractHelpers } from './context.test-support.js';

/**
 * Tenants, their IP lists and report-only switches.
 *
 * @example tenantsContract(context); // inside the describe of storeContract
 */
export function tenantsContract(context: ContractContext): void {
  const { rejects, changes, tenant } = contractHelpers(context);
  let store: Store;
  beforeAll(() => {
    store = context.store();
  });

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
      // A value listed already is refused as such, full list or not.
      await rejects(() => store.addTenantIpEntry(t.id, { value: '10.0.0.2' }, as), {
        code: 'IPG_ALREADY_EXISTS',
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
}
