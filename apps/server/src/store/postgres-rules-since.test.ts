import { POSTGRES_TEST_URL, testPostgres } from '@ipgate/test-support/postgres';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreContext } from './context.js';
import type { Database } from './database.js';
import { createKyselyStore } from './kysely-store.js';
import { openPostgresDatabase } from './postgres.js';
import { NOT_IN_ONE_STATEMENT, rulesSinceInOneStatement } from './postgres-rules-since.js';
import { rulesSinceInTransaction } from './rule-units.js';
import type { Store } from './store.js';

const postgres = await testPostgres();
const by = { actor: 'token:test' };

describe.skipIf(postgres.skip)('rulesSince in one statement on PostgreSQL', () => {
  let ctx: StoreContext;
  let db: Kysely<Database>;
  let store: Store;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await postgres.freshSchema('ipg_test_since');
    drop = fresh.drop;
    const opened = await openPostgresDatabase({ connectionString: POSTGRES_TEST_URL, schema: fresh.schema });
    db = opened.db;
    ctx = { db, dialect: opened.dialect, options: {} };
    store = createKyselyStore(ctx);
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  /** Both reads from every version up to the store's, with and without additions. */
  async function bothFromEveryVersion(): Promise<{ same: number; general: number }> {
    const top = await store.currentVersion();
    let same = 0;
    let general = 0;
    for (let from = 0; from <= top; from++) {
      for (const additions of [true, false]) {
        const one = await rulesSinceInOneStatement(db, from, 1000, { additions });
        const whole = await rulesSinceInTransaction(ctx, from, 1000, { additions });
        if (one === NOT_IN_ONE_STATEMENT) {
          general++;
          continue;
        }
        expect(one, `from ${from}, additions ${additions}`).toEqual(whole);
        same++;
      }
    }
    return { same, general };
  }

  it('reads what the transaction reads for changes to tenant lists', async () => {
    const a = await store.createTenant({ name: 'a' }, by);
    const empty = await store.createTenant({ name: 'empty' }, by);
    const gone = await store.createTenant({ name: 'gone' }, by);
    const first = await store.addTenantIpEntry(a.id, { value: '203.0.113.1', name: 'one' }, by);
    await store.addTenantIpEntry(a.id, { value: '203.0.113.0/28', name: 'range' }, by);
    await store.addTenantIpEntry(a.id, { value: '2001:db8::1', enabled: false }, by);
    await store.addTenantIpEntry(gone.id, { value: '198.51.100.1' }, by);
    await store.updateTenantIpEntry(a.id, first.id, { name: 'renamed' }, by);
    await store.addTenantIpEntry(
      a.id,
      { value: '198.51.100.9', expiresAt: new Date(Date.now() + 3_600_000) },
      by,
    );
    await store.removeTenantIpEntry(a.id, first.id, by);
    await store.addTenantIpEntry(empty.id, { value: '192.0.2.1' }, by);
    await store.deleteTenant(gone.id, by);
    await store.addTenantIpEntry(a.id, { value: '192.0.2.77' }, by);
    const { same, general } = await bothFromEveryVersion();
    expect(same).toBeGreaterThan(20);
    expect(general).toBe(0);
  });

  it('leaves an addition that is not as its change said to the general read', async () => {
    const t = await store.createTenant({ name: 'tampered' }, by);
    const from = await store.currentVersion();
    const added = await store.addTenantIpEntry(t.id, { value: '192.0.2.9' }, by);
    // Disabled behind the store's back: the change says "added", the row says otherwise.
    await sql`update "tenant_ip_entries" set "enabled" = false where "id" = ${added.id}`.execute(db);
    expect(await rulesSinceInOneStatement(db, from, 1000, { additions: true })).toBe(NOT_IN_ONE_STATEMENT);
    const whole = await rulesSinceInTransaction(ctx, from, 1000, { additions: true });
    expect(whole?.tenants.get(t.id)?.entries).toEqual([]);
    expect(whole?.tenantAdditions?.size).toBe(0);
  });

  it('leaves changes that touch a key or an API to the general read', async () => {
    const t = await store.createTenant({ name: 'keyed' }, by);
    const from = await store.currentVersion();
    await store.createKey(t.id, { name: 'k' }, by);
    expect(await rulesSinceInOneStatement(db, from, 1000, { additions: true })).toBe(NOT_IN_ONE_STATEMENT);
    const whole = await rulesSinceInTransaction(ctx, from, 1000, { additions: true });
    expect(whole?.keys.size).toBe(1);
  });

  it('says when there are more changes than it follows', async () => {
    const t = await store.createTenant({ name: 'many' }, by);
    const from = await store.currentVersion();
    for (let i = 1; i <= 3; i++) await store.addTenantIpEntry(t.id, { value: `192.0.2.${i}` }, by);
    expect(await rulesSinceInOneStatement(db, from, 2, { additions: true })).toBeUndefined();
    const three = await rulesSinceInOneStatement(db, from, 3, { additions: true });
    if (three === NOT_IN_ONE_STATEMENT || three === undefined) throw new Error('expected a delta');
    expect(three.tenantAdditions?.get(t.id)).toHaveLength(3);
  });
});
