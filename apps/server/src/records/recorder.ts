import { type Logger, silentLogger } from '../log/logger.js';
import type { Assessment, Observation, RequestRecord, Store } from '../store/store.js';
import { boundCall } from './bounded-call.js';
import { writeIsolating } from './write-isolating.js';

/** Observations are aggregated per (tenant, key, address, status); NUL cannot occur in any of them. */
function observationKey(o: Pick<Observation, 'tenantId' | 'keyId' | 'address' | 'status'>): string {
  return `${o.tenantId}\u0000${o.keyId}\u0000${o.address}\u0000${o.status}`;
}

/** Refused records logged one by one per write; the rest are counted in one line. */
const MAX_REJECTIONS_LOGGED = 10;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One call seen by the gateway: the request record, and the address observation when a key was authenticated. */
export interface RecordedCall {
  readonly request: RequestRecord;
  readonly observation?:
    | {
        readonly tenantId: string;
        readonly keyId: string;
        readonly address: string;
        readonly status: 'authorized' | 'pending';
        readonly reason?: string | undefined;
        /** The assessment the request path made (auto mode); stored with the observation. */
        readonly assessment?: Assessment | undefined;
      }
    | undefined;
}

/**
 * What the gateway hands every finished request to. `record` is synchronous and never throws or
 * waits: the request path must not depend on the store.
 *
 * @example
 * recorder.record({ request: { requestId, at, …, status: 200 }, observation: { tenantId, keyId, address, status: 'authorized' } });
 * await recorder.close(); // on shutdown: writes what is buffered
 */
export interface Recorder {
  record(call: RecordedCall): void;
  /** Writes what is buffered now; resolves when the attempt is over (failures are kept for the next one). */
  flush(): Promise<void>;
  /** Stops the timer and makes a last attempt to write everything. */
  close(): Promise<void>;
}

/** Counters of a {@link createRecorder} recorder. */
export interface RecorderStats {
  /** Request records written. */
  readonly requestsWritten: number;
  /** Aggregated observations written. */
  readonly observationsWritten: number;
  /** Request records and observations dropped because the buffer was over its cap. */
  readonly dropped: number;
  /**
   * Request records and observations refused: by the store (written again they would be refused
   * again) or, before they were queued, because they could not be made acceptable. Each is logged.
   */
  readonly rejected: number;
  /** Failed write attempts. */
  readonly failures: number;
  /** Request records and observations waiting. */
  readonly buffered: number;
}

/** Options of {@link createRecorder}. */
export interface RecorderOptions {
  readonly store: Pick<Store, 'recordObservations' | 'appendRequests'>;
  /** Write at least this often; default 1000 ms. */
  readonly flushIntervalMs?: number | undefined;
  /** Write as soon as this many request records wait, and at most this many per store call; default 500. */
  readonly batchSize?: number | undefined;
  /** Most request records, and most aggregated observations, held while the store fails; default 50 000 each. The oldest go first. */
  readonly maxBuffered?: number | undefined;
  readonly logger?: Logger | undefined;
}

/**
 * A recorder that aggregates observations per (tenant, key, address, status) and batches request
 * records, writing them every `flushIntervalMs` or `batchSize` records. A failed write keeps its data
 * for the next attempt; memory stays bounded by dropping the oldest (counted in `stats.dropped`).
 *
 * @example
 * const recorder = createRecorder({ store, flushIntervalMs: 1000, batchSize: 500, logger });
 * const gateway = await startGateway({ engine, clientAddress: socketPeer(), recorder, host: '127.0.0.1', port: 8080, upstreamTimeoutMs: 30_000 });
 * // …
 * await gateway.close();
 * await recorder.close();
 */
export function createRecorder(options: RecorderOptions): Recorder & { readonly stats: RecorderStats } {
  const { store } = options;
  const logger = options.logger ?? silentLogger;
  const batchSize = Math.max(1, options.batchSize ?? 500);
  const maxBuffered = Math.max(1, options.maxBuffered ?? 50_000);

  let requests: RequestRecord[] = [];
  // Insertion order is age order, which is what dropping the oldest needs.
  let observations = new Map<string, Observation>();
  let flushing: Promise<void> | undefined;
  let closed = false;
  const stats = { requestsWritten: 0, observationsWritten: 0, dropped: 0, rejected: 0, failures: 0 };
  let rejectedLogged = 0;
  let failing = false;

  function addObservation(map: Map<string, Observation>, o: Observation): void {
    const k = observationKey(o);
    const had = map.get(k) as Mutable<Observation> | undefined;
    if (had === undefined) {
      // A copy the recorder owns, so counting into it below never touches the caller's object.
      map.set(k, { ...o });
      return;
    }
    // Counted in place: a busy (key, address) pair is seen on nearly every request, and a new
    // object per request was garbage the request path paid for.
    if (o.firstAt < had.firstAt) had.firstAt = o.firstAt;
    if (o.lastAt > had.lastAt) had.lastAt = o.lastAt;
    had.count += o.count;
    if (o.assessment !== undefined) had.assessment = o.assessment;
  }

  function enforceCaps(): void {
    if (requests.length > maxBuffered) {
      const excess = requests.length - maxBuffered;
      requests.splice(0, excess);
      stats.dropped += excess;
    }
    while (observations.size > maxBuffered) {
      const oldest = observations.keys().next().value as string;
      observations.delete(oldest);
      stats.dropped++;
    }
  }

  async function writeAll(): Promise<void> {
    const takenRequests = requests;
    const takenObservations = observations;
    requests = [];
    observations = new Map();
    rejectedLogged = 0;
    let failed = false;
    // A batch the store refuses is narrowed down to the records it refuses, which are counted,
    // logged and left out: one bad record must never hold back everyone else's (see
    // docs/architecture/storage.md#request-log-and-observations).
    const wroteRequests = await writeIsolating(
      takenRequests,
      batchSize,
      (batch) => store.appendRequests(batch),
      (r, e) => reject('request record', { requestId: r.requestId, tenantId: r.tenantId }, e),
    );
    stats.requestsWritten += wroteRequests.written;
    if (wroteRequests.left.length > 0) {
      failed = true;
      report(wroteRequests.error, 'request records');
      // Unwritten records go back in front of newer ones, keeping age order.
      requests = wroteRequests.left.concat(requests);
    }
    const wroteObservations = await writeIsolating(
      [...takenObservations.values()],
      batchSize,
      (batch) => store.recordObservations(batch),
      (o, e) => reject('observed address', { tenantId: o.tenantId, keyId: o.keyId, address: o.address }, e),
    );
    stats.observationsWritten += wroteObservations.written;
    if (wroteObservations.left.length > 0) {
      failed = true;
      report(wroteObservations.error, 'observed addresses');
      const merged = new Map<string, Observation>();
      for (const o of wroteObservations.left) addObservation(merged, o);
      for (const o of observations.values()) addObservation(merged, o);
      observations = merged;
    }
    if (rejectedLogged > MAX_REJECTIONS_LOGGED) {
      logger.error({ more: rejectedLogged - MAX_REJECTIONS_LOGGED }, 'more records refused by the store');
    }
    if (failed) enforceCaps();
    else if (failing) {
      failing = false;
      logger.info({}, 'records written again');
    }
  }

  /** Counts and logs (the first few of each write) a record left out, with the store's reason. */
  function reject(what: string, fields: object, e: unknown): void {
    stats.rejected++;
    rejectedLogged++;
    if (rejectedLogged > MAX_REJECTIONS_LOGGED) return;
    logger.error({ ...fields, err: e }, `${what} refused by the store; left out, the others are written`);
  }

  function report(e: unknown, what: string): void {
    stats.failures++;
    // Log the first failure of an outage, not one per attempt.
    if (!failing) logger.error({ err: e }, `cannot write ${what}; keeping them for the next attempt`);
    failing = true;
  }

  function flush(): Promise<void> {
    if (flushing !== undefined) return flushing;
    if (requests.length === 0 && observations.size === 0) return Promise.resolve();
    flushing = writeAll().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  const timer = setInterval(() => void flush(), Math.max(1, options.flushIntervalMs ?? 1000));
  timer.unref();

  return {
    get stats(): RecorderStats {
      return { ...stats, buffered: requests.length + observations.size };
    },
    record(call: RecordedCall): void {
      if (closed) {
        stats.dropped++;
        return;
      }
      // Cut to what the store accepts before it is queued (a 5,000-character path is logged cut,
      // not refused); what cannot be made acceptable is never queued.
      const bounded = boundCall(call);
      if (typeof bounded === 'string') {
        stats.rejected++;
        logger.error({ requestId: call.request.requestId, reason: bounded }, 'request record not recordable');
        return;
      }
      requests.push(bounded.request);
      const o = bounded.observation;
      if (o !== undefined) {
        const at = bounded.request.at;
        const k = observationKey(o);
        const had = observations.get(k) as Mutable<Observation> | undefined;
        if (had !== undefined) {
          // The common case under load: count into the aggregate without allocating anything.
          if (at < had.firstAt) had.firstAt = at;
          if (at > had.lastAt) had.lastAt = at;
          had.count++;
          if (o.assessment !== undefined) had.assessment = o.assessment;
        } else {
          observations.set(k, {
            tenantId: o.tenantId,
            keyId: o.keyId,
            address: o.address,
            firstAt: at,
            lastAt: at,
            count: 1,
            status: o.status,
            ...(o.reason === undefined ? {} : { reason: o.reason }),
            ...(o.assessment === undefined ? {} : { assessment: o.assessment }),
          });
        }
      }
      enforceCaps();
      if (requests.length >= batchSize || observations.size >= batchSize) void flush();
    },
    flush,
    async close(): Promise<void> {
      closed = true;
      clearInterval(timer);
      if (flushing !== undefined) await flushing;
      await flush();
      const left = requests.length + observations.size;
      if (left > 0) logger.error({ left }, 'records not written at close');
    },
  };
}
