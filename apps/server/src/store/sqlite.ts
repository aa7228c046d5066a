import { IpGateError, isIpGateError } from '@ipgate/core';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';
import { appendChangeRows } from './change-append.js';
import type { StoreDialect, StoreOptions } from './context.js';
import type { Database } from './database.js';
import { storeUnavailable } from './errors.js';
import { createKyselyStore } from './kysely-store.js';
import { migrateToLatest } from './migrate.js';
import { Mutex } from './mutex.js';
import { cachedStatements, MAX_CACHED_SQL_LENGTH } from './sqlite-statements.js';
import type { Store } from './store.js';

/**
 * Kysely's SQLite driver with `BEGIN IMMEDIATE` instead of its plain (DEFERRED) `BEGIN`.
 *
 * Why: a deferred transaction starts as a reader and upgrades to a writer at its first write. If
 * another connection (another process on the same file) committed in between, the upgrade fails at
 * once with SQLITE_BUSY_SNAPSHOT, and the busy timeout cannot help; our writes read first (version and
 * limit checks), so they would hit exactly that. IMMEDIATE takes the write lock at BEGIN, where the
 * busy timeout does wait, and from then on the reads of the check see what the write will change.
 *
 * Overriding the driver's one `beginTransaction` method is the smallest change that makes every
 * Kysely transaction (the store's and the migrator's) immediate; better-sqlite3's own
 * `transaction().immediate` cannot be used because it only wraps synchronous functions.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/** Where and how to open a SQLite store. */
export interface SqliteStoreOptions extends StoreOptions {
  /** A file path (created when missing), or `:memory:` for a throwaway store in tests. */
  readonly path: string;
  /** How long a write waits for another process's write lock before failing; default 5000 ms. */
  readonly busyTimeoutMs?: number | undefined;
}

/**
 * Opens the SQLite file with the settings the store relies on and brings its schema up to date;
 * returns the Kysely handle and the dialect adapter. Most callers want {@link openSqliteStore}.
 *
 * @example
 * const { db, dialect } = await openSqliteDatabase({ path: ':memory:' });
 */
export async function openSqliteDatabase(
  options: SqliteStoreOptions,
): Promise<{ db: Kysely<Database>; dialect: StoreDialect }> {
  let database: BetterSqlite3.Database;
  try {
    database = new BetterSqlite3(options.path);
    // WAL: readers never block the writer. FULL: a commit is on disk when it returns (WAL with NORMAL
    // may lose the last commits on power loss). Foreign keys are off by default in SQLite.
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    database.pragma('foreign_keys = ON');
    database.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  } catch (e) {
    throw storeUnavailable(e);
  }
  const db = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: cachedStatements(database) }),
  });
  const dialect = sqliteStoreDialect(db, database);
  try {
    await migrateToLatest(db, 'sqlite');
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return { db, dialect };
}

/**
 * Opens (creating and migrating when needed) a SQLite store: the embedded default, a file in the
 * data directory, nothing else to install.
 *
 * @example
 * const store = await openSqliteStore({ path: '/var/lib/ipgate/ipgate.db' });
 * try { await store.listTenants(); } finally { await store.close(); }
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const { db, dialect } = await openSqliteDatabase(options);
  return createKyselyStore({
    db,
    dialect,
    options: { apiAllowlistEntryLimit: options.apiAllowlistEntryLimit },
  });
}

/**
 * The SQLite side of the store: one connection, one writer at a time.
 *
 * Transactions run one after another through a mutex. better-sqlite3 executes each statement
 * synchronously on the one connection, but a transaction body awaits between statements; without the
 * mutex a second body's statements could land inside the first's open transaction. (Kysely's SQLite
 * driver also holds its connection for a whole transaction; the mutex makes that guarantee ours
 * rather than an implementation detail of the driver.)
 *
 * @example
 * const dialect = sqliteStoreDialect(db);
 * await dialect.transaction(async (trx) => { ... });
 */
export function sqliteStoreDialect(db: Kysely<Database>, database?: BetterSqlite3.Database): StoreDialect {
  const mutex = new Mutex();
  // One statement per (table, columns): the SQL is built from the store's own names, never input.
  const inserts = new Map<string, BetterSqlite3.Statement>();
  // Reads in raw mode, by text: the few texts the store reads this way (an `in` list per count of ids).
  const selects = new Map<string, BetterSqlite3.Statement>();
  const insertRows: StoreDialect['insertRows'] =
    database === undefined
      ? undefined
      : (table, columns, conflict, rows) => {
          const target = conflict === null ? null : typeof conflict === 'string' ? [conflict] : conflict;
          const key = `${table}(${columns.join(',')}) ${target === null ? '-' : target.join(',')}`;
          let statement = inserts.get(key);
          if (statement === undefined) {
            const skip =
              target === null ? '' : ` on conflict (${target.map((c) => `"${c}"`).join(', ')}) do nothing`;
            statement = database.prepare(
              `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})${skip}`,
            );
            inserts.set(key, statement);
          }
          const inserted: boolean[] = new Array(rows.length);
          for (let i = 0; i < rows.length; i++) inserted[i] = statement.run(rows[i]).changes > 0;
          return inserted;
        };
  const updates = new Map<string, BetterSqlite3.Statement>();
  const updateRows: StoreDialect['updateRows'] =
    database === undefined
      ? undefined
      : (table, columns, key, rows) => {
          const id = `${table}(${columns.join(',')}) ${key}`;
          let statement = updates.get(id);
          if (statement === undefined) {
            statement = database.prepare(
              `update "${table}" set ${columns.map((c) => `"${c}" = ?`).join(', ')} where "${key}" = ?`,
            );
            updates.set(id, statement);
          }
          for (const row of rows) statement.run(row);
        };
  // A few fixed texts (the recorder's upsert): kept for good.
  const runs = new Map<string, BetterSqlite3.Statement>();
  const runRows: StoreDialect['runRows'] =
    database === undefined
      ? undefined
      : (text, rows) => {
          let statement = runs.get(text);
          if (statement === undefined) {
            statement = database.prepare(text);
            runs.set(text, statement);
          }
          for (const row of rows) statement.run(row);
        };
  return {
    name: 'sqlite',
    lockRows: false,
    insertRows,
    updateRows,
    runRows,
    selectRows:
      database === undefined
        ? undefined
        : (text, parameters) => {
            let statement = selects.get(text);
            if (statement === undefined) {
              statement = database.prepare(text).raw(true);
              // Kept as the statement cache keeps them (sqlite-statements.ts): short texts, a bounded few.
              if (text.length <= MAX_CACHED_SQL_LENGTH) {
                if (selects.size >= MAX_RAW_SELECTS) selects.delete(selects.keys().next().value as string);
                selects.set(text, statement);
              }
            }
            return statement.all(parameters) as unknown[][];
          },
    transaction: (body) =>
      mutex.run(async () => {
        try {
          return await db.transaction().execute(body);
        } catch (e) {
          throw translateSqliteError(e);
        }
      }),
    readTransaction: (body) =>
      mutex.run(async () => {
        try {
          // Not db.transaction(): that would BEGIN IMMEDIATE and take the write lock for a read.
          return await db.connection().execute(async (conn) => {
            await sql`begin deferred`.execute(conn);
            try {
              const result = await body(conn);
              await sql`commit`.execute(conn);
              return result;
            } catch (e) {
              await sql`rollback`.execute(conn);
              throw e;
            }
          });
        } catch (e) {
          throw translateSqliteError(e);
        }
      }),
    beforeChange: async () => {},
    appendChange: (trx, change, audits) => appendChangeRows(trx, change, audits, insertRows),
    readJson: (value) => (typeof value === 'string' ? JSON.parse(value) : value),
    translateError: translateSqliteError,
    // Waits for a running write to finish, so close never cuts a transaction in half.
    destroy: () => mutex.run(() => db.destroy()),
  };
}

/** Raw-mode reads kept by {@link sqliteStoreDialect}; the oldest kept goes first. */
const MAX_RAW_SELECTS = 64;

const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY|CORRUPT|NOTADB|PROTOCOL)/;

function translateSqliteError(e: unknown): unknown {
  if (isIpGateError(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // Only reached if a check in the transaction missed a duplicate; the constraint is the backstop.
    return new IpGateError('IPG_ALREADY_EXISTS', 'An equal resource exists already.', { cause: e });
  }
  if (typeof code === 'string' && UNAVAILABLE.test(code)) return storeUnavailable(e);
  if (e instanceof TypeError && /database connection is not open/.test(e.message)) return storeUnavailable(e);
  return e;
}
