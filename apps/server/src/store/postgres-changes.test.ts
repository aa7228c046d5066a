import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './store.js';
import { POSTGRES_TEST_URL, storeFactories } from './test-stores.test-support.js';

const postgres = (await storeFactories()).find((f) => f.name === 'postgres');

/** Resolves when `count()` reaches `n`, or rejects after `ms`. */
async function reaches(count: () => number, n: number, ms = 2000): Promise<number> {
  const started = performance.now();
  while (count() < n) {
    if (performance.now() - started > ms) throw new Error(`only ${count()} of ${n} calls after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - started;
}

describe.skipIf(postgres?.skip !== false)('PostgreSQL change notifications (watchChanges)', () => {
  let store: Store;
  let calls = 0;
  let watch: { close(): Promise<void> } | undefined;

  beforeAll(async () => {
    store = await (postgres as NonNullable<typeof postgres>).open();
    watch = store.watchChanges?.(() => {
      calls++;
    });
  });

  afterAll(async () => {
    await watch?.close();
    await store?.close();
  });

  it('calls once when it starts listening (a resync), then once per committed change', async () => {
    expect(watch).toBeDefined();
    await reaches(() => calls, 1);
    const before = calls;
    await store.createTenant({ name: 'Notified' }, { actor: 'test' });
    const ms = await reaches(() => calls, before + 1);
    expect(ms).toBeLessThan(1000);
  });

  it('does not call for a change that rolled back', async () => {
    const before = calls;
    await expect(store.getTenant('ten_missing')).rejects.toMatchObject({ code: 'IPG_NOT_FOUND' });
    await expect(
      store.addTenantIpEntry('ten_missing', { value: '192.0.2.1' }, { actor: 'test' }),
    ).rejects.toMatchObject({ code: 'IPG_NOT_FOUND' });
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toBe(before);
  });

  it('reconnects after losing its connection, and resyncs', async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    await admin.connect();
    try {
      const before = calls;
      // Cut every session that is listening on the channel: the watcher's.
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where query ilike 'listen ipgate_changes%'`,
      );
      // The reconnection's resync call, then notifications again.
      await reaches(() => calls, before + 1, 5000);
      const again = calls;
      await store.createTenant({ name: 'After reconnect' }, { actor: 'test' });
      await reaches(() => calls, again + 1, 2000);
    } finally {
      await admin.end();
    }
  });
});
