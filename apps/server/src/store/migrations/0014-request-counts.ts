import type { Kysely, Migration } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/**
 * Counted allowed requests (docs/architecture/storage.md#counted-requests): with the request log
 * kept for denials only, every allowed request is added to one row per minute per (tenant, API,
 * key, client, method, status, origin, matched entries). `id` is the minute and a digest of that
 * group, so every node and worker adds to the same row (an upsert), and a minute of one busy
 * group stays one row however many requests it counts.
 *
 * @example
 * await requestCountsMigration('sqlite').up(db);
 */
export function requestCountsMigration(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema at their point in history
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('request_counts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('minute', t.timestamp, (c) => c.notNull())
        .addColumn('tenant_id', 'text')
        .addColumn('api_id', 'text')
        .addColumn('key_id', 'text')
        .addColumn('client', 'text')
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('origin', 'text')
        .addColumn('matched', 'text')
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('first_at', t.timestamp, (c) => c.notNull())
        .addColumn('last_at', t.timestamp, (c) => c.notNull())
        // double precision, as the request log's latency (PostgreSQL's real would round).
        .addColumn('latency_sum_ms', 'double precision', (c) => c.notNull())
        .addColumn('latency_max_ms', 'double precision', (c) => c.notNull())
        .execute();
      // Read per tenant, newest first; retention deletes by time.
      await db.schema
        .createIndex('request_counts_tenant')
        .on('request_counts')
        .columns(['tenant_id', 'minute', 'id'])
        .execute();
      await db.schema.createIndex('request_counts_minute').on('request_counts').column('minute').execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('request_counts').ifExists().execute();
    },
  };
}
