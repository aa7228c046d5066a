import { beforeAll, describe, expect, it } from 'vitest';
import { allRules } from '../all-rules.test-support.js';
import type { Store } from '../store.js';
import { as, type ContractContext, contractHelpers } from './context.test-support.js';

/**
 * The rules as the request path loads them.
 *
 * @example rulesContract(context); // inside the describe of storeContract
 */
export function rulesContract(context: ContractContext): void {
  const { rejects, tenant } = contractHelpers(context);
  let store: Store;
  beforeAll(() => {
    store = context.store();
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

    it("since a version: each changed tenant's list as a full load reads it (order, fields, expiry)", async () => {
      const a = await tenant('since lists a');
      const b = await tenant('since lists b');
      const soon = new Date(Date.now() + 3_600_000);
      await store.addTenantIpEntry(a.id, { value: '192.0.2.81', name: 'first' }, as);
      await store.addTenantIpEntry(b.id, { value: '2001:db8::/48', name: 'v6' }, as);
      const start = await store.currentVersion();
      await store.addTenantIpEntry(a.id, { value: '198.51.100.0/24', name: 'net', expiresAt: soon }, as);
      await store.addTenantIpEntry(b.id, { value: '192.0.2.82' }, as);
      await store.addTenantIpEntry(a.id, { value: '192.0.2.80', name: 'third' }, as);
      const delta = await store.rulesSince(start);
      const full = await allRules(store);
      for (const t of [a, b]) {
        expect(delta?.tenants.get(t.id)).toEqual(full.tenants.find((r) => r.tenant.id === t.id));
      }
      expect(delta?.tenants.get(a.id)?.entries.map((e) => [e.value, e.type, e.expiresAt])).toEqual([
        ['192.0.2.81', 'ip', null],
        ['198.51.100.0/24', 'range', soon],
        ['192.0.2.80', 'ip', null],
      ]);
    });

    it('with additions asked for: a tenant whose changes only added entries comes as those entries, any other change as its whole list', async () => {
      const t = await tenant('additions', { ipMode: 'auto' });
      const u = await tenant('additions mixed');
      const old = await store.addTenantIpEntry(t.id, { value: '192.0.2.60' }, as);
      await store.addTenantIpEntry(u.id, { value: '192.0.2.70' }, as);
      const start = await store.currentVersion();

      // Two plain adds: just those entries, in the order a full read gives them.
      const first = await store.addTenantIpEntry(t.id, { value: '192.0.2.61', name: 'one' }, as);
      const second = await store.addTenantIpEntry(t.id, { value: '2001:db8::61' }, as);
      let delta = await store.rulesSince(start, { additions: true });
      expect(delta?.tenants.size).toBe(0);
      expect(delta?.tenantAdditions?.get(t.id)).toEqual([
        { id: first.id, name: 'one', type: 'ip', value: '192.0.2.61', expiresAt: null },
        { id: second.id, name: second.name, type: 'ip', value: '2001:db8::61', expiresAt: null },
      ]);
      // Not asked for: the whole list, as always.
      delta = await store.rulesSince(start);
      expect(delta?.tenantAdditions).toBeUndefined();
      expect(delta?.tenants.get(t.id)?.entries.map((e) => e.id)).toEqual([old.id, first.id, second.id]);
      // A disabled entry added changes no rule, and says nothing: the whole list.
      await store.addTenantIpEntry(t.id, { value: '192.0.2.62', enabled: false }, as);
      delta = await store.rulesSince(start, { additions: true });
      expect(delta?.tenantAdditions?.size).toBe(0);
      expect(delta?.tenants.get(t.id)?.entries.map((e) => e.id)).toEqual([old.id, first.id, second.id]);
      const mid = await store.currentVersion();

      // An entry with an expiry: the whole list (expiry needs every row kept).
      await store.addTenantIpEntry(
        t.id,
        { value: '192.0.2.63', expiresAt: new Date(Date.now() + 3_600_000) },
        as,
      );
      delta = await store.rulesSince(mid, { additions: true });
      expect(delta?.tenantAdditions?.has(t.id)).toBe(false);
      expect(delta?.tenants.get(t.id)?.entries).toHaveLength(4);

      // An add, then an edit of another entry: the whole list.
      const from = await store.currentVersion();
      const added = await store.addTenantIpEntry(u.id, { value: '192.0.2.71' }, as);
      delta = await store.rulesSince(from, { additions: true });
      expect(delta?.tenantAdditions?.get(u.id)?.map((e) => e.id)).toEqual([added.id]);
      await store.updateTenantIpEntry(
        u.id,
        added.id,
        { enabled: false },
        { ...as, expectedVersion: added.version },
      );
      delta = await store.rulesSince(from, { additions: true });
      expect(delta?.tenantAdditions?.has(u.id)).toBe(false);
      expect(delta?.tenants.get(u.id)?.entries.map((e) => e.value)).toEqual(['192.0.2.70']);
      // A later add after the edit: still the whole list (the run since `from` is not add-only).
      await store.addTenantIpEntry(u.id, { value: '192.0.2.72' }, as);
      delta = await store.rulesSince(from, { additions: true });
      expect(delta?.tenantAdditions?.size).toBe(0);
      expect(delta?.tenants.get(u.id)?.entries.map((e) => e.value)).toEqual(['192.0.2.70', '192.0.2.72']);
      // An API's or a key's entry added: recompiled whole as before (only tenant lists are extended).
      const key = (await store.createKey(u.id, { name: 'k' }, as)).key;
      const at = await store.currentVersion();
      await store.addKeyIpEntry(u.id, key.id, { value: '192.0.2.73' }, as);
      delta = await store.rulesSince(at, { additions: true });
      expect(delta?.tenantAdditions?.size).toBe(0);
      expect(delta?.keys.get(key.id)?.key.id).toBe(key.id);
    });
  });
}
