import type { Kysely, Migration } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/**
 * What the store needs to hold a burst of new addresses on one key across every node
 * (docs/architecture/review.md#a-burst-on-one-key): when an observation's assessment was made
 * (`observed_ips.assessed_at`, indexed per key, so a key's new addresses within the hour are one
 * range read), and one row per key whose burst is being held, until when.
 *
 * @example
 * await keyBurstsMigration('sqlite').up(db);
 */
export function keyBurstsMigration(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema at their point in history
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('observed_ips').addColumn('assessed_at', t.timestamp).execute();
      await db.schema
        .createIndex('observed_ips_key_assessed')
        .on('observed_ips')
        .columns(['key_id', 'assessed_at'])
        .execute();
      await db.schema
        .createTable('key_bursts')
        .addColumn('key_id', 'text', (c) => c.primaryKey().references('keys.id').onDelete('cascade'))
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('new_addresses', 'integer', (c) => c.notNull())
        .addColumn('started_at', t.timestamp, (c) => c.notNull())
        // New addresses of the key are held until then: an hour after the burst was seen.
        .addColumn('held_until', t.timestamp, (c) => c.notNull())
        .execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('key_bursts').ifExists().execute();
      await db.schema.dropIndex('observed_ips_key_assessed').ifExists().execute();
      await db.schema.alterTable('observed_ips').dropColumn('assessed_at').execute();
    },
  };
}
