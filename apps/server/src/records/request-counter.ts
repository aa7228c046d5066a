/**
 * Allowed requests counted per minute and group, in memory, between two writes of the recorder
 * (docs/architecture/storage.md#counted-requests): with `--request-log=denials` an allowed request is
 * added to the count of its (minute, tenant, API, key, client, method, status, origin, matched
 * entries) instead of being queued as a record.
 */
import { REQUEST_TEXT_MAX } from '../store/request-log.js';
import type { RecordedMatch, RequestCount, RequestRecord } from '../store/store.js';
import { cut, optionalText, requiredText } from './bounded-call.js';

const MINUTE_MS = 60_000;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The counts of one recorder. `add` is called for every allowed request; a run of requests of one
 * group — what a busy gateway records, with the same string and list objects from the recorder
 * thread's unpacking — is counted into the same object with no lookup and no allocation.
 *
 * @example
 * const counter = new RequestCounter();
 * counter.add(record); // an allowed request
 * await store.appendRequestCounts(counter.take());
 */
export class RequestCounter {
  /** Insertion order is age order, which dropping the oldest needs. */
  #counts = new Map<string, Mutable<RequestCount>>();
  /** Requests in {@link #counts}. */
  #requests = 0;
  // The last request's group values, as given (compared by `===`), and its count.
  #minute = Number.NaN;
  #tenantId: unknown;
  #apiId: unknown;
  #keyId: unknown;
  #client: unknown;
  #method: unknown;
  #status: unknown;
  #origin: unknown;
  #matched: unknown;
  #last: Mutable<RequestCount> | undefined;

  /** Groups held. */
  get size(): number {
    return this.#counts.size;
  }

  /** Requests held in the counts. */
  get requests(): number {
    return this.#requests;
  }

  /**
   * Counts an allowed request; returns why not when it cannot be counted (a time, status or
   * latency that is not one), as `boundCall` does for a record.
   */
  add(r: RequestRecord): string | undefined {
    const at = r.at;
    if (!(at instanceof Date)) return 'at is not a valid time';
    const ms = at.getTime();
    if (Number.isNaN(ms)) return 'at is not a valid time';
    const latency = r.latencyMs;
    if (typeof latency !== 'number' || !Number.isFinite(latency) || latency < 0) {
      return 'latencyMs is not a duration';
    }
    const minute = ms - (((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
    let c = this.#last;
    if (
      c === undefined ||
      minute !== this.#minute ||
      r.tenantId !== this.#tenantId ||
      r.apiId !== this.#apiId ||
      r.keyId !== this.#keyId ||
      r.client !== this.#client ||
      r.method !== this.#method ||
      r.status !== this.#status ||
      r.origin !== this.#origin ||
      !sameMatches(r.matched, this.#matched)
    ) {
      if (!Number.isInteger(r.status) || r.status < 100 || r.status > 599) {
        return `status ${r.status} is not an HTTP status`;
      }
      c = this.#groupOf(r, minute, at);
      this.#minute = minute;
      this.#tenantId = r.tenantId;
      this.#apiId = r.apiId;
      this.#keyId = r.keyId;
      this.#client = r.client;
      this.#method = r.method;
      this.#status = r.status;
      this.#origin = r.origin;
      this.#matched = r.matched;
      this.#last = c;
    }
    if (ms < c.firstAt.getTime()) c.firstAt = at;
    if (ms > c.lastAt.getTime()) c.lastAt = at;
    c.count++;
    c.latencySumMs += latency;
    if (latency > c.latencyMaxMs) c.latencyMaxMs = latency;
    this.#requests++;
    return undefined;
  }

  /** The counts held, oldest group first; the counter starts empty. */
  take(): RequestCount[] {
    const out = [...this.#counts.values()];
    this.#counts = new Map();
    this.#requests = 0;
    this.#last = undefined;
    return out;
  }

  /** Puts back counts a write left (they go before newer ones, added into any of the same group). */
  putBack(counts: readonly RequestCount[]): void {
    const newer = this.#counts;
    this.#counts = new Map();
    this.#requests = 0;
    this.#last = undefined;
    for (const c of counts) this.#merge(c);
    for (const c of newer.values()) this.#merge(c);
  }

  /** Drops the oldest groups until at most `max` are held; returns the requests dropped. */
  dropOldest(max: number): number {
    let dropped = 0;
    while (this.#counts.size > max) {
      const [key, oldest] = this.#counts.entries().next().value as [string, RequestCount];
      this.#counts.delete(key);
      if (oldest === this.#last) this.#last = undefined;
      dropped += oldest.count;
      this.#requests -= oldest.count;
    }
    return dropped;
  }

  #merge(c: RequestCount): void {
    const key = keyOf(c);
    const had = this.#counts.get(key);
    this.#requests += c.count;
    if (had === undefined) {
      this.#counts.set(key, { ...c });
      return;
    }
    if (c.firstAt < had.firstAt) had.firstAt = c.firstAt;
    if (c.lastAt > had.lastAt) had.lastAt = c.lastAt;
    had.count += c.count;
    had.latencySumMs += c.latencySumMs;
    if (c.latencyMaxMs > had.latencyMaxMs) had.latencyMaxMs = c.latencyMaxMs;
  }

  /** The count of the request's group, made (empty) when the group is new: values cut as the store takes them. */
  #groupOf(r: RequestRecord, minute: number, at: Date): Mutable<RequestCount> {
    const group: Mutable<RequestCount> = {
      minute: new Date(minute),
      tenantId: optionalText(r.tenantId),
      apiId: optionalText(r.apiId),
      keyId: optionalText(r.keyId),
      client: optionalText(r.client),
      method: requiredText(r.method) ?? '-',
      status: r.status,
      origin: typeof r.origin === 'string' ? cut(r.origin, REQUEST_TEXT_MAX) : null,
      matched: r.matched ?? [],
      count: 0,
      firstAt: at,
      lastAt: at,
      latencySumMs: 0,
      latencyMaxMs: 0,
    };
    const key = keyOf(group);
    const had = this.#counts.get(key);
    if (had !== undefined) return had;
    this.#counts.set(key, group);
    return group;
  }
}

/** A group's key: its values as JSON, so no value can pass for two. */
function keyOf(c: RequestCount): string {
  return JSON.stringify([
    c.minute.getTime(),
    c.tenantId,
    c.apiId,
    c.keyId,
    c.client,
    c.method,
    c.status,
    c.origin ?? null,
    c.matched ?? [],
  ]);
}

/**
 * Whether two requests matched the same entries: the same list object (the recorder thread's
 * unpacking hands a run one), or equal lists — a gateway recording in its own process makes a new
 * list per request, and building the group's key again for each was most of the counter's cost.
 */
function sameMatches(a: readonly RecordedMatch[] | undefined, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as RecordedMatch;
    const y = b[i] as RecordedMatch;
    if (x.list !== y.list || x.entryId !== y.entryId) return false;
  }
  return true;
}
