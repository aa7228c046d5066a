import { IpAddress } from '@ipgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSnapshotEngine, type SnapshotEngine } from '../snapshot/snapshot-engine.js';
import type { Store } from '../store/store.js';
import { storeFactories } from '../store/test-stores.test-support.js';
import { REJECTED_REASON } from './auto-review.js';
import { testNetworkFacts } from './network-facts.test-support.js';
import { defaultReviewSettings } from './review-settings.js';
import { startAutoReview } from './start-review.js';

/**
 * A person's rejection reaches the `auto` mode's request path with the rules (docs/review.md): on a
 * real store and the real rules engine, an address the assessment trusts is held from the node's
 * first refresh after the reject, for every key, without an assessment, a write or a window; and
 * un-rejecting it (authorize) lets it in again.
 */
const factories = await storeFactories();
const facts = testNetworkFacts({ '198.51.100.0/24': { asn: 64500, asnName: 'Test Net', country: 'NL' } });
const actor = { actor: 'test' };
const ADDRESS = '198.51.100.70';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startNode(store: Store) {
  let writes = 0;
  const engine: SnapshotEngine = createSnapshotEngine({ store });
  await engine.refresh();
  cleanups.push(() => engine.close());
  const { review, writer } = startAutoReview({
    store: {
      autoAuthorizeAddresses: (input: Parameters<Store['autoAuthorizeAddresses']>[0]) => {
        writes++;
        return store.autoAuthorizeAddresses(input);
      },
      holdKeyBurst: (input: Parameters<Store['holdKeyBurst']>[0]) => store.holdKeyBurst(input),
    },
    engine: { refresh: () => engine.refresh() },
    settings: { review: defaultReviewSettings, reviewData: undefined },
    networkFacts: facts,
    flushMs: 20,
  });
  cleanups.push(() => writer.close());
  /** The verdict of the request path for an address the node's current list does not have. */
  const decide = (tenantId: string, keyId: string, address: string) => {
    const tenant = engine.current.tenants.get(tenantId);
    if (tenant === undefined) throw new Error('the tenant is not in the snapshot');
    if (tenant.restriction.list.has(address)) return 'listed' as const;
    return review.decide(tenant, keyId, IpAddress.parse(address));
  };
  const settled = async (tenantId: string) => {
    const until = Date.now() + 10_000;
    while (review.isAdmitting(tenantId, ADDRESS)) {
      if (Date.now() > until) throw new Error('the writer did not write the batch within 10 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { engine, decide, settled, writes: () => writes };
}

for (const factory of factories) {
  describe.skipIf(factory.skip)(`a rejected address in auto on ${factory.name}`, () => {
    async function setUp() {
      const store = await factory.open();
      cleanups.push(() => store.close());
      const tenant = await store.createTenant({ name: 'Auto', ipMode: 'auto' }, actor);
      await store.addTenantIpEntry(tenant.id, { value: '198.51.100.1' }, actor);
      const one = (await store.createKey(tenant.id, { name: 'one' }, actor)).key.id;
      const two = (await store.createKey(tenant.id, { name: 'two' }, actor)).key.id;
      return { store, tenantId: tenant.id, one, two };
    }

    it('trusted, listed by auto, then rejected: the next request after the refresh is held, with no window', async () => {
      const { store, tenantId, one, two } = await setUp();
      const node = await startNode(store);
      // The assessment trusts it (same /24 as a listed address): admitted and listed by auto.
      const first = node.decide(tenantId, one, ADDRESS);
      expect(first !== 'listed' && first.verdict).toBe('trusted');
      await node.settled(tenantId);
      expect(node.decide(tenantId, one, ADDRESS)).toBe('listed');

      const row = (await store.listObservedIps(tenantId)).items.find((o) => o.address === ADDRESS);
      expect(row?.status).toBe('authorized');
      const before = node.engine.current.version;
      await store.rejectObservedIp(tenantId, row?.id as string, {}, actor);
      await node.engine.refresh();
      expect(node.engine.current.version).toBeGreaterThan(before);
      const writes = node.writes();
      // The very next request, with either key and in either form of the address (a dual-stack
      // socket reports it IPv4-mapped): held by the rejection, not assessed, not written.
      for (const [keyId, address] of [
        [one, ADDRESS],
        [two, ADDRESS],
        [two, `::ffff:${ADDRESS}`],
      ] as const) {
        const next = node.decide(tenantId, keyId, address);
        if (next === 'listed') throw new Error('the rejected address is still listed');
        expect(next.verdict).toBe('held');
        expect(next.reasons).toEqual([REJECTED_REASON]);
      }
      await new Promise((r) => setTimeout(r, 60)); // longer than a flush: nothing was handed over
      expect(node.writes()).toBe(writes);
      expect((await store.listTenantIpEntries(tenantId)).map((e) => e.value)).toEqual(['198.51.100.1']);

      // A node that loads the store whole holds it too; so does one after the tenant's mode changed
      // (a change of the tenant alone: PostgreSQL reads it in one statement).
      const fresh = await startNode(store);
      expect(fresh.decide(tenantId, two, ADDRESS)).toMatchObject({
        verdict: 'held',
        reasons: [REJECTED_REASON],
      });
      await store.updateTenant(tenantId, { ipMode: 'manual' }, actor);
      await store.updateTenant(tenantId, { ipMode: 'auto' }, actor);
      await fresh.engine.refresh();
      expect(fresh.decide(tenantId, two, ADDRESS)).toMatchObject({
        verdict: 'held',
        reasons: [REJECTED_REASON],
      });
      expect(fresh.writes()).toBe(0);
    });

    it('un-rejecting (authorize after reject) lets the address in again', async () => {
      const { store, tenantId, one, two } = await setUp();
      const at = new Date();
      await store.recordObservations([
        { tenantId, keyId: one, address: ADDRESS, firstAt: at, lastAt: at, count: 1, status: 'pending' },
      ]);
      const [row] = (await store.listObservedIps(tenantId)).items;
      await store.rejectObservedIp(tenantId, row?.id as string, {}, actor);
      const node = await startNode(store);
      expect(node.decide(tenantId, two, ADDRESS)).toMatchObject({
        verdict: 'held',
        reasons: [REJECTED_REASON],
      });
      await store.authorizeObservedIp(tenantId, row?.id as string, {}, actor);
      await node.engine.refresh();
      expect(node.engine.current.tenants.get(tenantId)?.rejected.has(ADDRESS)).toBe(false);
      expect(node.decide(tenantId, two, ADDRESS)).toBe('listed');
      // Not listed any more (its entry removed by a person): assessed again, and trusted.
      const [entry] = (await store.listTenantIpEntries(tenantId)).filter((e) => e.value === ADDRESS);
      await store.removeTenantIpEntry(tenantId, entry?.id as string, actor);
      await node.engine.refresh();
      const again = node.decide(tenantId, two, ADDRESS);
      expect(again !== 'listed' && again.verdict).toBe('trusted');
    });

    it('a tenant in manual carries no rejected addresses', async () => {
      const { store, tenantId, one } = await setUp();
      const at = new Date();
      await store.recordObservations([
        { tenantId, keyId: one, address: ADDRESS, firstAt: at, lastAt: at, count: 1, status: 'pending' },
      ]);
      const [row] = (await store.listObservedIps(tenantId)).items;
      await store.rejectObservedIp(tenantId, row?.id as string, {}, actor);
      await store.updateTenant(tenantId, { ipMode: 'manual' }, actor);
      const node = await startNode(store);
      expect(node.engine.current.tenants.get(tenantId)?.rejected.size).toBe(0);
    });
  });
}
