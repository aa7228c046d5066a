import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import { UsageCounter } from './usage-counter.js';
import { startUsageFlusher } from './usage-flusher.js';

/** A process's entry usage: the counter its gateway counts hits in, and how to stop flushing. */
export interface EntryUsage {
  /** Undefined when entry usage is off. */
  readonly counter: UsageCounter | undefined;
  /** Stops the flusher after a last write; nothing to do when usage is off. */
  close(): Promise<void>;
}

/**
 * Entry usage for one process that decides requests (the server, or a gateway worker): each counts
 * its own entry hits and flushes them to `store` every `intervalMs`; the store adds them up across
 * processes and nodes (docs/architecture/storage.md#entry-usage).
 *
 * @example
 * const usage = startEntryUsage({ enabled: settings.entryUsage, store, intervalMs: 10_000, logger });
 * await startGateway({ …, usage: usage.counter });
 */
export function startEntryUsage(options: {
  readonly enabled: boolean;
  readonly store: Pick<Store, 'recordEntryUsage'>;
  readonly intervalMs: number;
  readonly logger: Logger;
}): EntryUsage {
  if (!options.enabled) return { counter: undefined, close: async () => {} };
  const counter = new UsageCounter();
  const flusher = startUsageFlusher({
    counter,
    store: options.store,
    intervalMs: options.intervalMs,
    logger: options.logger,
  });
  return { counter, close: () => flusher.close() };
}
