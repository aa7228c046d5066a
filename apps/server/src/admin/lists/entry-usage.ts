/**
 * Usage on the entry routes: the stored hits of each entry, and the stale filter
 * (docs/architecture/storage.md#entry-usage).
 */
import type { Store } from '../../store/store.js';
import type { EntryUsageDto } from '../schemas/entry-usage.js';

const DAY_MS = 86_400_000;

/**
 * The entries with their usage (zero hits, never matched, when the store has none).
 *
 * @example
 * const items = await withUsage(store, entries.map(toIpEntryDto)); // items[0].usage.hits
 */
export async function withUsage<T extends { readonly id: string }>(
  store: Pick<Store, 'entryUsage'>,
  items: readonly T[],
): Promise<(T & { usage: EntryUsageDto })[]> {
  const usage = items.length === 0 ? new Map() : await store.entryUsage(items.map((i) => i.id));
  return items.map((i) => {
    const u = usage.get(i.id);
    return {
      ...i,
      usage:
        u === undefined
          ? { hits: 0, lastMatchedAt: null }
          : { hits: u.hits, lastMatchedAt: u.lastMatchedAt.toISOString() },
    };
  });
}

/**
 * Keeps the entries that have not matched for `days` days: last matched, or never matched and
 * created, before `now` minus that. An entry added yesterday is not stale after a week's filter.
 *
 * @example
 * entries.filter(notMatchedFor(30, Date.now()));
 */
export function notMatchedFor(
  days: number,
  now: number,
): (entry: { readonly createdAt: string; readonly usage: EntryUsageDto }) => boolean {
  const cutoff = now - days * DAY_MS;
  return (entry) => Date.parse(entry.usage.lastMatchedAt ?? entry.createdAt) < cutoff;
}
