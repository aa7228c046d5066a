import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../sqlite.js';
import { entryTypeIndexMigration } from './0013-entry-type-index.js';

describe('the index of list entries by type', () => {
  const open: { destroy(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.destroy();
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
});
