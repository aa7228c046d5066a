import type { Kysely, Migration } from 'kysely';

/**
 * An index on a tenant's list entries by type: the `auto` mode's batch reads the tenant's ranges
 * (an address inside a live range is listed already) under the tenant's lock, and without it that
 * read went through every entry of the tenant — the single addresses `auto` itself listed, tens of
 * thousands for a tenant that has used it long — once per batch. `if not exists` (both dialects): a
 * store that has the index already (made by hand to relieve that read) migrates instead of failing
 * on the name.
 *
 * @example
 * await entryTypeIndexMigration().up(db);
 */
export function entryTypeIndexMigration(): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema at their point in history
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createIndex('tenant_ip_entries_type')
        .ifNotExists()
        .on('tenant_ip_entries')
        .columns(['tenant_id', 'type'])
        .execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('tenant_ip_entries_type').ifExists().execute();
    },
  };
}
