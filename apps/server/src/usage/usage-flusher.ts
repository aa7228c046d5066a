import { type Logger, silentLogger } from '../log/logger.js';
import type { EntryHits, Store } from '../store/store.js';
import type { UsageCounter } from './usage-counter.js';

/** Options of {@link startUsageFlusher}. */
export interface UsageFlusherOptions {
  readonly counter: UsageCounter;
  readonly store: Pick<Store, 'recordEntryUsage'>;
  /** How often counted hits go to the store; default 10 000 ms. */
  readonly intervalMs?: number | undefined;
  /** Most entries whose hits wait while the store fails; default 100 000. Beyond it, hits are dropped and counted. */
  readonly maxPending?: number | undefined;
  readonly logger?: Logger | undefined;
}

/** A running flusher. */
export interface UsageFlusher {
  /** Writes what is counted now; resolves when the attempt is over (a failure keeps the hits). */
  flush(): Promise<void>;
  /** Stops the timer and makes a last attempt. */
  close(): Promise<void>;
  readonly stats: { readonly written: number; readonly failures: number; readonly dropped: number };
}

/**
 * Writes a {@link UsageCounter}'s hits to the store every `intervalMs`, as additive upserts: every
 * process that serves requests (the server, each gateway worker, every node) flushes its own counts,
 * and the store adds them up (docs/architecture/storage.md#entry-usage). A failed write keeps its
 * hits, merged with later ones, for the next attempt.
 *
 * @example
 * const flusher = startUsageFlusher({ counter, store, intervalMs: 10_000, logger });
 * // …
 * await flusher.close();
 */
export function startUsageFlusher(options: UsageFlusherOptions): UsageFlusher {
  const { counter, store } = options;
  const logger = options.logger ?? silentLogger;
  const maxPending = Math.max(1, options.maxPending ?? 100_000);
  let waiting = new Map<string, { hits: number; last: number }>();
  let flushing: Promise<void> | undefined;
  let failing = false;
  const stats = { written: 0, failures: 0, dropped: 0 };

  function keep(hits: readonly EntryHits[]): void {
    for (const h of hits) {
      const at = h.lastMatchedAt.getTime();
      const had = waiting.get(h.entryId);
      if (had !== undefined) {
        had.hits += h.hits;
        if (at > had.last) had.last = at;
      } else if (waiting.size < maxPending) waiting.set(h.entryId, { hits: h.hits, last: at });
      else stats.dropped += h.hits;
    }
  }

  async function write(): Promise<void> {
    keep(counter.drain());
    if (waiting.size === 0) return;
    const taken = waiting;
    waiting = new Map();
    const batch = [...taken].map(([entryId, w]) => ({
      entryId,
      hits: w.hits,
      lastMatchedAt: new Date(w.last),
    }));
    try {
      await store.recordEntryUsage(batch);
      stats.written += batch.length;
      if (failing) logger.info({}, 'entry usage written again');
      failing = false;
    } catch (e) {
      stats.failures++;
      if (!failing) logger.error({ err: e }, 'cannot write entry usage; keeping it for the next attempt');
      failing = true;
      const newer = waiting;
      waiting = taken;
      keep([...newer].map(([entryId, w]) => ({ entryId, hits: w.hits, lastMatchedAt: new Date(w.last) })));
    }
  }

  function flush(): Promise<void> {
    flushing ??= write().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  const timer = setInterval(() => void flush(), Math.max(1, options.intervalMs ?? 10_000));
  timer.unref();

  return {
    flush,
    get stats() {
      return { ...stats };
    },
    async close(): Promise<void> {
      clearInterval(timer);
      if (flushing !== undefined) await flushing;
      await flush();
      if (waiting.size > 0) logger.error({ entries: waiting.size }, 'entry usage not written at close');
    },
  };
}
