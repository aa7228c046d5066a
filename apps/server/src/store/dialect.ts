import type { ColumnDataType, CreateTableBuilder, Expression } from 'kysely';

/** The two SQL dialects the store runs on. */
export type DialectName = 'sqlite' | 'postgres';

type DataType = ColumnDataType | Expression<unknown>;

/**
 * The only place the schema differs between dialects: column types SQLite lacks, and how an
 * autoincrement key is spelled. Everything else in the migrations is shared.
 *
 * @example
 * const t = columnTypes('postgres');
 * db.schema.createTable('x').addColumn('at', t.timestamp, (c) => c.notNull());
 */
export interface ColumnTypes {
  /** `text` (ISO-8601 UTC, sorts as time) on SQLite; `timestamptz` on PostgreSQL. */
  readonly timestamp: DataType;
  /** `integer` 0/1 on SQLite (no boolean type, and better-sqlite3 binds no booleans); `boolean` on PostgreSQL. */
  readonly flag: DataType;
  /** `text` on SQLite; `jsonb` on PostgreSQL, so operators can query audit payloads. */
  readonly json: DataType;
  /**
   * Adds a monotonically increasing primary key: `integer primary key autoincrement` on SQLite
   * (AUTOINCREMENT so a deleted top version is never handed out again), `bigserial` on PostgreSQL.
   */
  addAutoIncrementKey<T extends string, C extends string>(
    table: CreateTableBuilder<T, C>,
    column: string,
  ): CreateTableBuilder<T, C>;
}

/**
 * Column types for one dialect.
 *
 * @example
 * columnTypes('sqlite').timestamp; // 'text'
 */
export function columnTypes(dialect: DialectName): ColumnTypes {
  if (dialect === 'sqlite') {
    return {
      timestamp: 'text',
      flag: 'integer',
      json: 'text',
      addAutoIncrementKey: (table, column) =>
        table.addColumn(column, 'integer', (c) => c.primaryKey().autoIncrement()),
    };
  }
  return {
    timestamp: 'timestamptz',
    flag: 'boolean',
    json: 'jsonb',
    addAutoIncrementKey: (table, column) => table.addColumn(column, 'bigserial', (c) => c.primaryKey()),
  };
}
