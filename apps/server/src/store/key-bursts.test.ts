import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleAssessment } from '../review/assessment.test-support.js';
import type { Store } from './store.js';
import { type StoreLocation, storeFactories } from './test-stores.test-support.js';

/**
 * A burst of new addresses on one key, on real stores (docs/architecture/review.md#a-burst-on-one-key):
 * the store counts every node's new addresses on the key; at the limit it holds them all — what
 * `auto` listed within the hour is undone, pending again and notified — and lists none of the key's
 * addresses until the hour has passed, whichever node (store connection) asks.
 */
const factories = await storeFactories();
const HOUR = 3_600_000;

describe.each(factories.map((f) => [f.name, f] as const))('key bursts on %s', (_name, factory) => {
  let location: StoreLocation;
  let dispose: () => Promise<void>;
  let nodeA: Store;
  let nodeB: Store;
  let tenantId: string;
  const actor = { actor: 'test' };
  const burst = { limit: 3, windowMs: HOUR };

  beforeAll(async () => {
    if (factory.skip) return;
    ({ location, dispose } = await factory.createLocation());
    nodeA = await factory.openAt(location);
    nodeB = await factory.openAt(location);
    tenantId = (await nodeA.createTenant({ name: 'Bursts', ipMode: 'auto' }, actor)).id;
    await nodeA.notifications.createChannel(
      tenantId,
      { kind: 'email', name: 'owner', target: 'owner@example.com' },
      actor,
    );
  });

  afterAll(async () => {
    await nodeA?.close();
    await nodeB?.close();
    await dispose?.();
  });

  const newKey = async (name: string) => (await nodeA.createKey(tenantId, { name }, actor)).key.id;
  const authorize = (node: Store, keyId: string, address: string, at = new Date()) =>
    node.autoAuthorizeAddress({
      tenantId,
      keyId,
      address,
      assessment: sampleAssessment(address, 'trusted'),
      at,
      burst,
    });
  const observedOf = async (keyId: string) =>
    new Map(
      (await nodeA.listObservedIps(tenantId, { keyId }, { limit: 500 })).items.map((o) => [o.address, o]),
    );
  const listed = async () => (await nodeA.listTenantIpEntries(tenantId)).map((e) => e.value);

  it.skipIf(factory.skip)(
    'the limit-th new address across two nodes holds them all: entries undone, pending, notified',
    async () => {
      const keyId = await newKey('leaked');
      expect((await authorize(nodeA, keyId, '198.51.100.1')).outcome).toBe('authorized');
      expect((await authorize(nodeB, keyId, '198.51.100.2')).outcome).toBe('authorized');
      expect(await listed()).toEqual(expect.arrayContaining(['198.51.100.1', '198.51.100.2']));

      const third = await authorize(nodeA, keyId, '198.51.100.3');
      expect(third).toMatchObject({ outcome: 'burst', newAddresses: 3 });
      expect(third.outcome === 'burst' && third.held.map((o) => o.address).sort()).toEqual([
        '198.51.100.1',
        '198.51.100.2',
      ]);
      const entries = await listed();
      for (const a of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) expect(entries).not.toContain(a);

      const rows = await observedOf(keyId);
      for (const a of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
        const o = rows.get(a);
        expect(o?.status).toBe('pending');
        expect(o?.assessment?.verdict).toBe('held');
        expect(o?.assessment?.factors.find((f) => f.factor === 'key-burst')).toMatchObject({
          applies: true,
          holds: true,
          evidence: '3 new addresses on the key within an hour, on every node (holds at 3)',
        });
        expect(o?.assessment?.reasons.at(-1)).toMatch(/^held by key-burst/);
      }
      expect(rows.get('198.51.100.1')?.reasons.at(-1)).toMatch(/automatic authorization was undone/);

      // Every held address is told as ip.pending, the way a held one always is.
      const { items } = await nodeA.notifications.listDeliveries(tenantId, {}, { limit: 500 });
      const told = new Set(items.filter((d) => d.type === 'ip.pending').map((d) => d.observedId as string));
      for (const a of ['198.51.100.1', '198.51.100.2', '198.51.100.3'])
        expect(told.has(rows.get(a)?.id as string)).toBe(true);

      const audit = (await nodeA.listAuditEvents(tenantId, { limit: 500 })).items;
      expect(
        audit
          .filter((e) => e.action === 'tenant.observed_ip.burst_held')
          .map((e) => e.actor)
          .sort(),
      ).toEqual(['auto-review', 'auto-review']);

      // Held for the hour on every node: a fourth address is refused and held, through node B.
      const fourth = await authorize(nodeB, keyId, '198.51.100.4');
      expect(fourth).toMatchObject({ outcome: 'burst', newAddresses: 3, held: [] });
      expect((await observedOf(keyId)).get('198.51.100.4')).toMatchObject({
        status: 'pending',
        assessment: { verdict: 'held' },
      });
      expect(await listed()).not.toContain('198.51.100.4');
      // Once the hour has passed, the key's addresses are assessed and listed again.
      const later = new Date(Date.now() + HOUR + 60_000);
      expect((await authorize(nodeA, keyId, '198.51.100.9', later)).outcome).toBe('authorized');
    },
  );

  it.skipIf(factory.skip)(
    "a node's own burst holds the key on every node; a person's entries stay",
    async () => {
      const keyId = await newKey('node-burst');
      expect((await authorize(nodeA, keyId, '203.0.113.1')).outcome).toBe('authorized');
      // A person listed this one: the burst does not undo their decision.
      await nodeA.recordObservations([
        {
          tenantId,
          keyId,
          address: '203.0.113.2',
          firstAt: new Date(),
          lastAt: new Date(),
          count: 1,
          status: 'pending',
          assessment: sampleAssessment('203.0.113.2', 'held'),
        },
      ]);
      const two = (await observedOf(keyId)).get('203.0.113.2');
      await nodeA.authorizeObservedIp(tenantId, two?.id as string, {}, actor);

      const held = await nodeB.holdKeyBurst({
        tenantId,
        keyId,
        newAddresses: 5,
        at: new Date(),
        burst: { limit: 5, windowMs: HOUR },
      });
      expect(held.newAddresses).toBe(5);
      expect(held.held.map((o) => o.address)).toEqual(['203.0.113.1']);
      expect(await listed()).toContain('203.0.113.2');
      expect(await listed()).not.toContain('203.0.113.1');
      expect((await observedOf(keyId)).get('203.0.113.2')?.status).toBe('authorized');
      // Node A had not counted the burst itself: the store refuses its next address anyway.
      expect(await authorize(nodeA, keyId, '203.0.113.3')).toMatchObject({
        outcome: 'burst',
        newAddresses: 5,
      });
    },
  );

  it.skipIf(factory.skip)('calls and verdicts a node recorded before the hold do not undo it', async () => {
    const keyId = await newKey('stale');
    const before = new Date(Date.now() - 1000);
    expect((await authorize(nodeA, keyId, '192.0.2.1', before)).outcome).toBe('authorized');
    await nodeB.holdKeyBurst({ tenantId, keyId, newAddresses: 3, at: new Date(), burst });
    // The node's recorder flushes what it saw before the hold: a passed call, the trusted verdict.
    await nodeA.recordObservations([
      {
        tenantId,
        keyId,
        address: '192.0.2.1',
        firstAt: before,
        lastAt: before,
        count: 2,
        status: 'authorized',
        assessment: sampleAssessment('192.0.2.1', 'trusted'),
      },
    ]);
    const o = (await observedOf(keyId)).get('192.0.2.1');
    expect(o).toMatchObject({ status: 'pending', count: 2, assessment: { verdict: 'held' } });
    // A call after the hold that passed (a person listed it meanwhile) does settle it.
    await nodeA.recordObservations([
      {
        tenantId,
        keyId,
        address: '192.0.2.1',
        firstAt: new Date(Date.now() + 1000),
        lastAt: new Date(Date.now() + 1000),
        count: 1,
        status: 'authorized',
      },
    ]);
    expect((await observedOf(keyId)).get('192.0.2.1')?.status).toBe('authorized');
  });

  it.skipIf(factory.skip)('refuses a burst rule that is not one, naming the field', async () => {
    const keyId = await newKey('bad-rule');
    await expect(
      nodeA.holdKeyBurst({
        tenantId,
        keyId,
        newAddresses: 1,
        at: new Date(),
        burst: { limit: 0, windowMs: HOUR },
      }),
    ).rejects.toMatchObject({ status: 400, field: 'burst.limit' });
    await expect(
      nodeA.autoAuthorizeAddress({
        tenantId,
        keyId,
        address: '192.0.2.77',
        assessment: sampleAssessment('192.0.2.77', 'trusted'),
        at: new Date(),
        burst: { limit: 3, windowMs: 10 },
      }),
    ).rejects.toMatchObject({ status: 400, field: 'burst.windowMs' });
  });
});
