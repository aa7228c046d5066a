import { IpGateError, isIpGateError } from '@ipgate/core';
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { StoreDialect, StoreOptions } from './context.js';
import type { Database } from './database.js';
import { invalid, storeUnavailable } from './errors.js';
import { createKyselyStore } from './kysely-store.js';
import { migrateToLatest } from './migrate.js';
import { appendChangePostgres } from './postgres-change-append.js';
import { CHANGES_CHANNEL, watchPostgresChanges } from './postgres-changes.js';
import { isStalePlan, preparedStatements } from './postgres-statements.js';
import type { Store } from './store.js';

/** Where and how to open a PostgreSQL store. */
export interface PostgresStoreOptions extends StoreOptions {
  /** `postgres://user:password@host:5432/database` (`DATABASE_URL`). */
  readonly connectionString: string;
  /**
   * The schema the store's tables live in (set as `search_path` on every connection); it must exist.
   * Default: the server's default search path (normally `public`). Tests use a fresh one per run.
   */
  readonly schema?: string | undefined;
  /** Pool size; default 10. */
  readonly maxConnections?: number | undefined;
  /**
   * Name the texts a connection runs again (`postgres-statements.ts`); default true. Turn it off
   * behind a pooler that hands one client's statements to different server connections (PgBouncer in
   * transaction mode before 1.21, or without `max_prepared_statements`).
   */
  readonly preparedStatements?: boolean | undefined;
}

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

// Any constant works; it only has to be the same on every node. ("ipgc" in ASCII.)
const CHANGES_LOCK = 0x69706763;

/**
 * Opens a pool, brings the schema up to date, and returns the Kysely handle and the dialect adapter.
 * Most callers want {@link openPostgresStore}.
 *
 * @example
 * const { db, dialect } = await openPostgresDatabase({ connectionString, schema: 'ipgate_test_1' });
 */
export async function openPostgresDatabase(
  options: PostgresStoreOptions,
): Promise<{ db: Kysely<Database>; dialect: StoreDialect; schema: string }> {
  const schema = options.schema;
  if (schema !== undefined && !SCHEMA.test(schema)) {
    throw invalid('schema', 'The schema must be a lower-case SQL identifier (letters, digits, _).');
  }
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    // bigint (int8: change versions, counts) as a JS number instead of a string; versions stay far
    // below 2^53. Per pool, so the process-wide pg.types registry is left alone.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === pg.types.builtins.INT8 && format !== 'binary'
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  // A connection that breaks while checked out (the store going away mid-query) emits 'error' with
  // no pool listener attached, which would end the process; its query fails anyway (and is reported
  // as IPG_STORE_UNAVAILABLE), and the pool drops the broken client when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: options.preparedStatements === false ? pool : preparedStatements(pool),
      onCreateConnection: async (connection) => {
        if (schema !== undefined)
          await connection.executeQuery(CompiledQuery.raw(`set search_path to "${schema}"`));
      },
    }),
  });
  let target: string;
  try {
    // The schema the tables (and Kysely's own) go in: the configured one, or what search_path resolves to.
    target =
      schema ?? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s ?? 'public';
    await migrateToLatest(db, 'postgres', target);
  } catch (e) {
    await db.destroy();
    throw translatePostgresError(e instanceof Error && e.cause !== undefined ? e.cause : e);
  }
  return { db, dialect: postgresStoreDialect(db, target), schema: target };
}

/**
 * Opens a PostgreSQL store: what several gateway nodes share.
 *
 * @example
 * const store = await openPostgresStore({ connectionString: process.env.DATABASE_URL! });
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const { db, dialect, schema } = await openPostgresDatabase(options);
  const store = createKyselyStore({
    db,
    dialect,
    options: { apiAllowlistEntryLimit: options.apiAllowlistEntryLimit },
  });
  return {
    ...store,
    watchChanges: (onChange) =>
      watchPostgresChanges({ connectionString: options.connectionString, schema }, onChange),
  };
}

/**
 * The PostgreSQL side of the store: READ COMMITTED transactions that lock the rows they check
 * (`SELECT … FOR UPDATE`), so concurrent writers to one tenant, API or key queue on its row.
 */
export function postgresStoreDialect(db: Kysely<Database>, schema: string): StoreDialect {
  return {
    name: 'postgres',
    lockRows: true,
    async transaction(body) {
      // Deadlocks should not happen (owner row first, then its entries, then the changes lock), but
      // PostgreSQL may still report one under load; the transaction is safe to run again. So after a
      // named statement went stale (postgres-statements.ts): it is prepared afresh on the next run.
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().execute(body);
        } catch (e) {
          const code = (e as { code?: unknown } | null)?.code;
          if ((code === '40P01' || code === '40001' || isStalePlan(e)) && attempt < 3) continue;
          throw translatePostgresError(e);
        }
      }
    },
    async readTransaction(body) {
      for (let attempt = 1; ; attempt++) {
        try {
          // REPEATABLE READ: every statement sees the snapshot of the first one. Change versions
          // commit in order (see beforeChange), so the snapshot holds a prefix of the changes.
          return await db
            .transaction()
            .setIsolationLevel('repeatable read')
            .setAccessMode('read only')
            .execute(body);
        } catch (e) {
          if (isStalePlan(e) && attempt < 3) continue;
          throw translatePostgresError(e);
        }
      }
    },
    async beforeChange(trx) {
      await sql`select pg_advisory_xact_lock(${CHANGES_LOCK})`.execute(trx);
    },
    appendChange: (trx, change, audits) =>
      appendChangePostgres(trx, change, audits, { lockKey: CHANGES_LOCK, channel: CHANGES_CHANNEL, schema }),
    readJson: (value) => value,
    translateError: translatePostgresError,
    destroy: () => db.destroy(),
  };
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

function translatePostgresError(e: unknown): unknown {
  if (isIpGateError(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (code === '23505') {
    // Only reached if a check in the transaction missed a duplicate; the constraint is the backstop.
    return new IpGateError('IPG_ALREADY_EXISTS', 'An equal resource exists already.', { cause: e });
  }
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08')))
    return storeUnavailable(e);
  if (e instanceof AggregateError && e.errors.some((x) => translatePostgresError(x) !== x))
    return storeUnavailable(e);
  if (
    e instanceof Error &&
    /Connection terminated|timeout exceeded when trying to connect|after calling end on the pool/.test(
      e.message,
    )
  ) {
    return storeUnavailable(e);
  }
  return e;
}
