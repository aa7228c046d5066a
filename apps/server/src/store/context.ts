import type { Kysely, Transaction } from 'kysely';
import type { NewAudit, NewChange } from './change-append.js';
import type { Database } from './database.js';
import type { DialectName } from './dialect.js';

/**
 * What differs between SQLite and PostgreSQL once the schema exists. Kept tiny on purpose: the store's
 * queries are written once, against Kysely, for both.
 *
 * @example
 * const q = trx.selectFrom('tenants').selectAll().where('id', '=', id).$if(dialect.lockRows, (qb) => qb.forUpdate());
 */
export interface StoreDialect {
  readonly name: DialectName;
  /**
   * Whether owner and entity rows must be locked with `SELECT … FOR UPDATE` before a write.
   * PostgreSQL: yes, so concurrent writers to one owner serialise. SQLite: no, the `BEGIN IMMEDIATE`
   * write transaction already excludes every other writer (and SQLite has no FOR UPDATE).
   */
  readonly lockRows: boolean;
  /** Runs `body` as one write transaction; rethrows driver errors as IpGateErrors where they mean something. */
  transaction<T>(body: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /**
   * Runs `body` as one read-only transaction that sees a single committed state of the whole
   * database, however many statements it runs (PostgreSQL: REPEATABLE READ READ ONLY; SQLite: a
   * deferred transaction, whose WAL snapshot is fixed at its first read and blocks no writer).
   */
  readTransaction<T>(body: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * Takes the lock every change takes before its version is handed out ({@link appendChange}
   * takes it itself), for a transaction that must serialise with every other change earlier than
   * that. PostgreSQL: a transaction-scoped advisory lock, so change versions commit in the order
   * they are handed out (a follower reading `changesSince` never sees 7 before 6 commits); SQLite
   * has nothing to do (one writer).
   */
  beforeChange(trx: Transaction<Database>): Promise<void>;
  /**
   * Appends a mutation's `changes` row and its audit events in the transaction, and returns the
   * change's version. PostgreSQL also takes the lock of {@link beforeChange} first and queues a
   * `NOTIFY ipgate_changes` (delivered at commit, never for a rollback) so other nodes refresh at
   * once instead of at their next poll, all in one statement (postgres-change-append.ts); SQLite
   * inserts the rows (change-append.ts).
   */
  appendChange(trx: Transaction<Database>, change: NewChange, audits: readonly NewAudit[]): Promise<number>;
  /**
   * Inserts many rows of one table through one prepared statement, kept for the next call, skipping
   * rows whose `conflict` column (or columns, together: a unique constraint) is taken; returns, per
   * row, whether it was inserted. `conflict` null skips nothing: a taken key fails the statement, and
   * with it the transaction, as a plain insert does — for rows that must never be dropped silently
   * (audit events) or whose fresh id cannot be taken but by a bug. Call it inside {@link transaction}. SQLite only: its
   * driver runs every statement synchronously on the transaction's one connection, so a row costs
   * one `run` instead of a share of a 500-row statement built, compiled and prepared per batch
   * (the request log's append was ~30 µs of CPU per record that way). Undefined for PostgreSQL,
   * whose multi-row statements are one round trip.
   */
  readonly insertRows?:
    | ((
        table: string,
        columns: readonly string[],
        conflict: string | readonly string[] | null,
        rows: readonly (readonly unknown[])[],
      ) => boolean[])
    | undefined;
  /**
   * Updates rows of one table by key through one prepared statement, kept for the next call: each
   * row is the new values of `columns`, in order, then the value of `key`. Call it inside
   * {@link transaction}. SQLite only, for the reason of {@link insertRows}; undefined for PostgreSQL.
   */
  readonly updateRows?:
    | ((
        table: string,
        columns: readonly string[],
        key: string,
        rows: readonly (readonly unknown[])[],
      ) => void)
    | undefined;
  /**
   * Runs one of the store's own fixed statements (its SQL, `?` placeholders) once per row of
   * parameters, through a prepared statement kept by its text. Call it inside {@link transaction}.
   * SQLite only, for the reason of {@link insertRows}: a statement whose text Kysely would build
   * for a batch (a multi-row upsert) grows with the batch, so it is built, compiled and prepared
   * afresh each time. Undefined for PostgreSQL.
   */
  readonly runRows?: ((sql: string, rows: readonly (readonly unknown[])[]) => void) | undefined;
  /**
   * Runs one of the store's own reads (its SQL, `?` placeholders) on the connection of the
   * transaction in progress, and returns each row as an array of its columns in the select's order;
   * call it inside {@link readTransaction} or {@link transaction}. SQLite only: better-sqlite3 makes
   * an object per row otherwise, with a property per column, which was ~40 % of the CPU of reading a
   * storm's changed tenants' entries (bench/README.md, "What a change costs node B"). Undefined for
   * PostgreSQL, where Kysely's rows come from the driver as they are.
   */
  readonly selectRows?: ((sql: string, parameters: readonly unknown[]) => unknown[][]) | undefined;
  /** Decodes a JSON column: SQLite returns text, PostgreSQL's jsonb the value. */
  readJson(value: unknown): unknown;
  /** Maps a driver error from a read to an IpGateError when it means something (store down). */
  translateError(error: unknown): unknown;
  /** Closes the connection(s). */
  destroy(): Promise<void>;
}

/** Settings of the store that are not the database's to decide. */
export interface StoreOptions {
  /** Most entries an API's network allowlist may hold; unlimited when absent. */
  readonly apiAllowlistEntryLimit?: number | undefined;
}

/**
 * What every resource module of the store works with.
 *
 * @example
 * const ctx: StoreContext = { db, dialect, options: {} };
 */
export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
  readonly options: StoreOptions;
}

/**
 * Runs a read, turning driver failures into IPG_STORE_UNAVAILABLE where that is what they mean.
 *
 * @example
 * const rows = await read(ctx, () => ctx.db.selectFrom('tenants').selectAll().execute());
 */
export async function read<T>(ctx: StoreContext, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    throw ctx.dialect.translateError(e);
  }
}
