/**
 * Per-entry usage counters (docs/architecture/storage.md#entry-usage): nodes add what they counted
 * since their last flush, so several workers and nodes writing at once add up, whatever the order.
 */
import { sql } from 'kysely';
import { read, type StoreContext } from './context.js';
import { invalid } from './errors.js';
import { toDate } from './rows.js';
import type { EntryHits, EntryUsage } from './store.js';

/** Rows per statement: well under SQLite's bound-parameter limit (3 per row). */
const CHUNK = 300;

/**
 * Adds counted hits to the stored totals: one additive upsert per chunk, in one transaction.
 * `lastMatchedAt` keeps the later of the stored and the new time. Not an audited change (it is
 * traffic, not configuration). Ids of entries removed meanwhile are stored too and never shown.
 *
 * @example
 * await recordEntryUsage(ctx, [{ entryId: 'ent_1', hits: 42, lastMatchedAt: new Date() }]);
 */
export async function recordEntryUsage(ctx: StoreContext, batch: readonly EntryHits[]): Promise<void> {
  if (batch.length === 0) return;
  // One row per id per statement: PostgreSQL refuses an upsert that touches a row twice.
  const merged = new Map<string, { hits: number; at: number }>();
  for (const h of batch) {
    if (!Number.isInteger(h.hits) || h.hits < 1) throw invalid('hits', 'hits must be a whole number from 1.');
    const at = h.lastMatchedAt.getTime();
    if (!Number.isFinite(at)) throw invalid('lastMatchedAt', 'lastMatchedAt must be a valid time.');
    const had = merged.get(h.entryId);
    if (had === undefined) merged.set(h.entryId, { hits: h.hits, at });
    else {
      had.hits += h.hits;
      if (at > had.at) had.at = at;
    }
  }
  const rows = [...merged].map(([id, m]) => ({
    entry_id: id,
    hits: m.hits,
    last_matched_at: new Date(m.at).toISOString(),
  }));
  await ctx.dialect.transaction(async (trx) => {
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx
        .insertInto('entry_usage')
        .values(rows.slice(i, i + CHUNK))
        .onConflict((oc) =>
          oc.column('entry_id').doUpdateSet({
            hits: sql`entry_usage.hits + excluded.hits`,
            // ISO text in SQLite sorts as time; timestamptz compares as time.
            last_matched_at: sql`case when excluded.last_matched_at > entry_usage.last_matched_at then excluded.last_matched_at else entry_usage.last_matched_at end`,
          }),
        )
        .execute();
    }
  });
}

/**
 * The stored usage of these entries; an entry never matched (or not flushed yet) is absent.
 *
 * @example
 * (await entryUsage(ctx, ['ent_1'])).get('ent_1'); // { hits: 42, lastMatchedAt: Date } or undefined
 */
export async function entryUsage(
  ctx: StoreContext,
  ids: readonly string[],
): Promise<Map<string, EntryUsage>> {
  const out = new Map<string, EntryUsage>();
  for (let i = 0; i < ids.length; i += CHUNK * 3) {
    const chunk = ids.slice(i, i + CHUNK * 3);
    const rows = await read(ctx, () =>
      ctx.db
        .selectFrom('entry_usage')
        .select(['entry_id', 'hits', 'last_matched_at'])
        .where('entry_id', 'in', chunk)
        .execute(),
    );
    for (const r of rows) {
      out.set(r.entry_id, { hits: Number(r.hits), lastMatchedAt: toDate(r.last_matched_at) });
    }
  }
  return out;
}
