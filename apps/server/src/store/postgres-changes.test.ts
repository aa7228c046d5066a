import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeNotice, isChangeOf } from './postgres-changes.js';
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

describe('whose change a notice announces', () => {
  it("counts its own schema's notices and an older node's bare version, not another schema's", () => {
    expect(changeNotice('tenant_a', 42)).toBe('tenant_a:42');
    expect(isChangeOf('tenant_a', changeNotice('tenant_a', 42))).toBe(true);
    expect(isChangeOf('tenant_a', changeNotice('tenant_b', 42))).toBe(false);
    expect(isChangeOf('tenant_a', changeNotice('tenant_a_old', 42))).toBe(false);
    expect(isChangeOf('tenant_a', '42')).toBe(true);
    expect(isChangeOf('tenant_a', '')).toBe(true);
    expect(isChangeOf('tenant_a', undefined)).toBe(true);
  });
});

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

  it("ignores another schema's changes on the shared channel, and follows an older node's", async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    await admin.connect();
    try {
      const before = calls;
      // What a store in another schema of this database announces: no refresh here.
      await admin.query(`select pg_notify('ipgate_changes', 'ipg_some_other_schema:7')`);
      await new Promise((r) => setTimeout(r, 200));
      expect(calls).toBe(before);
      // A payload without a schema (an earlier release's node) may be this store's: refresh.
      await admin.query(`select pg_notify('ipgate_changes', '8')`);
      await reaches(() => calls, before + 1);
    } finally {
      await admin.end();
    }
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
