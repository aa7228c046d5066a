import { isStoreRefusal } from './store-refusal.js';

/** What {@link writeIsolating} got done. */
export interface IsolatedWrite<T> {
  /** Items the store took. */
  readonly written: number;
  /** Items not written because the store failed (not refused): keep them for the next attempt, in this order. */
  readonly left: T[];
  /** The failure that stopped the write, when `left` is not empty. */
  readonly error?: unknown;
}

/**
 * Writes `items` in batches of `batchSize`. A batch the store refuses (see `isStoreRefusal`) is
 * split in halves until the refused items stand alone; each is handed to `refused` and the rest is
 * written. So one bad record costs about 2·log2(batchSize) extra store calls and never holds back
 * the others. A failure that is not a refusal (the store is down) stops the write: what is unwritten
 * comes back in `left`, in order.
 *
 * @example
 * const { written, left } = await writeIsolating(records, 500, (b) => store.appendRequests(b), (r, e) => log(r, e));
 */
export async function writeIsolating<T>(
  items: readonly T[],
  batchSize: number,
  write: (batch: readonly T[]) => Promise<void>,
  refused: (item: T, error: unknown) => void,
): Promise<IsolatedWrite<T>> {
  const queue: (readonly T[])[] = [];
  for (let i = 0; i < items.length; i += batchSize) queue.push(items.slice(i, i + batchSize));
  let written = 0;
  for (let batch = queue.shift(); batch !== undefined; batch = queue.shift()) {
    try {
      await write(batch);
      written += batch.length;
    } catch (e) {
      if (!isStoreRefusal(e)) return { written, left: [batch, ...queue].flat(), error: e };
      if (batch.length === 1) {
        refused(batch[0] as T, e);
        continue;
      }
      const half = Math.ceil(batch.length / 2);
      queue.unshift(batch.slice(0, half), batch.slice(half));
    }
  }
  return { written, left: [] };
}
