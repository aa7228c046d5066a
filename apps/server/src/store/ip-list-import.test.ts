import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBasis } from './import-plan.js';
import type { Store } from './store.js';
import { storeFactories } from './test-stores.test-support.js';

const as = { actor: 'user:import' };

for (const factory of await storeFactories()) {
  describe.skipIf(factory.skip)(`importing entries on ${factory.name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await factory.open({ apiAllowlistEntryLimit: 4 });
    });
    afterAll(async () => store?.close());

    const tenantWith = async (values: readonly string[], ipEntryLimit = 100) => {
      const tenant = await store.createTenant({ name: 'import', ipEntryLimit }, as);
      for (const value of values) await store.addTenantIpEntry(tenant.id, { value, name: 'old' }, as);
      return tenant.id;
    };

    it('merges: matched entries take what the row gives, others are added in order, the rest stay', async () => {
      const t = await tenantWith(['10.0.0.0/8', '192.0.2.1']);
      const before = await store.listTenantIpEntries(t);
      const result = await store.importTenantIpEntries(
        t,
        {
          mode: 'merge',
          rows: [
            { value: '10.0.0.0/255.0.0.0', name: 'vpn', enabled: false },
            { value: '198.51.100.9', name: 'b' },
            { value: '198.51.100.1' },
          ],
        },
        as,
      );
      expect([result.added.length, result.updated, result.removed, result.unchanged, result.count]).toEqual([
        2, 1, 0, 0, 4,
      ]);
      const after = await store.listTenantIpEntries(t);
      expect(after.map((e) => [e.value, e.name, e.enabled])).toEqual([
        ['10.0.0.0/255.0.0.0', 'vpn', false],
        ['192.0.2.1', 'old', true],
        ['198.51.100.9', 'b', true],
        ['198.51.100.1', '', true],
      ]);
      // The matched entry is the same entry, one version on; the other is untouched.
      expect(after[0]?.id).toBe(before[0]?.id);
      expect(after[0]?.version).toBe((before[0]?.version ?? 0) + 1);
      expect(after[1]).toEqual(before[1]);
      expect(result.basis).toBe(listBasis(after));
    });

    it('replaces: entries no row names are removed; one change, one audit event with the counts', async () => {
      const t = await tenantWith(['10.0.0.0/8', '192.0.2.1', '192.0.2.2']);
      const version = await store.currentVersion();
      const result = await store.importTenantIpEntries(
        t,
        {
          mode: 'replace',
          rows: [
            { value: '192.0.2.1', name: 'old' },
            { value: '2001:db8::/48', name: 'v6' },
          ],
        },
        as,
      );
      expect([result.added.length, result.updated, result.removed, result.unchanged]).toEqual([1, 0, 2, 1]);
      expect((await store.listTenantIpEntries(t)).map((e) => e.canonical)).toEqual([
        '192.0.2.1',
        '2001:db8::/48',
      ]);
      const changes = await store.changesSince(version);
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({
        version: result.changeVersion,
        tenantId: t,
        kind: 'tenant.ip_entry.imported',
      });
      const events = (await store.listAuditEvents(t)).items.filter((e) => e.changeVersion > version);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'tenant.ip_entry.imported',
        targetType: 'tenant',
        targetId: t,
      });
      expect(events[0]?.after).toMatchObject({
        mode: 'replace',
        added: 1,
        updated: 0,
        removed: 2,
        unchanged: 1,
        count: 2,
      });
      expect(
        (events[0]?.before as { entries: { canonical: string }[] } | undefined)?.entries.map(
          (e) => e.canonical,
        ),
      ).toEqual(['10.0.0.0/8', '192.0.2.2']);
    });

    it('writes nothing for a file that changes nothing', async () => {
      const t = await tenantWith(['10.0.0.0/8']);
      const version = await store.currentVersion();
      const result = await store.importTenantIpEntries(
        t,
        { mode: 'replace', rows: [{ value: '10.0.0.0/8' }] },
        as,
      );
      expect(result.changeVersion).toBeNull();
      expect(result.unchanged).toBe(1);
      expect(await store.changesSince(version)).toEqual([]);
    });

    it('refuses going over the limit, saying by how many, and writes nothing', async () => {
      const t = await tenantWith(['10.0.0.1', '10.0.0.2'], 3);
      const rows = ['10.0.0.3', '10.0.0.4', '10.0.0.5'].map((value) => ({ value }));
      await expect(store.importTenantIpEntries(t, { mode: 'merge', rows }, as)).rejects.toMatchObject({
        code: 'IPG_LIMIT_REACHED',
        message: expect.stringMatching(/with 5 entries, 2 over its limit of 3/),
      });
      expect(await store.listTenantIpEntries(t)).toHaveLength(2);
      // The same rows fit when replace drops what the file does not name.
      const ok = await store.importTenantIpEntries(t, { mode: 'replace', rows }, as);
      expect(ok.count).toBe(3);
    });

    it("keeps an API allowlist within the store's limit too", async () => {
      const api = await store.createApi({ name: 'imp', upstreamUrl: 'http://127.0.0.1:9' }, as);
      const rows = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'].map((value) => ({ value }));
      await expect(
        store.importApiAllowlistEntries(api.id, { mode: 'merge', rows }, as),
      ).rejects.toMatchObject({
        code: 'IPG_LIMIT_REACHED',
      });
      const ok = await store.importApiAllowlistEntries(api.id, { mode: 'merge', rows: rows.slice(0, 4) }, as);
      expect(ok.added.map((e) => e.apiId)).toEqual([api.id, api.id, api.id, api.id]);
      expect(await store.changesSince(ok.changeVersion ? ok.changeVersion - 1 : 0)).toMatchObject([
        { apiId: api.id, kind: 'api.allowlist_entry.imported' },
      ]);
    });

    it('refuses bad rows, repeated addresses and over 1,000 rows with the field, writing nothing', async () => {
      const t = await tenantWith([]);
      await expect(
        store.importTenantIpEntries(
          t,
          { mode: 'merge', rows: [{ value: '10.0.0.1' }, { value: '10.0.0.1/8' }] },
          as,
        ),
      ).rejects.toMatchObject({ code: 'IPG_ENTRY_HOST_BITS', field: 'rows[1].value' });
      await expect(
        store.importTenantIpEntries(
          t,
          {
            mode: 'merge',
            rows: [
              { value: '10.0.0.0/8', line: 2 },
              { value: '10.0.0.0/255.0.0.0', line: 5 },
            ],
          },
          as,
        ),
      ).rejects.toMatchObject({
        code: 'IPG_IMPORT_DUPLICATE',
        message: 'line 5: 10.0.0.0/8 is on line 2 already.',
      });
      await expect(
        store.importTenantIpEntries(
          t,
          { mode: 'merge', rows: [{ value: '10.0.0.1', name: 'a\u202Eb' }] },
          as,
        ),
      ).rejects.toMatchObject({ code: 'IPG_TEXT_INVALID', field: 'rows[0].name' });
      const many = Array.from({ length: 1001 }, (_, i) => ({ value: `10.${i >> 8}.${i & 255}.1` }));
      await expect(store.importTenantIpEntries(t, { mode: 'merge', rows: many }, as)).rejects.toMatchObject({
        code: 'IPG_IMPORT_TOO_LARGE',
      });
      expect(await store.listTenantIpEntries(t)).toEqual([]);
    });

    it('imports 1,000 rows in one change', async () => {
      const t = await tenantWith([], 1000);
      const rows = Array.from({ length: 1000 }, (_, i) => ({
        value: `10.${i >> 8}.${i & 255}.1`,
        name: `n${i}`,
      }));
      const version = await store.currentVersion();
      const result = await store.importTenantIpEntries(t, { mode: 'merge', rows }, as);
      expect(result.count).toBe(1000);
      expect(await store.changesSince(version)).toHaveLength(1);
      const listed = await store.listTenantIpEntries(t);
      expect(listed.map((e) => e.name)).toEqual(rows.map((r) => r.name));
    });

    it('applies only on the basis it names: an edit made meanwhile is IPG_VERSION_CONFLICT', async () => {
      const t = await tenantWith(['10.0.0.1']);
      const basis = listBasis(await store.listTenantIpEntries(t));
      const [entry] = await store.listTenantIpEntries(t);
      await store.updateTenantIpEntry(t, entry?.id as string, { name: 'edited' }, as);
      await expect(
        store.importTenantIpEntries(
          t,
          { mode: 'replace', rows: [{ value: '10.0.0.2' }] },
          { ...as, expectedBasis: basis },
        ),
      ).rejects.toMatchObject({ code: 'IPG_VERSION_CONFLICT', status: 412, field: 'basis' });
      expect((await store.listTenantIpEntries(t)).map((e) => e.name)).toEqual(['edited']);
    });

    it('an import and adds racing for the last places never overfill the list', async () => {
      const { location, dispose } = await factory.createLocation();
      const stores = [await factory.openAt(location), await factory.openAt(location)];
      try {
        const [s1, s2] = stores as [Store, Store];
        const tenant = await s1.createTenant({ name: 'race', ipEntryLimit: 4 }, as);
        await s1.addTenantIpEntry(tenant.id, { value: '10.0.0.1' }, as);
        const calls = [
          () =>
            s1.importTenantIpEntries(
              tenant.id,
              { mode: 'merge', rows: [{ value: '10.0.1.1' }, { value: '10.0.1.2' }] },
              as,
            ),
          ...['10.0.2.1', '10.0.2.2'].map((value) => () => s2.addTenantIpEntry(tenant.id, { value }, as)),
        ];
        // PostgreSQL: truly at once. SQLite's driver is synchronous, so two connections in one process
        // would wait on each other's open transaction; there they take turns (processes wait on the lock).
        const outcomes =
          factory.name === 'postgres'
            ? await Promise.allSettled(calls.map((c) => c()))
            : await settleInTurn(calls);
        const listed = await s1.listTenantIpEntries(tenant.id);
        expect(listed.length).toBeLessThanOrEqual(4);
        // Whatever lost was refused for the limit, nothing else; whatever won is on the list.
        for (const o of outcomes) {
          if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'IPG_LIMIT_REACHED' });
        }
        const imported = outcomes[0]?.status === 'fulfilled';
        expect(listed.filter((e) => e.canonical.startsWith('10.0.1.')).length).toBe(imported ? 2 : 0);
      } finally {
        for (const s of stores) await s.close();
        await dispose();
      }
    });
  });
}

async function settleInTurn(
  calls: readonly (() => Promise<unknown>)[],
): Promise<PromiseSettledResult<unknown>[]> {
  const out: PromiseSettledResult<unknown>[] = [];
  for (const c of calls) {
    try {
      out.push({ status: 'fulfilled', value: await c() });
    } catch (reason) {
      out.push({ status: 'rejected', reason });
    }
  }
  return out;
}
