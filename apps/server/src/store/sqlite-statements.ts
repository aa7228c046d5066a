/**
 * Prepared statements kept per SQL text for Kysely's SQLite driver, which prepares every query it
 * runs afresh: SQLite parses and plans the text each time, a large part of a short statement's cost
 * (a tenth of the `auto` writer's time, bench/README.md#auto-review). The store builds its SQL from
 * its own names with `?` placeholders, so the same text comes back with other values.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Statements kept by default: the store's fixed statements fit many times over. */
export const DEFAULT_STATEMENT_CACHE = 256;

/**
 * Longer texts are prepared afresh every time and never kept. The store's fixed statements are
 * short; the long ones are those whose text grows with their values (multi-row inserts and upserts,
 * long `in (?, ?, …)` lists), so nearly every call brings a new text. Kept, such statements cycle
 * through the cache: each lives long enough to be promoted to V8's old generation, and its native
 * SQLite memory (30–430 KB each) is then freed only by a full collection. 1,200 recorder flushes of
 * 1–499 observations grew a process by ~190 MB with every text kept, by 88 MB with texts up to 2,048
 * characters kept, and by 50 MB (as with no cache at all) with texts up to 1,024. Prepared and dropped
 * at once, they die young, as before the cache.
 */
export const MAX_CACHED_SQL_LENGTH = 1024;

/**
 * Wraps a better-sqlite3 database for Kysely's `SqliteDialect` so that `prepare` returns the
 * statement made earlier for the same text; the least recently used goes past `max`. Texts longer
 * than {@link MAX_CACHED_SQL_LENGTH} are not kept.
 *
 * Reusing a statement is safe here because Kysely's driver runs each one to its end synchronously
 * (`all` or `run`); a statement being iterated cannot be run again until its iterator ends, so
 * `iterate` (Kysely's streaming, which the store does not use) gets a fresh one.
 *
 * @example
 * const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachedStatements(new BetterSqlite3(path)) }) });
 */
export function cachedStatements(
  database: BetterSqlite3.Database,
  max: number = DEFAULT_STATEMENT_CACHE,
): SqliteDatabase & { readonly cached: number } {
  if (!Number.isInteger(max) || max < 1)
    throw new Error(`The statement cache holds a whole number of statements from 1; got ${max}.`);
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    get cached() {
      return statements.size;
    },
    close: () => {
      statements.clear();
      database.close();
    },
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement === undefined && sql.length > MAX_CACHED_SQL_LENGTH) {
        statement = database.prepare(sql);
      } else if (statement !== undefined) {
        // Most recently used last: a Map iterates in insertion order.
        statements.delete(sql);
        statements.set(sql, statement);
      } else {
        statement = database.prepare(sql);
        statements.set(sql, statement);
        if (statements.size > max) statements.delete(statements.keys().next().value as string);
      }
      const kept = statement;
      return {
        reader: kept.reader,
        // Kysely hands the values as one array, which better-sqlite3 binds in order.
        all: (parameters) => kept.all(parameters),
        run: (parameters) => kept.run(parameters),
        iterate: (parameters) => database.prepare(sql).iterate(parameters),
      };
    },
  };
}
