import { IpAddress, IpGateError } from '@ipgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSnapshotEngine, type SnapshotEngine } from '../snapshot/snapshot-engine.js';
import type { Store } from '../store/store.js';
import { sqliteFactory } from '../store/test-stores.test-support.js';
import type { AutoReview } from './auto-review.js';
import { testNetworkFacts } from './network-facts.test-support.js';
import { defaultReviewSettings } from './review-settings.js';
import { startAutoReview } from './start-review.js';

/**
 * The batching writer of the `auto` mode, on a real SQLite store with the real rules engine
 * (docs/architecture/review.md#auto-on-the-request-path): the trusted addresses of a flush period are
 * one write and one change version; the process admits them meanwhile; nothing is durable before the
 * flush, so a process that stops first has promised nothing the store lacks.
 */
const facts = testNetworkFacts({ '198.51.100.0/24': { asn: 64500, asnName: 'Test Net', country: 'NL' } });
const actor = { actor: 'test' };
const factory = sqliteFactory();

interface Node {
  readonly engine: SnapshotEngine;
  readonly review: AutoReview;
  readonly writer: ReturnType<typeof startAutoReview>['writer'];
  readonly writes: () => number;
  readonly refreshes: () => number;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** What the node's store does to its next writes: fail with the error given, or write. */
type WriteFault = () => Error | undefined;

async function startNode(
  store: Store,
  flushMs: number,
  more: { readonly now?: () => number; readonly fault?: WriteFault } = {},
): Promise<Node> {
  let writes = 0;
  let refreshes = 0;
  const engine = createSnapshotEngine({ store });
  await engine.refresh();
  cleanups.push(() => engine.close());
  const counted = {
    autoAuthorizeAddresses: async (input: Parameters<Store['autoAuthorizeAddresses']>[0]) => {
      writes++;
      const failure = more.fault?.();
      if (failure !== undefined) throw failure;
      return store.autoAuthorizeAddresses(input);
    },
    holdKeyBurst: (input: Parameters<Store['holdKeyBurst']>[0]) => store.holdKeyBurst(input),
  };
  const { review, writer } = startAutoReview({
    store: counted,
    engine: {
      refresh: () => {
        refreshes++;
        return engine.refresh();
      },
    },
    settings: { review: defaultReviewSettings, reviewData: undefined },
    networkFacts: facts,
    flushMs,
    now: more.now,
  });
  return { engine, review, writer, writes: () => writes, refreshes: () => refreshes };
}

async function setUp(ipEntryLimit?: number) {
  const store = await factory.open();
  cleanups.push(() => store.close());
  const tenant = await store.createTenant({ name: 'Auto', ipMode: 'auto', ipEntryLimit }, actor);
  await store.addTenantIpEntry(tenant.id, { value: '198.51.100.1' }, actor);
  const keys = [
    (await store.createKey(tenant.id, { name: 'one' }, actor)).key.id,
    (await store.createKey(tenant.id, { name: 'two' }, actor)).key.id,
  ];
  return { store, tenantId: tenant.id, keys };
}

/** What the request path does for each address: the verdict of the process's AutoReview. */
function decide(node: Node, tenantId: string, keys: readonly string[], addresses: readonly string[]) {
  const tenant = node.engine.current.tenants.get(tenantId);
  if (tenant === undefined) throw new Error('the tenant is not in the snapshot');
  return addresses.map((a, i) =>
    node.review.decide(tenant, keys[i % keys.length] as string, IpAddress.parse(a)),
  );
}

async function settled(node: Node, tenantId: string, addresses: readonly string[]): Promise<void> {
  const until = Date.now() + 10_000;
  while (addresses.some((a) => node.review.isAdmitting(tenantId, a))) {
    if (Date.now() > until) throw new Error('the writer did not write the batch within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const listedValues = async (store: Store, tenantId: string) =>
  (await store.listTenantIpEntries(tenantId)).map((e) => e.value).sort();

describe('the auto writer', () => {
  it('several new addresses within one flush: one write, one change version, one refresh; admitted meanwhile', async () => {
    const { store, tenantId, keys } = await setUp();
    const node = await startNode(store, 300);
    const addresses = ['198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5'];
    const version = await store.currentVersion();
    const verdicts = decide(node, tenantId, keys, addresses);
    expect(verdicts.map((v) => v.verdict)).toEqual(['trusted', 'trusted', 'trusted', 'trusted']);
    // Admitted by this process while the batch waits: the store has nothing yet.
    for (const a of addresses) expect(node.review.isAdmitting(tenantId, a)).toBe(true);
    expect(await store.currentVersion()).toBe(version);

    await settled(node, tenantId, addresses);
    expect(node.writes()).toBe(1);
    expect(node.refreshes()).toBe(1);
    expect(await store.currentVersion()).toBe(version + 1);
    expect(await listedValues(store, tenantId)).toEqual(['198.51.100.1', ...addresses]);
    // The overlay let go only once this process's snapshot held them all.
    const list = node.engine.current.tenants.get(tenantId)?.restriction.list;
    for (const a of addresses) expect(list?.has(a)).toBe(true);
  });

  it('a process that stops before its flush promised nothing the store lacks: the addresses are assessed again', async () => {
    const { store, tenantId, keys } = await setUp();
    const addresses = ['198.51.100.20', '198.51.100.21', '198.51.100.22'];
    // Node A admits the addresses, then dies before its (minute-long) flush period ends.
    const a = await startNode(store, 60_000);
    const version = await store.currentVersion();
    expect(decide(a, tenantId, keys, addresses).every((v) => v.verdict === 'trusted')).toBe(true);
    expect(await store.currentVersion()).toBe(version);
    expect(await listedValues(store, tenantId)).toEqual(['198.51.100.1']);
    expect((await store.listObservedIps(tenantId)).items).toEqual([]);

    // The process that replaces it (or any other node) assesses them again on their next requests.
    const b = await startNode(store, 50);
    expect(decide(b, tenantId, keys, addresses).every((v) => v.verdict === 'trusted')).toBe(true);
    await settled(b, tenantId, addresses);
    expect(await store.currentVersion()).toBe(version + 1);
    expect(await listedValues(store, tenantId)).toEqual(['198.51.100.1', ...addresses].sort());
  });

  it('a clean stop writes what is waiting', async () => {
    const { store, tenantId, keys } = await setUp();
    const node = await startNode(store, 60_000);
    decide(node, tenantId, keys, ['198.51.100.30', '198.51.100.31']);
    await node.writer.close();
    expect(node.writes()).toBe(1);
    expect(await listedValues(store, tenantId)).toEqual(['198.51.100.1', '198.51.100.30', '198.51.100.31']);
  });

  it('an address a person rejected under another key: held on this node for every key, never written', async () => {
    const { store, tenantId, keys } = await setUp();
    const [one, two] = keys as [string, string];
    const address = '198.51.100.70';
    const at = new Date();
    await store.recordObservations([
      { tenantId, keyId: one, address, firstAt: at, lastAt: at, count: 1, status: 'pending' },
    ]);
    const [row] = (await store.listObservedIps(tenantId)).items;
    await store.rejectObservedIp(tenantId, row?.id as string, {}, actor);
    const node = await startNode(store, 50);
    // The tenant's rules carry the rejection: the trusted address is held at once, with either key,
    // and nothing is handed to the writer.
    for (const keyId of [two, one]) {
      const again = decide(node, tenantId, [keyId], [address])[0];
      expect(again?.verdict).toBe('held');
      expect(again?.reasons).toEqual(['a person rejected this address']);
      expect(node.review.isAdmitting(tenantId, address)).toBe(false);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(node.writes()).toBe(0);
    expect(await listedValues(store, tenantId)).toEqual(['198.51.100.1']);
  });

  it('a tenant at its entry limit: the batch lists what fits; the rest stay pending and are held here for the hour', async () => {
    const { store, tenantId, keys } = await setUp(3);
    const node = await startNode(store, 200);
    const addresses = ['198.51.100.40', '198.51.100.41', '198.51.100.42', '198.51.100.43'];
    expect(decide(node, tenantId, keys, addresses).every((v) => v.verdict === 'trusted')).toBe(true);
    await settled(node, tenantId, addresses);
    expect(node.writes()).toBe(1);
    // In (key, address) order: key one's .40 and .42 come first; key two's .41 and .43 are past the limit.
    const listed = await listedValues(store, tenantId);
    expect(listed).toHaveLength(3);
    const refused = addresses.filter((a) => !listed.includes(a));
    expect(refused).toHaveLength(2);
    const again = decide(node, tenantId, keys, addresses);
    for (const [i, a] of addresses.entries()) {
      if (!refused.includes(a)) continue;
      expect(again[i]?.verdict).toBe('held');
      expect(again[i]?.reasons.at(-1)).toBe('not authorized: the tenant list holds its limit of 3 entries');
    }
    const observed = (await store.listObservedIps(tenantId)).items;
    expect(
      observed
        .filter((o) => o.status === 'authorized')
        .map((o) => o.address)
        .sort(),
    ).toEqual(listed.filter((a) => a !== '198.51.100.1'));
  });

  describe('a write the store failed', () => {
    /** A clock the test moves; the writer's flush timer still runs on real time. */
    const clock = () => {
      let t = Date.parse('2026-12-07T10:00:00Z');
      return { now: () => t, advance: (ms: number) => (t += ms) };
    };
    const verdictOf = (node: Node, tenantId: string, keys: readonly string[], a: string) =>
      decide(node, tenantId, keys, [a])[0];

    it.each([
      ['the store is down', () => new IpGateError('IPG_STORE_UNAVAILABLE', 'The store cannot be reached.')],
      ['SQLite is busy', () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })],
      ['the connection was reset', () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
      ['a query timed out', () => new Error('Query read timeout')],
    ])('once because %s: held for seconds, then written on the next request', async (_, failure) => {
      const { store, tenantId, keys } = await setUp();
      const time = clock();
      let failures = 1;
      const node = await startNode(store, 10, {
        now: time.now,
        fault: () => (failures-- > 0 ? failure() : undefined),
      });
      const address = '198.51.100.60';
      expect(verdictOf(node, tenantId, keys, address)?.verdict).toBe('trusted');
      await settled(node, tenantId, [address]);
      expect(await listedValues(store, tenantId)).toEqual(['198.51.100.1']);
      // Held while the store recovers, with the reason…
      const held = verdictOf(node, tenantId, keys, address);
      expect(held?.verdict).toBe('held');
      expect(held?.reasons.at(-1)).toMatch(/^not authorized: /);
      time.advance(4_000);
      expect(verdictOf(node, tenantId, keys, address)?.verdict).toBe('held');
      // …but only for seconds: the next request after that is assessed and written again.
      time.advance(1_000);
      expect(verdictOf(node, tenantId, keys, address)?.verdict).toBe('trusted');
      await settled(node, tenantId, [address]);
      expect(await listedValues(store, tenantId)).toEqual(['198.51.100.1', address]);
      expect(node.writes()).toBe(2);
    });

    it('again and again: the wait doubles from 5 s up to 30 s, and a write that works ends it', async () => {
      const { store, tenantId, keys } = await setUp();
      const time = clock();
      let down = true;
      const node = await startNode(store, 10, {
        now: time.now,
        fault: () => (down ? new IpGateError('IPG_STORE_UNAVAILABLE', 'down') : undefined),
      });
      const address = '198.51.100.61';
      const waits: number[] = [];
      expect(verdictOf(node, tenantId, keys, address)?.verdict).toBe('trusted');
      await settled(node, tenantId, [address]);
      for (let attempt = 0; attempt < 6; attempt++) {
        let waited = 0;
        while (verdictOf(node, tenantId, keys, address)?.verdict === 'held') {
          time.advance(1_000);
          waited += 1_000;
          if (waited > 120_000) throw new Error('still held after two minutes');
        }
        waits.push(waited);
        // The loop's last decide admitted it again and queued a write: it fails too.
        await settled(node, tenantId, [address]);
      }
      expect(waits).toEqual([5_000, 10_000, 20_000, 30_000, 30_000, 30_000]);
      expect(node.writes()).toBe(7);
      down = false;
      time.advance(30_000);
      expect(verdictOf(node, tenantId, keys, address)?.verdict).toBe('trusted');
      await settled(node, tenantId, [address]);
      expect(node.writes()).toBe(8);
      expect(await listedValues(store, tenantId)).toEqual(['198.51.100.1', address]);
      // The write that worked forgot the failures: once the address is removed (unknown again) and the
      // store fails anew, the first wait is 5 s again, not the 30 s the run of failures had reached.
      const entry = (await store.listTenantIpEntries(tenantId)).find((e) => e.value === address);
      await store.removeTenantIpEntry(tenantId, entry?.id ?? '', actor);
      await node.engine.refresh();
      down = true;
      expect(verdictOf(node, tenantId, keys, address)?.verdict).toBe('trusted');
      await settled(node, tenantId, [address]);
      time.advance(4_000);
      expect(verdictOf(node, tenantId, keys, address)?.verdict).toBe('held');
      time.advance(1_000);
      expect(verdictOf(node, tenantId, keys, address)?.verdict).toBe('trusted');
    });

    it('because of a rule (the tenant is gone): held for the hour, not retried within seconds', async () => {
      const { store, tenantId, keys } = await setUp();
      const time = clock();
      const node = await startNode(store, 10, {
        now: time.now,
        fault: () => new IpGateError('IPG_NOT_FOUND', 'No tenant.'),
      });
      const address = '198.51.100.62';
      expect(verdictOf(node, tenantId, keys, address)?.verdict).toBe('trusted');
      await settled(node, tenantId, [address]);
      time.advance(59 * 60_000);
      expect(verdictOf(node, tenantId, keys, address)?.verdict).toBe('held');
      expect(node.writes()).toBe(1);
      time.advance(60_000);
      expect(verdictOf(node, tenantId, keys, address)?.verdict).toBe('trusted');
    });
  });
});
