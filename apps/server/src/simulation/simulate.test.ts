import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnapshotEngine, type SnapshotEngine } from '../snapshot/snapshot-engine.js';
import type { RequestRecord, Store } from '../store/store.js';
import { storeFactories } from '../store/test-stores.test-support.js';
import { createSimulator, type Simulator } from './simulator.js';

/**
 * Simulations against recorded traffic in real SQLite and PostgreSQL stores, decided with the
 * snapshot the engine compiles from the same store.
 */
const as = { actor: 'test:simulate' };
const since = new Date('2026-11-01T00:00:00.000Z');
const until = new Date('2026-11-02T00:00:00.000Z');

for (const factory of await storeFactories()) {
  describe.skipIf(factory.skip)(`simulate on ${factory.name}`, () => {
    let store: Store;
    let engine: SnapshotEngine;
    let simulator: Simulator;
    const ids = { tenant: '', other: '', office: '', old: '', k1: '', k2: '', api: '' };

    beforeAll(async () => {
      store = await factory.open();
      const tenant = await store.createTenant({ name: 'Acme' }, as);
      const other = await store.createTenant({ name: 'Other', ipMode: 'off' }, as);
      const office = await store.addTenantIpEntry(tenant.id, { value: '203.0.113.0/24', name: 'office' }, as);
      const old = await store.addTenantIpEntry(tenant.id, { value: '198.51.100.7', name: 'old vpn' }, as);
      await store.addTenantIpEntry(tenant.id, { value: '198.51.100.9', enabled: false }, as);
      const k1 = (await store.createKey(tenant.id, { name: 'server' }, as)).key;
      const k2 = (await store.createKey(tenant.id, { name: 'web', domainRestrictionEnabled: true }, as)).key;
      await store.addKeyDomainEntry(tenant.id, k2.id, { value: 'app.example.com' }, as);
      const ko = (await store.createKey(other.id, { name: 'x' }, as)).key;
      const api = await store.createApi({ name: 'orders', upstreamUrl: 'http://127.0.0.1:9' }, as);
      Object.assign(ids, {
        tenant: tenant.id,
        other: other.id,
        office: office.id,
        old: old.id,
        k1: k1.id,
        k2: k2.id,
        api: api.id,
      });
      let n = 0;
      const rec = (client: string | null, extra: Partial<RequestRecord>): RequestRecord => ({
        requestId: `req_${factory.name}_${n}`,
        // Spread over the window, some sharing a time, so pages must order ties by id.
        at: new Date(since.getTime() + Math.floor(n++ / 3) * 1000),
        tenantId: tenant.id,
        apiId: api.id,
        keyId: k1.id,
        client,
        method: 'GET',
        path: '/orders',
        status: 200,
        decision: 'allow',
        stage: 'complete',
        reason: 'allowed',
        latencyMs: 1,
        origin: null,
        ...extra,
      });
      const denied = {
        decision: 'deny',
        status: 403,
        stage: 'tenant-restriction',
        reason: 'tenant-ip-not-listed',
      } as const;
      const rows: RequestRecord[] = [
        ...Array.from({ length: 50 }, () => rec('203.0.113.7', {})),
        ...Array.from({ length: 10 }, () => rec('203.0.113.8', {})),
        ...Array.from({ length: 5 }, () => rec('192.0.2.1', denied)),
        ...Array.from({ length: 3 }, () =>
          rec('203.0.113.9', { keyId: k2.id, origin: 'https://app.example.com' }),
        ),
        // Denied by the API allowlist before authentication (the list has changed since): no key.
        rec('10.0.0.1', {
          tenantId: null,
          keyId: null,
          decision: 'deny',
          stage: 'api-allowlist',
          status: 403,
        }),
        // Failed authentication: denied whatever the lists say.
        rec('203.0.113.50', {
          tenantId: null,
          keyId: null,
          stage: 'authentication',
          decision: 'deny',
          status: 401,
        }),
        // Another tenant's traffic, and traffic outside the window, never count.
        rec('192.0.2.1', { tenantId: other.id, keyId: ko.id }),
        rec('192.0.2.1', { at: new Date(until.getTime() + 1000) }),
        // A client that was never resolved cannot be decided again.
        rec(null, { decision: 'deny', stage: 'client-address', status: 403 }),
      ];
      await store.appendRequests(rows);
      engine = createSnapshotEngine({ store });
      await engine.refresh();
      simulator = createSimulator(store, () => engine.current);
    });

    afterAll(async () => {
      await engine?.close();
      await store?.close();
    });

    it('replacing the office with another network flips the office to denied and the other to allowed', async () => {
      const r = await simulator.run(
        { kind: 'tenant', tenantId: ids.tenant },
        { remove: [ids.office], add: [{ value: '192.0.2.0/24', name: 'new office' }] },
        { since, until },
      );
      expect(r.requests).toEqual({
        examined: 69,
        decided: 68,
        undecidable: 1,
        allowedNow: 63,
        allowedWithDraft: 8,
      });
      expect(r.allowedToDenied).toEqual({
        requests: 60,
        requestsWithoutKey: 0,
        addresses: 2,
        keys: 1,
        topAddresses: [
          { address: '203.0.113.7', requests: 50 },
          { address: '203.0.113.8', requests: 10 },
        ],
        exact: true,
      });
      expect(r.deniedToAllowed).toMatchObject({ requests: 5, addresses: 1, keys: 1 });
      // The old VPN address saw no traffic; the disabled entry is not in force and not reported.
      expect(r.unmatchedEntries).toEqual([{ id: ids.old, value: '198.51.100.7', name: 'old vpn' }]);
      expect(r.truncated).toBe(false);
    });

    it("an empty replacement denies every server key's request; mode off lets everyone through", async () => {
      const empty = await simulator.run(
        { kind: 'tenant', tenantId: ids.tenant },
        { replace: [] },
        { since, until },
      );
      // The web key is a browser key: judged by its domain rules, never by the tenant's list.
      expect([empty.allowedToDenied.requests, empty.deniedToAllowed.requests]).toEqual([60, 0]);
      const off = await simulator.run(
        { kind: 'tenant', tenantId: ids.tenant },
        { add: [] },
        { since, until, mode: 'off' },
      );
      expect([off.allowedToDenied.requests, off.deniedToAllowed.requests]).toEqual([0, 5]);
    });

    it("a key's domain list is decided on the recorded origins", async () => {
      const r = await simulator.run(
        { kind: 'key-domains', tenantId: ids.tenant, keyId: ids.k2 },
        { replace: [{ value: 'other.example.com' }] },
        { since, until },
      );
      expect(r.requests.examined).toBe(3);
      expect(r.allowedToDenied).toMatchObject({
        requests: 3,
        keys: 1,
        topAddresses: [{ address: '203.0.113.9', requests: 3 }],
      });
      expect(r.unmatchedEntries.map((e) => e.value)).toEqual(['other.example.com']);
      const ips = await simulator.run(
        { kind: 'key-ips', tenantId: ids.tenant, keyId: ids.k1 },
        { add: [{ value: '203.0.113.7' }] },
        { since, until, restrictionEnabled: true },
      );
      // Only 203.0.113.7 stays allowed; 203.0.113.8 flips.
      expect(ips.allowedToDenied).toMatchObject({ requests: 10, addresses: 1 });
    });

    it('an API allowlist: requests denied before authentication are decided on the allowlist alone', async () => {
      const r = await simulator.run(
        { kind: 'api', apiId: ids.api },
        { add: [{ value: '203.0.113.0/24' }] },
        { since, until },
      );
      // The API-scoped window also holds the other tenant's request (192.0.2.1, now allowed: its tenant is off).
      expect(r.allowedToDenied).toMatchObject({ requests: 2, requestsWithoutKey: 1, addresses: 2 });
      expect(r.allowedToDenied.topAddresses.map((a) => a.address).sort()).toEqual(['10.0.0.1', '192.0.2.1']);
      expect(r.unmatchedEntries).toEqual([]);
    });

    it('stops at maxRequests and says so', async () => {
      const r = await simulator.run(
        { kind: 'tenant', tenantId: ids.tenant },
        { add: [] },
        { since, until, maxRequests: 10 },
      );
      expect([r.requests.examined, r.truncated]).toEqual([10, true]);
      const all = await simulator.run(
        { kind: 'tenant', tenantId: ids.tenant },
        { add: [] },
        { since, until, maxRequests: 69 },
      );
      expect([all.requests.examined, all.truncated]).toEqual([69, false]);
    });

    it('refuses a bad draft with the field that is wrong, before reading any traffic', async () => {
      const tenant = { kind: 'tenant', tenantId: ids.tenant } as const;
      await expect(
        simulator.run(tenant, { add: [{ value: '10.0.0.1/8' }] }, { since, until }),
      ).rejects.toMatchObject({
        code: 'IPG_ENTRY_HOST_BITS',
        field: 'draft.add[0].value',
      });
      await expect(simulator.run(tenant, { remove: ['ent_nope'] })).rejects.toMatchObject({
        code: 'IPG_NOT_FOUND',
        field: 'draft.remove[0]',
      });
      await expect(
        simulator.run(
          { kind: 'key-domains', tenantId: ids.tenant, keyId: ids.k2 },
          { add: [{ value: 'ftp://x.com' }] },
        ),
      ).rejects.toMatchObject({ field: 'draft.add[0].value' });
      await expect(simulator.run(tenant, { add: [] }, { since: until, until: since })).rejects.toMatchObject({
        status: 400,
        field: 'until',
      });
      await expect(
        simulator.run({ kind: 'tenant', tenantId: ids.other }, { remove: [ids.office] }),
      ).rejects.toMatchObject({
        code: 'IPG_NOT_FOUND',
      });
    });
  });
}
