import { randomBytes } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';

/**
 * The store's own id, made once when this migration runs: a node's last good rules on disk name the
 * store they were read from, and a copy of another store's rules is never taken for this one's (see
 * docs/architecture/storage.md, "Last good rules on disk"). A restored backup keeps its id.
 *
 * @example
 * await storeIdentityMigration().up(db);
 */
export function storeIdentityMigration(): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema at their point in history
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('store_identity')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .execute();
      await db
        .insertInto('store_identity')
        .values({ id: `sto_${randomBytes(16).toString('hex')}` })
        .execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('store_identity').ifExists().execute();
    },
  };
}
