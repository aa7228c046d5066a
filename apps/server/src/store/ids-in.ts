import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { DialectName } from './dialect.js';

/**
 * `column` is one of `ids`, as each dialect reads it best. PostgreSQL: `column = any($1)` with the
 * ids as one array parameter, so the text is the same however many ids there are — prepared once
 * per connection as a named statement (`postgres-statements.ts`) instead of a new text (and a new
 * parse and plan on the backend) for every count, and no value node per id for Kysely to build and
 * compile. SQLite has no arrays: `column in (?, ?, …)`.
 *
 * @example
 * db.selectFrom('tenants').selectAll().where(idsIn(dialect.name, 'id', ['ten_1', 'ten_2']));
 */
export function idsIn(dialect: DialectName, column: string, ids: readonly string[]): RawBuilder<SqlBool> {
  if (ids.length === 0) throw new Error('idsIn needs at least one id');
  return dialect === 'postgres'
    ? sql<SqlBool>`${sql.ref(column)} = any(${[...ids]})`
    : sql<SqlBool>`${sql.ref(column)} in (${sql.join(ids)})`;
}
