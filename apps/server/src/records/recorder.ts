import { type Logger, silentLogger } from '../log/logger.js';
import type { Assessment, Observation, RequestCount, RequestRecord, Store } from '../store/store.js';
import { boundCall, boundObservation } from './bounded-call.js';
import { RequestCounter } from './request-counter.js';
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

/** What the request log keeps: a record per request, or per denial with allowed requests counted. */
export type RequestLogMode = 'all' | 'denials';

/** Counters of a {@link createRecorder} recorder. */
export interface RecorderStats {
  /** Request records written. */
  readonly requestsWritten: number;
  /** Allowed requests written as counts (`requestLog: 'denials'`). */
  readonly requestsCounted: number;
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
  /** Request records, counts (one per minute and group) and observations waiting. */
  readonly buffered: number;
}

/** Options of {@link createRecorder}. */
export interface RecorderOptions {
  readonly store: Pick<Store, 'recordObservations' | 'appendRequests' | 'appendRequestCounts'>;
  /**
   * What the request log keeps: `all` (default), a record per request; `denials`, a record per
   * denied or would-deny request, and allowed requests counted per minute and group
   * (docs/architecture/storage.md#counted-requests).
   */
  readonly requestLog?: RequestLogMode | undefined;
  /** Write at least this often; default 1000 ms. */
  readonly flushIntervalMs?: number | undefined;
  /**
   * Write the aggregated observations of addresses already written at least this often; default
   * 10 000 ms. An observation that is new since the last observation write (a new address, key or
   * status) goes with the next write of request records, and `flush()` and `close()` write them all.
   */
  readonly observationIntervalMs?: number | undefined;
  /** Write as soon as this many request records wait, and at most this many per store call; default 500. */
  readonly batchSize?: number | undefined;
  /**
   * Most request records, most counts and most aggregated observations held while the store fails;
   * default 50 000 each. The oldest go first.
   */
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
  const observationIntervalMs = Math.max(0, options.observationIntervalMs ?? 10_000);

  let requests: RequestRecord[] = [];
  // With `denials`, allowed requests are counted here instead of queued as records: one object per
  // minute and group, so their cost on this thread and in the store no longer grows per request.
  const counter = options.requestLog === 'denials' ? new RequestCounter() : undefined;
  // Insertion order is age order, which is what dropping the oldest needs.
  let observations = new Map<string, Observation>();
  let flushing: Promise<void> | undefined;
  /** Whether the write under way (`flushing`) takes every observation. */
  let flushingAll = false;
  let closed = false;
  const stats = {
    requestsWritten: 0,
    requestsCounted: 0,
    observationsWritten: 0,
    dropped: 0,
    rejected: 0,
    failures: 0,
  };
  let rejectedLogged = 0;
  let failing = false;
  // Why observations may wait: their write is one row per busy (key, address) pair, but its
  // transaction — the keys' check, the pending ones' notices, the commit — cost ~1–3 ms of CPU on
  // every write, as much as ~1–2 µs per request at the gateway's rate, to move a count and a time.
  // A new pair is written with the next batch of request records (a new pending address is noticed
  // as fast as before); a known one's count waits up to `observationIntervalMs`.
  /** The aggregation keys of the last observation write. */
  let writtenKeys = new Set<string>();
  /** An observation waits whose key the last observation write did not have (or that write failed). */
  let freshObservation = false;
  let observationsWrittenAt = Date.now();
  /** The aggregation key last made, and the values it was made of. */
  let lastObservationKey = '';
  let lastTenantId = '';
  let lastKeyId = '';
  let lastAddress = '';
  let lastStatus = '';

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
    if (counter !== undefined && counter.size > maxBuffered) stats.dropped += counter.dropOldest(maxBuffered);
    while (observations.size > maxBuffered) {
      const oldest = observations.keys().next().value as string;
      observations.delete(oldest);
      stats.dropped++;
    }
  }

  /** Whether the observations go with this write: all on `flush()`, otherwise when one is new or due. */
  function observationsDue(all: boolean): boolean {
    if (observations.size === 0) return false;
    return (
      all ||
      freshObservation ||
      observations.size >= batchSize ||
      Date.now() - observationsWrittenAt >= observationIntervalMs
    );
  }

  async function writeAll(all: boolean): Promise<void> {
    const takenRequests = requests;
    const takenCounts = counter === undefined ? [] : counter.take();
    const withObservations = observationsDue(all);
    const takenObservations = withObservations ? observations : new Map<string, Observation>();
    requests = [];
    if (withObservations) {
      observations = new Map();
      freshObservation = false;
      writtenKeys = new Set(takenObservations.keys());
      observationsWrittenAt = Date.now();
    }
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
    // Right after the denials of the same flush: a crash loses the same window of both.
    let refusedCounted = 0;
    const wroteCounts = await writeIsolating(
      takenCounts,
      batchSize,
      (batch) => store.appendRequestCounts(batch),
      (c, e) => {
        refusedCounted += c.count;
        reject('request count', { tenantId: c.tenantId, minute: c.minute, count: c.count }, e);
      },
    );
    stats.requestsCounted += requestsIn(takenCounts) - requestsIn(wroteCounts.left) - refusedCounted;
    if (wroteCounts.left.length > 0) {
      failed = true;
      report(wroteCounts.error, 'request counts');
      counter?.putBack(wroteCounts.left);
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
      // Tried again with the next write, not after the interval.
      freshObservation = true;
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

  /** Writes what waits: every request record, and the observations when `all` or {@link observationsDue}. */
  function write(all: boolean): Promise<void> {
    if (flushing !== undefined) return flushing;
    if (requests.length === 0 && (counter?.size ?? 0) === 0 && !observationsDue(all)) {
      return Promise.resolve();
    }
    flushingAll = all;
    flushing = writeAll(all).finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  function flush(): Promise<void> {
    // A timer's write under way may have left the observations waiting: write them after it.
    if (flushing !== undefined && !flushingAll) return flushing.then(() => write(true));
    return write(true);
  }

  const timer = setInterval(() => void write(false), Math.max(1, options.flushIntervalMs ?? 1000));
  timer.unref();

  return {
    get stats(): RecorderStats {
      return { ...stats, buffered: requests.length + (counter?.size ?? 0) + observations.size };
    },
    record(call: RecordedCall): void {
      if (closed) {
        stats.dropped++;
        return;
      }
      let o: RecordedCall['observation'];
      let at: Date;
      if (counter !== undefined && call.request.decision === 'allow') {
        // Counted, not queued: no record object is made for it (its group's values are cut as a
        // record's would be when the group is first seen).
        const why = counter.add(call.request);
        if (why !== undefined) {
          stats.rejected++;
          logger.error({ requestId: call.request.requestId, reason: why }, 'request not countable');
          return;
        }
        o = call.observation === undefined ? undefined : boundObservation(call.observation);
        at = call.request.at;
      } else {
        // Cut to what the store accepts before it is queued (a 5,000-character path is logged cut,
        // not refused); what cannot be made acceptable is never queued.
        const bounded = boundCall(call);
        if (typeof bounded === 'string') {
          stats.rejected++;
          logger.error(
            { requestId: call.request.requestId, reason: bounded },
            'request record not recordable',
          );
          return;
        }
        requests.push(bounded.request);
        o = bounded.observation;
        at = bounded.request.at;
      }
      if (o !== undefined) {
        // Calls in a run mostly share one (tenant, key, address, status): the recorder thread even
        // hands them one observation object. Its key is made once, not joined and hashed again for
        // every call. Compared by value, not by object: a caller may fill one object again for the
        // next call, and a key kept for the object would count that call under the first one's.
        if (
          o.address !== lastAddress ||
          o.keyId !== lastKeyId ||
          o.tenantId !== lastTenantId ||
          o.status !== lastStatus
        ) {
          lastTenantId = o.tenantId;
          lastKeyId = o.keyId;
          lastAddress = o.address;
          lastStatus = o.status;
          lastObservationKey = observationKey(o);
        }
        const k = lastObservationKey;
        const had = observations.get(k) as Mutable<Observation> | undefined;
        if (had !== undefined) {
          // The common case under load: count into the aggregate without allocating anything.
          if (at < had.firstAt) had.firstAt = at;
          if (at > had.lastAt) had.lastAt = at;
          had.count++;
          if (o.assessment !== undefined) had.assessment = o.assessment;
        } else {
          if (!writtenKeys.has(k)) freshObservation = true;
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
      if (
        requests.length >= batchSize ||
        observations.size >= batchSize ||
        (counter?.size ?? 0) >= batchSize
      ) {
        void write(false);
      }
    },
    flush,
    async close(): Promise<void> {
      closed = true;
      clearInterval(timer);
      if (flushing !== undefined) await flushing;
      await flush();
      const left = requests.length + (counter?.requests ?? 0) + observations.size;
      if (left > 0) logger.error({ left }, 'records not written at close');
    },
  };
}

/** The requests in some counts. */
function requestsIn(counts: readonly RequestCount[]): number {
  let n = 0;
  for (const c of counts) n += c.count;
  return n;
}
