/**
 * Retention of the write-heavy tables: the request log (with its counts) and the observed addresses. Old rows go in
 * bounded batches, each its own short transaction found by an index on time, so cleaning a table of
 * millions never holds SQLite's one writer (or a PostgreSQL row lock) for more than a moment.
 */
import type { StoreContext } from './context.js';
import { invalid } from './errors.js';
import * as v from './validate.js';

/** Rows deleted per transaction. */
const DEFAULT_BATCH = 5_000;

/** How a prune runs. */
export interface PruneOptions {
  /** Rows per transaction; default 5,000. */
  readonly batchSize?: number | undefined;
}

/**
 * Deletes request records older than `before` (the retention setting), and the request counts of
 * minutes wholly before it; returns how many rows went.
 *
 * @example
 * await pruneRequests(ctx, new Date(Date.now() - 7 * 86_400_000)); // keep a week
 */
export async function pruneRequests(
  ctx: StoreContext,
  before: Date,
  options: PruneOptions = {},
): Promise<number> {
  const cutoff = cutoffOf(before);
  const records = await inBatches(options, (batch) =>
    ctx.dialect.transaction(async (trx) => {
      const result = await trx
        .deleteFrom('requests')
        .where('request_id', 'in', (eb) =>
          eb.selectFrom('requests').select('request_id').where('at', '<', cutoff).orderBy('at').limit(batch),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    }),
  );
  // The counted allowed requests are the same traffic, kept as long: a minute's counts go once the
  // whole minute lies before the cutoff.
  const counts = await inBatches(options, (batch) =>
    ctx.dialect.transaction(async (trx) => {
      const result = await trx
        .deleteFrom('request_counts')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('request_counts')
            .select('id')
            .where('minute', '<=', new Date(Date.parse(cutoff) - 60_000).toISOString())
            .orderBy('minute')
            .limit(batch),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    }),
  );
  return records + counts;
}

/**
 * Deletes observed addresses not seen since `before`, except rejected ones (a rejection is a decision
 * someone made, and stays until someone changes it); returns how many went. An address that calls
 * again is recorded anew.
 *
 * @example
 * await pruneObservedIps(ctx, new Date(Date.now() - 90 * 86_400_000));
 */
export async function pruneObservedIps(
  ctx: StoreContext,
  before: Date,
  options: PruneOptions = {},
): Promise<number> {
  const cutoff = cutoffOf(before);
  return inBatches(options, (batch) =>
    ctx.dialect.transaction(async (trx) => {
      const result = await trx
        .deleteFrom('observed_ips')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('observed_ips')
            .select('id')
            .where('last_seen', '<', cutoff)
            .where('status', '<>', 'rejected')
            .orderBy('last_seen')
            .limit(batch),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    }),
  );
}

/** The cutoff as stored times are written; a time that is not one is a 400 naming `before`. */
export function cutoffOf(before: Date): string {
  const cutoff = v.dateOrNull(before, 'before');
  if (cutoff === null) throw invalid('before', 'before must be a valid time.');
  return cutoff.toISOString();
}

/** Runs `deleteBatch` until a batch deletes fewer rows than asked, yielding between batches. */
export async function inBatches(
  options: PruneOptions,
  deleteBatch: (size: number) => Promise<number>,
): Promise<number> {
  const size = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(size) || size < 1)
    throw invalid('batchSize', 'batchSize must be a whole number from 1.');
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch(size);
    total += deleted;
    if (deleted < size) return total;
    // Let the writers that queued behind this batch go first.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
