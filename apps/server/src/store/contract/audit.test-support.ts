import { beforeAll, describe, expect, it } from 'vitest';
import { allRules } from '../all-rules.test-support.js';
import type { Store } from '../store.js';
import { as, type ContractContext, collect, contractHelpers } from './context.test-support.js';

/**
 * Audit events and changes.
 *
 * @example auditContract(context); // inside the describe of storeContract
 */
export function auditContract(context: ContractContext): void {
  const { factory } = context;
  const { rejects, tenant } = contractHelpers(context);
  let store: Store;
  beforeAll(() => {
    store = context.store();
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
}
