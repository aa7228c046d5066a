import type { Kysely, Migration } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/**
 * Per-entry usage: how many requests each list entry let through its stage, and when it last did
 * (docs/architecture/storage.md#entry-usage). One row per entry id of any list (tenant, API, key),
 * kept apart from the entry tables so that counting traffic never touches a configuration row, its
 * version or its audit trail.
 *
 * @example
 * await entryUsageMigration('sqlite').up(db);
 */
export function entryUsageMigration(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema at their point in history
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('entry_usage')
        .addColumn('entry_id', 'text', (c) => c.primaryKey())
        .addColumn('hits', 'bigint', (c) => c.notNull())
        .addColumn('last_matched_at', t.timestamp, (c) => c.notNull())
        .execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('entry_usage').ifExists().execute();
    },
  };
}
