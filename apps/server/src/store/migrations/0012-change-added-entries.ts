import type { Kysely, Migration } from 'kysely';

/**
 * `changes.added_entries`: the ids of the tenant list entries a change added, comma-joined, when
 * adding them is all the change did to the rules (an `auto` batch, one entry added by hand); null
 * for every other change. A node that follows only such changes for a tenant reads just those rows
 * and extends the tenant's compiled list instead of reading and compiling all of it again (see
 * docs/architecture/storage.md, "How a change reaches the request path"). Null is always safe: the
 * node then recompiles the tenant as before, so rows written before this column existed need nothing.
 *
 * @example
 * await changeAddedEntriesMigration().up(db);
 */
export function changeAddedEntriesMigration(): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema at their point in history
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('changes').addColumn('added_entries', 'text').execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('changes').dropColumn('added_entries').execute();
    },
  };
}
