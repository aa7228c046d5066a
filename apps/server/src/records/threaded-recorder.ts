import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type Logger, silentLogger } from '../log/logger.js';
import { CallPacker } from './packed-calls.js';
import type { RecordedCall, Recorder, RecorderStats } from './recorder.js';
import type { FromRecorderThread, RecorderThreadData, ToRecorderThread } from './recorder-thread-messages.js';
import { fromThreadError, type ThreadStoreCalls, type ThreadStoreMethod } from './thread-store-calls.js';

/** Options of {@link createThreadedRecorder}. */
export interface ThreadedRecorderOptions extends RecorderThreadData {
  readonly logger?: Logger | undefined;
  /**
   * Hand calls to the thread at least this often; default 100 ms. Every hand-over wakes the thread
   * (a message, a wake-up, an event-loop turn on both sides), and the thread's recorder writes the
   * store only every second or 2,000 records anyway: at 20 ms a worker under load sent ~50 messages
   * a second of ~50 calls each.
   */
  readonly postEveryMs?: number | undefined;
  /** …or as soon as this many wait; default 1024. */
  readonly postAt?: number | undefined;
  /**
   * Most calls held here while no thread takes them (it is restarting); default 50 000. Past it the
   * oldest are dropped, a hand-over (`postAt` calls) at a time: counted in `stats.dropped` (the
   * records-dropped metric) and logged.
   */
  readonly maxWaiting?: number | undefined;
}

const RESTART_AFTER_MS = 1000;
const WARN_DROPPED_EVERY_MS = 10_000;

/** Calls packed for one hand-over (`packed-calls.ts`), and how many. */
interface Batch {
  readonly fields: unknown[];
  readonly calls: number;
}

/**
 * A recorder whose store writes happen on a worker thread of their own, with its own store
 * connection; `record` only appends the call's fields to an array (`packed-calls.ts`), handed over
 * every `postEveryMs` or `postAt` calls.
 *
 * Why: the SQLite driver is synchronous, so a batch write (kysely's statement build, the insert and
 * the WAL fsync) stopped the gateway's event loop for ~15 ms several times a second — every request
 * in flight on that worker waited, which alone put the p99 several ms above the bare proxy's. On a
 * thread of its own the same work no longer delays requests. Nothing is skipped: every call is
 * recorded as before, by the same `createRecorder` (aggregation, batching, retries and caps).
 *
 * The gateway thread's other store writes go the same way (`thread-store-calls.ts`): entry usage and
 * the `auto` mode's authorizations, each answered once the thread's store has committed it.
 *
 * If the thread dies, it is started again after a second; the calls it held are lost, as they would
 * be in a process crash, and calls made meanwhile wait here (bounded by `maxWaiting`). Store calls
 * in flight fail, and new ones are refused until the new thread runs: their callers keep what they
 * would keep after a failed store write.
 *
 * @example
 * const recorder = await createThreadedRecorder({ store: settings, recorder: {}, logger });
 * const gateway = await startGateway({ engine, clientAddress, recorder, host, port, upstreamTimeoutMs: 30_000 });
 * // …
 * await gateway.close();
 * await recorder.close(); // the thread writes what it holds, closes its store connection and ends
 */
export async function createThreadedRecorder(
  options: ThreadedRecorderOptions,
): Promise<
  Recorder & { readonly stats: RecorderStats; readonly storeCallsWaiting: number } & ThreadStoreCalls
> {
  const logger = options.logger ?? silentLogger;
  const postAt = Math.max(1, options.postAt ?? 1024);
  const maxWaiting = Math.max(1, options.maxWaiting ?? 50_000);
  const data: RecorderThreadData = { store: options.store, recorder: options.recorder };
  // The hand-over being filled, and those sealed but not taken (only while the thread restarts).
  const packer = new CallPacker();
  const held: Batch[] = [];
  let heldCalls = 0;
  let lastDropWarning = Number.NEGATIVE_INFINITY;
  let threadStats: RecorderStats = {
    requestsWritten: 0,
    requestsCounted: 0,
    observationsWritten: 0,
    dropped: 0,
    rejected: 0,
    failures: 0,
    buffered: 0,
  };
  let droppedHere = 0;
  let closed = false;
  let stopping = false;
  let nextId = 0;
  const answers = new Map<number, () => void>();
  /** Store calls handed to the thread and not answered yet. */
  const storeAnswers = new Map<number, { resolve(value: unknown): void; reject(e: Error): void }>();

  function start(): { worker: Worker; ready: Promise<void> } {
    const worker = new Worker(fileURLToPath(threadScript()), { workerData: data });
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromRecorderThread) => {
        switch (message.t) {
          case 'ready':
            resolve();
            return;
          case 'failed':
            reject(new Error(`the recorder thread could not open the store: ${message.message}`));
            return;
          case 'done':
            threadStats = message.stats;
            answers.get(message.id)?.();
            answers.delete(message.id);
            return;
          case 'stats':
            threadStats = message.stats;
            return;
          case 'store-done': {
            const answer = storeAnswers.get(message.id);
            storeAnswers.delete(message.id);
            if (message.error === undefined) answer?.resolve(message.value);
            else answer?.reject(fromThreadError(message.error));
            return;
          }
          case 'log':
            logger[message.level](message.fields, message.message);
            return;
        }
      });
      worker.on('error', (e) => {
        logger.error({ err: e }, 'recorder thread failed');
        reject(e);
      });
    });
    worker.on('exit', (code) => {
      alive = false;
      // Flushes waiting for this thread's answer would wait forever: release them now.
      for (const done of answers.values()) done();
      answers.clear();
      // Whether the store finished these is not known: their callers hear it as a failure.
      for (const { reject } of storeAnswers.values())
        reject(new Error('the recorder thread ended before the store answered'));
      storeAnswers.clear();
      if (stopping) return;
      logger.error(
        { code },
        `recorder thread ended unexpectedly; starting another in ${RESTART_AFTER_MS} ms`,
      );
      setTimeout(() => {
        if (stopping) return;
        thread = start();
        thread.ready.catch(() => {});
      }, RESTART_AFTER_MS).unref();
    });
    alive = true;
    return { worker, ready };
  }

  let alive = false;
  let thread = start();
  try {
    await thread.ready;
  } catch (e) {
    await thread.worker.terminate();
    throw e;
  }

  function post(): void {
    const calls = packer.calls;
    if (calls > 0) {
      held.push({ fields: packer.take(), calls });
      heldCalls += calls;
    }
    if (alive) {
      for (const batch of held) {
        thread.worker.postMessage({ t: 'calls', fields: batch.fields } satisfies ToRecorderThread);
      }
      held.length = 0;
      heldCalls = 0;
      return;
    }
    // Only while no thread takes calls (it is restarting): keep the newest, count and say the rest.
    let dropped = 0;
    while (heldCalls > maxWaiting && held.length > 1) {
      const oldest = held.shift() as Batch;
      heldCalls -= oldest.calls;
      dropped += oldest.calls;
    }
    if (dropped === 0) return;
    droppedHere += dropped;
    const now = Date.now();
    if (now - lastDropWarning < WARN_DROPPED_EVERY_MS) return;
    lastDropWarning = now;
    logger.warn(
      { dropped, droppedSoFar: droppedHere, maxWaiting },
      'request records dropped: the recorder thread is not taking them (restarting); see ipgate_records_dropped_total',
    );
  }

  function ask(t: 'flush' | 'close'): Promise<void> {
    post();
    if (!alive) return Promise.resolve();
    const id = nextId++;
    // Handed over first, and only then waited for: a hand-over that throws leaves nothing waiting.
    // The answer cannot arrive before this turn of the event loop ends.
    try {
      thread.worker.postMessage({ t, id } satisfies ToRecorderThread);
    } catch (e) {
      return Promise.reject(asError(e));
    }
    return new Promise<void>((resolve) => answers.set(id, resolve));
  }

  /** Runs a store call on the thread's connection; answered once the thread's store has finished it. */
  function callStore<M extends ThreadStoreMethod>(
    method: M,
    input: Parameters<ThreadStoreCalls[M]>[0],
  ): Promise<Awaited<ReturnType<ThreadStoreCalls[M]>>> {
    if (!alive || stopping) return Promise.reject(new Error('the recorder thread is not running'));
    const id = nextId++;
    // As in `ask`: an input that cannot be cloned (or a thread that cannot take it) fails the call
    // now, instead of leaving an answer waiting that no message will ever settle.
    try {
      thread.worker.postMessage({ t: 'store', id, method, input } satisfies ToRecorderThread);
    } catch (e) {
      return Promise.reject(asError(e));
    }
    return new Promise((resolve, reject) => {
      storeAnswers.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
  }

  const timer = setInterval(post, Math.max(1, options.postEveryMs ?? 100));
  timer.unref();

  return {
    /** Store calls handed to the thread and not answered yet (for tests and metrics). */
    get storeCallsWaiting(): number {
      return storeAnswers.size;
    },
    get stats(): RecorderStats {
      return {
        ...threadStats,
        dropped: threadStats.dropped + droppedHere,
        buffered: threadStats.buffered + heldCalls + packer.calls,
      };
    },
    record(call: RecordedCall): void {
      if (closed) {
        droppedHere++;
        return;
      }
      packer.add(call);
      if (packer.calls >= postAt) post();
    },
    flush: () => ask('flush'),
    recordEntryUsage: (hits) => callStore('recordEntryUsage', hits),
    autoAuthorizeAddresses: (input) => callStore('autoAuthorizeAddresses', input),
    holdKeyBurst: (input) => callStore('holdKeyBurst', input),
    async close(): Promise<void> {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      await ask('close');
      closed = true;
      if (heldCalls + packer.calls > 0) {
        logger.error({ left: heldCalls + packer.calls }, 'records not written at close');
      }
      await thread.worker.terminate();
    },
  };
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * The thread's script: the compiled `recorder-thread.js` beside this module. Run from TypeScript
 * source (tests), the compiled one in `dist` is used — worker threads on Node 20 do not take tsx's
 * `--import` hook — so those tests need `npx tsc -b` first, as the cluster tests do.
 */
function threadScript(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../../dist/records/recorder-thread.js', import.meta.url)
    : new URL('./recorder-thread.js', import.meta.url);
}
