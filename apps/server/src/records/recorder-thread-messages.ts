import type { StoreSettings } from '../store/open-store.js';
import type { RecorderOptions, RecorderStats } from './recorder.js';
import type { ThreadError, ThreadStoreMethod } from './thread-store-calls.js';

/**
 * What the recorder thread is started with: where the store is, and the recorder's own options.
 *
 * @example
 * const data: RecorderThreadData = { store: { dataDir: '/var/lib/ipgate', databaseUrl: undefined }, recorder: {} };
 */
export interface RecorderThreadData {
  readonly store: StoreSettings;
  readonly recorder: Pick<RecorderOptions, 'flushIntervalMs' | 'batchSize' | 'maxBuffered' | 'requestLog'>;
}

/**
 * Messages to the recorder thread: calls to record, in order, packed by a `CallPacker`; a flush or
 * close request, answered by a `done` with the same id; a store call (`thread-store-calls.ts`),
 * answered by a `store-done` with the same id.
 *
 * @example
 * thread.postMessage({ t: 'calls', fields } satisfies ToRecorderThread);
 */
export type ToRecorderThread =
  | { readonly t: 'calls'; readonly fields: readonly unknown[] }
  | { readonly t: 'flush' | 'close'; readonly id: number }
  | {
      readonly t: 'store';
      readonly id: number;
      readonly method: ThreadStoreMethod;
      readonly input: unknown;
    };

/**
 * Messages from the recorder thread: started (or not), a request done, a store call's answer, current
 * counters, a log line.
 *
 * @example
 * if (message.t === 'done') pending.get(message.id)?.(message.stats);
 */
export type FromRecorderThread =
  | { readonly t: 'ready' }
  | { readonly t: 'failed'; readonly message: string }
  | { readonly t: 'done'; readonly id: number; readonly stats: RecorderStats }
  | { readonly t: 'stats'; readonly stats: RecorderStats }
  /** A store call's answer: its value, or why it failed. */
  | { readonly t: 'store-done'; readonly id: number; readonly value?: unknown; readonly error?: ThreadError }
  | {
      readonly t: 'log';
      readonly level: 'info' | 'warn' | 'error';
      readonly fields: object;
      readonly message: string;
    };
