import { testPostgres } from '@ipgate/test-support/postgres';
import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../postgres.js';
import { openSqliteDatabase } from '../sqlite.js';
import { entryTypeIndexMigration } from './0013-entry-type-index.js';

const postgres = await testPostgres();

describe('the index of list entries by type', () => {
  const open: { destroy(): Promise<void> }[] = [];
  const dropped: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.destroy();
    for (const drop of dropped.splice(0)) await drop();
  });

  /** How SQLite plans the `auto` batch's read of a tenant's ranges. */
  async function plan(db: Awaited<ReturnType<typeof openSqliteDatabase>>['db']): Promise<string> {
    const rows = await sql<{ detail: string }>`explain query plan select canonical, enabled, expires_at
      from tenant_ip_entries where tenant_id = ${'t'} and type = ${'range'}`.execute(db);
    return rows.rows.map((r) => r.detail).join(' | ');
  }

  it("finds a tenant's ranges without reading its single addresses, and goes with down()", async () => {
    const { db } = await openSqliteDatabase({ path: ':memory:' });
    open.push(db);
    expect(await plan(db)).toContain('USING INDEX tenant_ip_entries_type (tenant_id=? AND type=?)');
    await entryTypeIndexMigration().down?.(db);
    const left = await sql<{ name: string }>`select name from sqlite_master
      where type = 'index' and name = 'tenant_ip_entries_type'`.execute(db);
    expect(left.rows).toEqual([]);
  });

  // biome-ignore lint/suspicious/noExplicitAny: the migration takes any schema, as migrations do
  async function runsAgain(db: Kysely<any>, indexes: () => Promise<unknown[]>): Promise<void> {
    // Opening migrated the store: the index is there, as on a store where it was made by hand.
    expect(await indexes()).toHaveLength(1);
    await entryTypeIndexMigration().up(db);
    expect(await indexes()).toHaveLength(1);
    await entryTypeIndexMigration().down?.(db);
    expect(await indexes()).toHaveLength(0);
    await entryTypeIndexMigration().up(db);
    expect(await indexes()).toHaveLength(1);
  }

  it('runs on a SQLite store that has the index already', async () => {
    const { db } = await openSqliteDatabase({ path: ':memory:' });
    open.push(db);
    await runsAgain(db, async () => {
      const found = await sql`select name from sqlite_master
        where type = 'index' and name = 'tenant_ip_entries_type'`.execute(db);
      return found.rows;
    });
  });

  it.skipIf(postgres.skip)('runs on a PostgreSQL store that has the index already', async () => {
    const { schema, url, drop } = await postgres.freshSchema();
    dropped.push(drop);
    const { db } = await openPostgresDatabase({ connectionString: url, schema, maxConnections: 1 });
    open.push(db);
    await runsAgain(db, async () => {
      const found = await sql`select indexname from pg_indexes
        where schemaname = ${schema} and indexname = 'tenant_ip_entries_type'`.execute(db);
      return found.rows;
    });
  });
});
