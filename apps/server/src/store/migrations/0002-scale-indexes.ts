import type { Kysely, Migration } from 'kysely';

/**
 * Indexes for stores with many tenants: a tenant's admin tokens are listed by tenant (not by reading
 * every principal), and observed addresses are cleaned by when they were last seen, in batches.
 *
 * @example
 * await scaleIndexesMigration().up(db);
 */
export function scaleIndexesMigration(): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema at their point in history
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createIndex('principals_tenant')
        .on('principals')
        .columns(['tenant_id', 'created_at', 'id'])
        .execute();
      await db.schema.createIndex('observed_ips_last_seen').on('observed_ips').column('last_seen').execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('observed_ips_last_seen').ifExists().execute();
      await db.schema.dropIndex('principals_tenant').ifExists().execute();
    },
  };
}
