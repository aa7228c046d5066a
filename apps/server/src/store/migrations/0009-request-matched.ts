import type { Kysely, Migration } from 'kysely';

/**
 * `requests.matched`: the list entries a recorded request matched (docs/architecture/pipeline.md#8-record),
 * as JSON, so the request log can say which entry let a request through. The node knows the ids from
 * its compiled rules, so recording them reads nothing; names are read when the log is shown. Null for
 * records written before the column.
 *
 * @example
 * await requestMatchedMigration().up(db);
 */
export function requestMatchedMigration(): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema at their point in history
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('requests').addColumn('matched', 'text').execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('requests').dropColumn('matched').execute();
    },
  };
}
