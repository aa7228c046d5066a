import { type Kysely, type Migration, sql } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/**
 * Report-only rules and what re-deciding recorded traffic needs
 * (docs/architecture/pipeline.md#report-only):
 *
 * - `tenants.enforce`, `apis.enforce`: false lets a denied request pass, recorded as `would-deny`;
 * - `requests.would_deny`: the request passed although the rules denied it (its `decision` column
 *   stays `allow`, what happened to it, so the column's check and older readers keep working);
 * - `requests.origin`: the browser origin the decision read (null for server requests), so a
 *   simulation can decide domain rules and the browser/server split again;
 * - `requests_api`: the request log read per API, by time, for simulations of an API's allowlist.
 *
 * @example
 * await reportOnlyMigration('sqlite').up(db);
 */
export function reportOnlyMigration(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  // SQLite flags are 0/1; PostgreSQL's are booleans.
  const yes = dialect === 'sqlite' ? sql`1` : sql`true`;
  const no = dialect === 'sqlite' ? sql`0` : sql`false`;
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema at their point in history
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .alterTable('tenants')
        .addColumn('enforce', t.flag, (c) => c.notNull().defaultTo(yes))
        .execute();
      await db.schema
        .alterTable('apis')
        .addColumn('enforce', t.flag, (c) => c.notNull().defaultTo(yes))
        .execute();
      await db.schema
        .alterTable('requests')
        .addColumn('would_deny', t.flag, (c) => c.notNull().defaultTo(no))
        .execute();
      await db.schema.alterTable('requests').addColumn('origin', 'text').execute();
      await db.schema
        .createIndex('requests_api')
        .on('requests')
        .columns(['api_id', 'at', 'request_id'])
        .execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('requests_api').ifExists().execute();
      await db.schema.alterTable('requests').dropColumn('origin').execute();
      await db.schema.alterTable('requests').dropColumn('would_deny').execute();
      await db.schema.alterTable('apis').dropColumn('enforce').execute();
      await db.schema.alterTable('tenants').dropColumn('enforce').execute();
    },
  };
}
