import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './store.js';
import { type StoreLocation, storeFactories } from './test-stores.test-support.js';

/**
 * Retention of the notification tables on real stores (docs/architecture/review.md#retention):
 * finished deliveries go with their attempts, a notification once none of its deliveries is left,
 * kept emails, expired action tokens and ended bursts too; queued deliveries and their
 * notifications stay. Batches are small here, so every table is cleaned over several; and the
 * deletes find their rows by the indexes the migration made.
 */
const factories = await storeFactories();
const DAY = 86_400_000;

describe.each(factories.map((f) => [f.name, f] as const))('notification retention on %s', (name, factory) => {
  let location: StoreLocation;
  let dispose: () => Promise<void>;
  let store: Store;
  let tenantId: string;
  let keyId: string;
  const actor = { actor: 'test' };

  beforeAll(async () => {
    if (factory.skip) return;
    ({ location, dispose } = await factory.createLocation());
    store = await factory.openAt(location);
    tenantId = (await store.createTenant({ name: 'Retention', ipMode: 'auto' }, actor)).id;
    keyId = (await store.createKey(tenantId, { name: 'k' }, actor)).key.id;
    for (const [kind, target] of [
      ['email', 'owner@example.com'],
      ['webhook', 'https://hooks.example.com/x'],
    ] as const) {
      await store.notifications.createChannel(tenantId, { kind, name: kind, target }, actor);
    }
  });

  afterAll(async () => {
    await store?.close();
    await dispose?.();
  });

  /** Seven new pending addresses: seven notifications, fourteen deliveries. */
  async function seed(): Promise<void> {
    const now = new Date();
    await store.recordObservations(
      Array.from({ length: 7 }, (_, i) => ({
        tenantId,
        keyId,
        address: `198.51.100.${i + 1}`,
        firstAt: now,
        lastAt: now,
        count: 1,
        status: 'pending' as const,
      })),
    );
  }

  const deliveries = async () =>
    (await store.notifications.listDeliveries(tenantId, {}, { limit: 500 })).items;

  it.skipIf(factory.skip)(
    'deletes what finished, keeps what is queued, in batches, and says how much went',
    async () => {
      await seed();
      // Five deliveries finish (sent with a logged attempt, failed, skipped); the rest stay queued.
      const claimed = await store.notifications.claimDueDeliveries(new Date(), 5, 60_000);
      expect(claimed).toHaveLength(5);
      for (const [i, d] of claimed.entries()) {
        await store.notifications.completeDelivery(
          d.id,
          i === 4
            ? { ok: 'skipped', detail: 'no longer pending' }
            : i === 3
              ? { ok: false, detail: 'HTTP 500', durationMs: 3, retryAt: null }
              : { ok: true, detail: 'SMTP 250', durationMs: 2 },
        );
      }
      const finished = new Set(claimed.map((d) => d.id));
      // Deliveries left queued after a lease lapses: claim nothing else.
      const stillQueued = (await deliveries()).filter((d) => !finished.has(d.id));
      expect(stillQueued.every((d) => d.status === 'queued')).toBe(true);
      for (let i = 0; i < 3; i++) {
        await store.notifications.addOutboxMessage({
          tenantId,
          channelId: null,
          recipient: 'owner@example.com',
          subject: `s${i}`,
          text: 't',
          html: '<p>t</p>',
        });
      }
      const obs = (await store.listObservedIps(tenantId, {}, { limit: 500 })).items[0];
      for (const action of ['authorize', 'reject-and-rotate', 'stop-reviewing'] as const) {
        await store.notifications.addActionToken(`hash-${action}`, {
          tenantId,
          observedId: obs?.id as string,
          action,
          recipient: 'owner@example.com',
          channelId: null,
          expiresAt: new Date(Date.now() + 3 * DAY),
        });
      }
      await store.holdKeyBurst({
        tenantId,
        keyId,
        newAddresses: 5,
        at: new Date(),
        burst: { limit: 5, windowMs: 3_600_000 },
      });

      // Nothing is old enough yet.
      expect(await store.pruneNotifications(new Date(Date.now() - DAY))).toEqual({
        deliveries: 0,
        notifications: 0,
        outbox: 0,
        tokens: 0,
        bursts: 0,
      });
      // A cutoff after everything: four days on, the tokens have expired and the burst has ended.
      const counts = await store.pruneNotifications(new Date(Date.now() + 4 * DAY), { batchSize: 2 });
      expect(counts).toEqual({
        deliveries: 5,
        notifications: expect.any(Number),
        outbox: 3,
        tokens: 3,
        bursts: 1,
      });
      const left = await deliveries();
      expect(left.map((d) => d.id).sort()).toEqual(stillQueued.map((d) => d.id).sort());
      // Each notification keeps its queued deliveries; only those with none left went.
      const withQueued = new Set(stillQueued.map((d) => d.notificationId));
      expect(counts.notifications).toBe(7 - withQueued.size);
      expect((await store.notifications.listOutbox(tenantId)).items).toEqual([]);
      // The queue still works on what is left.
      expect(await store.notifications.claimDueDeliveries(new Date(), 50, 60_000)).toHaveLength(left.length);
    },
  );

  it.skipIf(factory.skip)('refuses a cutoff that is not a time, naming it', async () => {
    await expect(store.pruneNotifications(new Date('not a time'))).rejects.toMatchObject({
      status: 400,
      field: 'before',
    });
  });

  it.skipIf(factory.skip)('finds the rows to delete by an index, not by reading the tables', async () => {
    const queries = [
      ['notification_deliveries', "created_at < '2026-01-01' and status <> 'queued' order by created_at"],
      ['notifications', "created_at < '2026-01-01' order by created_at"],
      ['outbox_messages', "created_at < '2026-01-01' order by created_at"],
      ['review_action_tokens', "expires_at < '2026-01-01' order by expires_at"],
      ['notification_deliveries', "notification_id = 'ntf_x'"],
    ] as const;
    if (name === 'sqlite' && location.kind === 'sqlite') {
      const db = new Database(location.path, { readonly: true });
      try {
        for (const [table, where] of queries) {
          const plan = db
            .prepare(`explain query plan select * from ${table} where ${where} limit 2`)
            .all() as { detail: string }[];
          const text = plan.map((p) => p.detail).join('; ');
          expect(text, `${table} where ${where}`).toMatch(/USING INDEX/);
        }
      } finally {
        db.close();
      }
    } else if (location.kind === 'postgres') {
      const c = new pg.Client({ connectionString: location.connectionString });
      await c.connect();
      try {
        await c.query(`set search_path to ${location.schema}`);
        // Tiny tables are read whole whatever the indexes; ask the planner as if they were not.
        await c.query('set enable_seqscan = off');
        for (const [table, where] of queries) {
          const { rows } = await c.query(`explain select * from ${table} where ${where} limit 2`);
          const text = rows.map((r: Record<string, string>) => Object.values(r)[0]).join('\n');
          expect(text, `${table} where ${where}`).toMatch(/Index/);
        }
      } finally {
        await c.end();
      }
    }
  });
});
