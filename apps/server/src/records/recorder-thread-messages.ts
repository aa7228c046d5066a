import type { StoreSettings } from '../store/open-store.js';
import type { EntryHits } from '../store/store.js';
import type { RecorderOptions, RecorderStats } from './recorder.js';

/**
 * What the recorder thread is started with: where the store is, and the recorder's own options.
 *
 * @example
 * const data: RecorderThreadData = { store: { dataDir: '/var/lib/ipgate', databaseUrl: undefined }, recorder: {} };
 */
export interface RecorderThreadData {
  readonly store: StoreSettings;
  readonly recorder: Pick<RecorderOptions, 'flushIntervalMs' | 'batchSize' | 'maxBuffered'>;
}

/**
 * Messages to the recorder thread: calls to record, in order, packed by a `CallPacker`; a flush or
 * close request, answered by a `done` with the same id.
 *
 * @example
 * thread.postMessage({ t: 'calls', fields } satisfies ToRecorderThread);
 */
export type ToRecorderThread =
  | { readonly t: 'calls'; readonly fields: readonly unknown[] }
  | { readonly t: 'flush' | 'close'; readonly id: number }
  /** Entry usage to add to the store (docs/architecture/storage.md#entry-usage), answered by `usage-done`. */
  | { readonly t: 'usage'; readonly id: number; readonly hits: readonly EntryHits[] };

/**
 * Messages from the recorder thread: started (or not), a request done, current counters, a log line.
 *
 * @example
 * if (message.t === 'done') pending.get(message.id)?.(message.stats);
 */
export type FromRecorderThread =
  | { readonly t: 'ready' }
  | { readonly t: 'failed'; readonly message: string }
  | { readonly t: 'done'; readonly id: number; readonly stats: RecorderStats }
  | { readonly t: 'stats'; readonly stats: RecorderStats }
  | { readonly t: 'usage-done'; readonly id: number; readonly error?: string | undefined }
  | {
      readonly t: 'log';
      readonly level: 'info' | 'warn' | 'error';
      readonly fields: object;
      readonly message: string;
    };
