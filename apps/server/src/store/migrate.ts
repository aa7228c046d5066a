import { type Kysely, type Migration, type MigrationResultSet, Migrator } from 'kysely';
import type { Database } from './database.js';
import type { DialectName } from './dialect.js';
import { initialMigration } from './migrations/0001-initial.js';
import { scaleIndexesMigration } from './migrations/0002-scale-indexes.js';
import { observedAssessmentMigration } from './migrations/0003-observed-assessment.js';
import { consoleSessionsMigration } from './migrations/0004-console-sessions.js';
import { notificationsMigration } from './migrations/0005-notifications.js';
import { reportOnlyMigration } from './migrations/0006-report-only.js';
import { storeIdentityMigration } from './migrations/0007-store-identity.js';
import { entryUsageMigration } from './migrations/0008-entry-usage.js';
import { requestMatchedMigration } from './migrations/0009-request-matched.js';
import { keyBurstsMigration } from './migrations/0010-key-bursts.js';
import { notificationRetentionMigration } from './migrations/0011-notification-retention.js';
import { changeAddedEntriesMigration } from './migrations/0012-change-added-entries.js';
import { entryTypeIndexMigration } from './migrations/0013-entry-type-index.js';
import { requestCountsMigration } from './migrations/0014-request-counts.js';
import { actionTokenChannelMigration } from './migrations/0015-action-token-channel.js';

/**
 * Every migration, in order. Names sort as they apply; never rename or edit an applied one, add a new one.
 * A static list (not a folder scan) so the bundle and the tests need no file-system layout.
 *
 * @example
 * Object.keys(migrations('sqlite')); // ['0001-initial', '0002-scale-indexes', '0003-observed-assessment', …]
 */
export function migrations(dialect: DialectName): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(dialect),
    '0002-scale-indexes': scaleIndexesMigration(),
    '0003-observed-assessment': observedAssessmentMigration(dialect),
    '0004-console-sessions': consoleSessionsMigration(dialect),
    '0005-notifications': notificationsMigration(dialect),
    '0006-report-only': reportOnlyMigration(dialect),
    '0007-store-identity': storeIdentityMigration(),
    '0008-entry-usage': entryUsageMigration(dialect),
    '0009-request-matched': requestMatchedMigration(),
    '0010-key-bursts': keyBurstsMigration(dialect),
    '0011-notification-retention': notificationRetentionMigration(),
    '0012-change-added-entries': changeAddedEntriesMigration(),
    '0013-entry-type-index': entryTypeIndexMigration(),
    '0014-request-counts': requestCountsMigration(dialect),
    '0015-action-token-channel': actionTokenChannelMigration(),
  };
}

/**
 * Brings the schema up to date. Safe to run on every start and from several nodes at once (Kysely
 * takes an advisory lock on PostgreSQL; SQLite has one writer). Running it again does nothing.
 * On PostgreSQL pass the schema the tables live in (see the comment inside).
 *
 * @example
 * await migrateToLatest(db, 'postgres'); // ['0001-initial'] the first time, [] afterwards
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  dialect: DialectName,
  schema?: string,
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(dialect) },
    // Kysely looks for its bookkeeping tables in *every* schema unless told which one: with a second
    // ipgate schema (or any Kysely app) in the same database it would find theirs, skip creating
    // its own, and fail with 'relation "kysely_migration_lock" does not exist'.
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  let outcome: MigrationResultSet = await migrator.migrateToLatest();
  // Kysely's PostgreSQL introspection reads every schema's tables and resolves each schema by name
  // as it goes (`has_schema_privilege`, `pg_get_serial_sequence`), so a schema someone else drops
  // at that moment fails *this* store's start with 'schema "…" does not exist' (or 'relation
  // "their_schema.t" does not exist'). Nothing of ours was touched (the migrations had not begun;
  // they run in one transaction anyway), so run it again.
  for (let attempt = 1; attempt < 10 && isOtherSchemaDropped(outcome.error, schema); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
    outcome = await migrator.migrateToLatest();
  }
  const { error, results } = outcome;
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`store migration ${failed ?? '(setup)'} failed`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Whether `error` is the race with another schema's drop described in {@link migrateToLatest}:
 * PostgreSQL's "schema does not exist" (3F000) for a schema other than `ours`, or "relation does
 * not exist" (42P01) for a table named with such a schema (the drop caught between the two).
 *
 * @example
 * isOtherSchemaDropped({ code: '3F000', message: 'schema "gone" does not exist' }, 'ipgate'); // true
 */
export function isOtherSchemaDropped(error: unknown, ours: string | undefined): boolean {
  const e = error as { code?: unknown; message?: unknown } | null | undefined;
  if (typeof e?.message !== 'string') return false;
  const named =
    e.code === '3F000'
      ? /^schema "([^"]+)" does not exist$/.exec(e.message)?.[1]
      : e.code === '42P01'
        ? /^relation "([^".]+)\.[^"]+" does not exist$/.exec(e.message)?.[1]
        : undefined;
  return named !== undefined && named !== ours;
}
