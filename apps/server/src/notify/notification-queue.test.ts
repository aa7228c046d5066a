import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleAssessment } from '../review/assessment.test-support.js';
import type { Store } from '../store/store.js';
import { type StoreLocation, storeFactories } from '../store/test-stores.test-support.js';

/**
 * The queue's guarantees on real stores: one notification per (tenant, address) per day even when
 * two nodes (two store connections) record the same new address at the same moment, one delivery
 * per subscribed channel, and leases that two senders never share.
 */
const factories = await storeFactories();

describe.each(factories.map((f) => [f.name, f] as const))('the notification queue on %s', (name, factory) => {
  // Two SQLite connections in one process cannot interleave transactions (the driver is synchronous:
  // one waiting for the lock blocks the thread the other needs); its nodes are separate processes.
  // There the two "nodes" take turns; on PostgreSQL they really race.
  const together = async <T>(a: () => Promise<T>, b: () => Promise<T>): Promise<[T, T]> =>
    name === 'sqlite' ? [await a(), await b()] : Promise.all([a(), b()]);
  let location: StoreLocation;
  let dispose: () => Promise<void>;
  let nodeA: Store;
  let nodeB: Store;
  let tenantId: string;
  let keyIds: string[];
  const actor = { actor: 'test' };

  beforeAll(async () => {
    if (factory.skip) return;
    ({ location, dispose } = await factory.createLocation());
    nodeA = await factory.openAt(location);
    nodeB = await factory.openAt(location);
    tenantId = (await nodeA.createTenant({ name: 'Queue' }, actor)).id;
    keyIds = [
      (await nodeA.createKey(tenantId, { name: 'one' }, actor)).key.id,
      (await nodeA.createKey(tenantId, { name: 'two' }, actor)).key.id,
    ];
    await nodeA.notifications.createChannel(
      tenantId,
      { kind: 'email', name: 'a', target: 'a@example.com' },
      actor,
    );
    await nodeA.notifications.createChannel(
      tenantId,
      { kind: 'webhook', name: 'b', target: 'https://hooks.example.com/x', events: ['ip.pending'] },
      actor,
    );
    await nodeA.notifications.createChannel(
      tenantId,
      { kind: 'webhook', name: 'c', target: 'https://hooks.example.com/y', events: ['ip.authorized'] },
      actor,
    );
  });

  afterAll(async () => {
    await nodeA?.close();
    await nodeB?.close();
    await dispose?.();
  });

  const sighting = (keyId: string, address: string) => {
    const at = new Date();
    return { tenantId, keyId, address, firstAt: at, lastAt: at, count: 1, status: 'pending' as const };
  };

  it.skipIf(factory.skip)('two nodes recording one new address at once queue one notification', async () => {
    for (let i = 0; i < 10; i++) {
      const address = `198.51.100.${i}`;
      // Both keys, both nodes, at the same moment: four pending rows' worth of sightings.
      await together(
        () =>
          nodeA.recordObservations([
            sighting(keyIds[0] as string, address),
            sighting(keyIds[1] as string, address),
          ]),
        () =>
          nodeB.recordObservations([
            sighting(keyIds[1] as string, address),
            sighting(keyIds[0] as string, address),
          ]),
      );
    }
    const { items } = await nodeA.notifications.listDeliveries(tenantId, {}, { limit: 500 });
    // Ten addresses, each told once, to the two channels that take ip.pending (not to c).
    expect(items).toHaveLength(20);
    expect(new Set(items.map((d) => d.notificationId)).size).toBe(10);
    expect(items.every((d) => d.type === 'ip.pending' && d.status === 'queued')).toBe(true);
  });

  it.skipIf(factory.skip)('an address seen again, or with another key later, is not told again', async () => {
    await nodeA.recordObservations([sighting(keyIds[0] as string, '198.51.100.0')]);
    const third = (await nodeA.createKey(tenantId, { name: 'three' }, actor)).key.id;
    await nodeB.recordObservations([sighting(third, '198.51.100.1')]);
    const { items } = await nodeA.notifications.listDeliveries(tenantId, {}, { limit: 500 });
    expect(items).toHaveLength(20);
  });

  it.skipIf(factory.skip)('two senders never lease the same delivery', async () => {
    const [a, b] = await together(
      () => nodeA.notifications.claimDueDeliveries(new Date(), 15, 60_000),
      () => nodeB.notifications.claimDueDeliveries(new Date(), 15, 60_000),
    );
    const ids = [...a, ...b].map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(20);
    // Held by a live lease: nothing is due now.
    expect(await nodeA.notifications.claimDueDeliveries(new Date(), 50, 60_000)).toHaveLength(0);
    // A lease that lapsed (its sender died) makes the delivery due again.
    const later = new Date(Date.now() + 61_000);
    expect(await nodeB.notifications.claimDueDeliveries(later, 50, 60_000)).toHaveLength(20);
  });

  it.skipIf(factory.skip)(
    'a sender whose lease lapsed cannot undo the outcome of the sender that took the delivery over',
    async () => {
      // All 20 were claimed above with leases lapsing by +121 s: nodeA takes one at +200 s...
      const t0 = Date.now() + 200_000;
      const [late] = await nodeA.notifications.claimDueDeliveries(new Date(t0), 1, 60_000);
      expect(late).toBeDefined();
      const d = late as NonNullable<typeof late>;
      // ...and is held up past its lease: nodeB's round takes the same delivery and sends it.
      const taken = await nodeB.notifications.claimDueDeliveries(new Date(t0 + 61_000), 50, 60_000);
      const again = taken.find((x) => x.id === d.id);
      expect(again).toBeDefined();
      const ok = { ok: true as const, detail: 'HTTP 204', durationMs: 5 };
      expect(await nodeB.notifications.completeDelivery(d.id, ok, again?.leaseUntil)).toBe(true);
      // nodeA's late failure would set it back to queued (and it would be sent a third time).
      const failure = { ok: false as const, detail: 'HTTP 503', durationMs: 9000, retryAt: new Date() };
      expect(await nodeA.notifications.completeDelivery(d.id, failure, d.leaseUntil)).toBe(false);
      expect(
        await nodeA.notifications.completeDelivery(d.id, { ok: 'later', at: new Date() }, d.leaseUntil),
      ).toBe(false);
      const after = (await nodeA.notifications.listDeliveries(tenantId, {}, { limit: 500 })).items.find(
        (x) => x.id === d.id,
      );
      expect(after?.status).toBe('sent');
      expect(after?.log.map((a) => a.ok)).toEqual([true]);
      // The others nodeB took are still its own to finish: give them back for the tests below.
      for (const x of taken)
        if (x.id !== d.id)
          expect(
            await nodeB.notifications.completeDelivery(x.id, { ok: 'later', at: new Date() }, x.leaseUntil),
          ).toBe(true);
    },
  );

  it.skipIf(factory.skip)('a review action queues its event for the channels that take it', async () => {
    const obs = (await nodeA.listObservedIps(tenantId, { status: 'pending' })).items[0];
    await nodeA.authorizeObservedIp(tenantId, obs?.id as string, {}, actor);
    const { items } = await nodeA.notifications.listDeliveries(
      tenantId,
      { status: 'queued' },
      { limit: 500 },
    );
    const authorized = items.filter((d) => d.type === 'ip.authorized');
    expect(authorized).toHaveLength(1);
    const channels = await nodeA.notifications.listChannels(tenantId);
    expect(authorized[0]?.channelId).toBe(channels.find((c) => c.name === 'c')?.id);
  });

  it.skipIf(factory.skip)('an automatic authorization queues ip.authorized too', async () => {
    await nodeA.updateTenant(tenantId, { ipMode: 'auto' }, actor);
    const result = await nodeA.autoAuthorizeAddress({
      tenantId,
      keyId: keyIds[0] as string,
      address: '198.51.100.200',
      assessment: sampleAssessment('198.51.100.200', 'trusted'),
      at: new Date(),
    });
    expect(result.outcome).toBe('authorized');
    const { items } = await nodeA.notifications.listDeliveries(
      tenantId,
      { status: 'queued' },
      { limit: 500 },
    );
    expect(items.filter((d) => d.type === 'ip.authorized')).toHaveLength(2);
    // What the webhook carries: the automatic actor and the assessment's reasons.
    const claimed = await nodeA.notifications.claimDueDeliveries(new Date(), 500, 60_000);
    const auto = claimed.find(
      (d) =>
        d.notification.type === 'ip.authorized' && d.notification.payload['address'] === '198.51.100.200',
    );
    expect(auto?.notification.payload).toMatchObject({
      actor: 'auto-review',
      automatic: true,
      reasons: sampleAssessment('198.51.100.200', 'trusted').reasons,
    });
  });
});
