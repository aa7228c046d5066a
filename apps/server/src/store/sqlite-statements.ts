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
 * Wraps a better-sqlite3 database for Kysely's `SqliteDialect` so that `prepare` returns the
 * statement made earlier for the same text; the least recently used goes past `max` (texts with a
 * varying number of values, such as `in (?, ?, …)` or multi-row inserts, come and go).
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
      if (statement !== undefined) {
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
