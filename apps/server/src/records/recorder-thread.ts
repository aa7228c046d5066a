/**
 * The thread a {@link createThreadedRecorder} recorder writes through: its own store connection and
 * an ordinary `createRecorder` (aggregation, batching, retries, caps), fed by messages from the
 * gateway's thread, and the gateway thread's other store writes (`thread-store-calls.ts`: entry
 * usage, the `auto` mode's authorizations). Started by `threaded-recorder.ts`, never by hand.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openNodeStore } from '../store/open-store.js';
import { unpackCalls } from './packed-calls.js';
import { createRecorder } from './recorder.js';
import type { FromRecorderThread, RecorderThreadData, ToRecorderThread } from './recorder-thread-messages.js';
import { runStoreCall, toThreadError } from './thread-store-calls.js';

/** Request records per write on this thread (see below); the recorder's default is 500. */
const THREAD_BATCH_SIZE = 2000;

const port = parentPort;
if (port === null) throw new Error('recorder-thread.ts runs as a worker thread');
const data = workerData as RecorderThreadData;

const logged = (level: 'info' | 'warn' | 'error') => (fields: object, message: string) =>
  port.postMessage({ t: 'log', level, fields: plain(fields), message } satisfies FromRecorderThread);
const logger = { info: logged('info'), warn: logged('warn'), error: logged('error') };

try {
  // A store that cannot be reached now is opened when it can: records wait in the recorder's
  // bounded buffer meanwhile, as they do when the store goes away later.
  const store = await openNodeStore(data.store, logger, { watchable: false });
  // Bigger batches than on an event loop that serves requests: here a longer write delays no request,
  // and each write has a fixed cost (two transactions, the observations' upsert, two commits) of
  // ~1.5–2 ms of CPU that 500 records shared. Records still reach the store every second
  // (`flushIntervalMs`); see bench/README.md, "What each change gave".
  const recorder = createRecorder({ store, logger, batchSize: THREAD_BATCH_SIZE, ...data.recorder });
  port.on('message', (message: ToRecorderThread) => {
    if (message.t === 'calls') {
      try {
        unpackCalls(message.fields, (call) => recorder.record(call));
      } catch (e) {
        // Cannot happen with both sides from one build; said loudly rather than recorded shifted.
        logger.error({ err: e }, 'request records could not be read from the gateway thread');
      }
      return;
    }
    if (message.t === 'store') {
      const { id } = message;
      runStoreCall(store, message.method, message.input).then(
        (value) => port.postMessage({ t: 'store-done', id, value } satisfies FromRecorderThread),
        (e: unknown) =>
          port.postMessage({ t: 'store-done', id, error: toThreadError(e) } satisfies FromRecorderThread),
      );
      return;
    }
    if (message.t === 'flush') {
      void recorder
        .flush()
        .then(() => port.postMessage({ t: 'done', id: message.id, stats: recorder.stats }));
      return;
    }
    void (async () => {
      await recorder.close();
      await store.close();
      port.postMessage({ t: 'done', id: message.id, stats: recorder.stats } satisfies FromRecorderThread);
      port.close();
    })();
  });
  // The gateway's thread shows the recorder's counters on /metrics: keep them current.
  setInterval(() => port.postMessage({ t: 'stats', stats: recorder.stats }), 1000).unref();
  port.postMessage({ t: 'ready' } satisfies FromRecorderThread);
} catch (e) {
  port.postMessage({ t: 'failed', message: e instanceof Error ? e.message : String(e) });
}

/** Log fields made cloneable (an error's message and stack survive; its prototype would not). */
function plain(fields: object): object {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    out[k] = v instanceof Error ? { type: v.name, message: v.message, stack: v.stack } : v;
  }
  return out;
}
