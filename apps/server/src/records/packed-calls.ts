/**
 * Recorded calls as one flat list of strings, numbers and nulls, the form the gateway's thread hands
 * them to the recorder thread in.
 *
 * Why: `postMessage` copies what it sends by structured clone, object by object. A call as objects
 * is six of them (the call, its request, the matched entries, the observation) plus a `Date`, and
 * cloning 256 of them was the biggest part of the hand-off (~2 % of a gateway thread under load).
 * The same values in one array of primitives clone in well under half the time; the recorder
 * thread builds the objects again, off the request path.
 *
 * Within one list, a text field equal to the previous call's is sent as {@link SAME} instead of the
 * text: a busy gateway records call after call of the same API, tenant, key, client, path, outcome
 * and matched entries, and each string costs the structured clone a copy on the sending thread and
 * a new string on the receiving one, where it is kept until written. Only the request id and the
 * numbers are new in every call.
 */
import type { RecordedMatch } from '../store/store.js';
import type { RecordedCall } from './recorder.js';

/** In a text field: the previous call's value. A number, which no text field ever holds. */
const SAME = 0;
/** In the matched count: the previous call's matched entries. */
const SAME_MATCHED = -2;
/** In the observation flag: none, one with its fields, the previous call's. */
const NO_OBSERVATION = 0;
const OBSERVATION = 1;
const SAME_OBSERVATION = 2;

/** Text fields of a request record that are sent as {@link SAME} when unchanged, in layout order. */
const REPEATED = 10;

type Observation = NonNullable<RecordedCall['observation']>;

/**
 * Packs calls into one list for a hand-over (`take()` starts the next). Layout per call: the request
 * id, `at` as epoch ms; tenant, API, key, client, method, path, decision, stage, reason, origin (each
 * its text or null, or {@link SAME}); status, latency; the count of matched entries (-1 for none
 * given, -2 for the previous call's) and their list/entry pairs; then 0 for no observation, 2 for the
 * previous call's, or 1 and its six fields.
 *
 * @example
 * const packer = new CallPacker();
 * packer.add(call);
 * const fields = packer.take();
 * unpackCalls(fields, (c) => recorder.record(c)); // the same call again
 */
export class CallPacker {
  #fields: unknown[] = [];
  #calls = 0;
  // The previous call's values, compared by `===` (the same string object most of the time).
  readonly #previous: unknown[] = new Array(REPEATED).fill(undefined);
  #previousMatched: readonly RecordedMatch[] | undefined | null = null;
  #previousObservation: Observation | undefined = undefined;

  /** Calls packed since the last `take()`. */
  get calls(): number {
    return this.#calls;
  }

  add(call: RecordedCall): void {
    const out = this.#fields;
    const r = call.request;
    out.push(r.requestId, r.at.getTime());
    this.#text(0, r.tenantId);
    this.#text(1, r.apiId);
    this.#text(2, r.keyId);
    this.#text(3, r.client);
    this.#text(4, r.method);
    this.#text(5, r.path);
    this.#text(6, r.decision);
    this.#text(7, r.stage);
    this.#text(8, r.reason);
    this.#text(9, r.origin);
    out.push(r.status, r.latencyMs);
    const matched = r.matched;
    if (matched === undefined) out.push(-1);
    else if (this.#calls > 0 && sameMatches(matched, this.#previousMatched)) out.push(SAME_MATCHED);
    else {
      out.push(matched.length);
      for (let i = 0; i < matched.length; i++) {
        const m = matched[i] as RecordedMatch;
        out.push(m.list, m.entryId);
      }
    }
    this.#previousMatched = matched;
    const o = call.observation;
    if (o === undefined) out.push(NO_OBSERVATION);
    else if (this.#calls > 0 && sameObservation(o, this.#previousObservation)) out.push(SAME_OBSERVATION);
    else out.push(OBSERVATION, o.tenantId, o.keyId, o.address, o.status, o.reason, o.assessment);
    this.#previousObservation = o;
    this.#calls++;
  }

  /** The list packed so far; the packer starts a new one, whose first call is sent whole. */
  take(): unknown[] {
    const fields = this.#fields;
    this.#fields = [];
    this.#calls = 0;
    return fields;
  }

  #text(slot: number, value: string | null | undefined): void {
    if (this.#calls > 0 && value === this.#previous[slot] && value !== undefined) {
      this.#fields.push(SAME);
      return;
    }
    this.#previous[slot] = value;
    this.#fields.push(value);
  }
}

function sameMatches(a: readonly RecordedMatch[], b: readonly RecordedMatch[] | undefined | null): boolean {
  if (b === undefined || b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as RecordedMatch;
    const y = b[i] as RecordedMatch;
    if (x.list !== y.list || x.entryId !== y.entryId) return false;
  }
  return true;
}

function sameObservation(a: Observation, b: Observation | undefined): boolean {
  return (
    b !== undefined &&
    a.tenantId === b.tenantId &&
    a.keyId === b.keyId &&
    a.address === b.address &&
    a.status === b.status &&
    a.reason === b.reason &&
    a.assessment === b.assessment
  );
}

/**
 * Calls `each` with every call packed in `fields` by a {@link CallPacker}, in order. A list that
 * does not have this layout (another version of the code on the other side) throws rather than
 * record shifted fields.
 *
 * @example
 * unpackCalls(message.fields, (call) => recorder.record(call));
 */
export function unpackCalls(fields: readonly unknown[], each: (call: RecordedCall) => void): void {
  let i = 0;
  let first = true;
  const previous: unknown[] = new Array(REPEATED).fill(undefined);
  let previousMatched: RecordedMatch[] | undefined;
  let previousObservation: Observation | undefined;
  const next = (): unknown => {
    if (i >= fields.length) throw new Error('packed calls end in the middle of a call');
    return fields[i++];
  };
  const text = (slot: number): unknown => {
    const value = next();
    if (value === SAME) {
      if (first) throw new Error('packed calls: the first call refers to a previous one');
      return previous[slot];
    }
    if (value !== null && value !== undefined && typeof value !== 'string') {
      throw new Error(`packed calls: expected a text field, got ${String(value)}`);
    }
    previous[slot] = value;
    return value;
  };
  while (i < fields.length) {
    const requestId = next() as string;
    const at = new Date(next() as number);
    const tenantId = text(0) as string | null;
    const apiId = text(1) as string | null;
    const keyId = text(2) as string | null;
    const client = text(3) as string | null;
    const method = text(4) as string;
    const path = text(5) as string;
    const decision = text(6) as RecordedCall['request']['decision'];
    const stage = text(7) as string | null;
    const reason = text(8) as string | null;
    const origin = text(9) as string | null | undefined;
    const status = next() as number;
    const latencyMs = next() as number;
    const count = next();
    if (typeof count !== 'number' || !Number.isInteger(count) || count < SAME_MATCHED) {
      throw new Error(`packed calls: expected a count of matched entries, got ${String(count)}`);
    }
    let matched: RecordedMatch[] | undefined;
    if (count === SAME_MATCHED) {
      if (first || previousMatched === undefined) {
        throw new Error('packed calls: matched entries refer to a previous call that had none');
      }
      // Shared with the previous record: records are read, never changed, once made.
      matched = previousMatched;
    } else if (count >= 0) {
      matched = [];
      for (let m = 0; m < count; m++) {
        matched.push({ list: next() as RecordedMatch['list'], entryId: next() as string });
      }
    }
    previousMatched = matched;
    const request = {
      requestId,
      at,
      tenantId,
      apiId,
      keyId,
      client,
      method,
      path,
      status,
      decision,
      stage,
      reason,
      latencyMs,
      origin,
      matched,
    };
    const observed = next();
    let observation: Observation | undefined;
    if (observed === OBSERVATION) {
      observation = {
        tenantId: next() as string,
        keyId: next() as string,
        address: next() as string,
        status: next() as 'authorized' | 'pending',
        reason: next() as string | undefined,
        assessment: next() as Observation['assessment'],
      };
    } else if (observed === SAME_OBSERVATION) {
      if (first || previousObservation === undefined) {
        throw new Error('packed calls: an observation refers to a previous call that had none');
      }
      observation = previousObservation;
    } else if (observed !== NO_OBSERVATION) {
      throw new Error(`packed calls: expected 0, 1 or 2 for the observation, got ${String(observed)}`);
    }
    previousObservation = observation;
    first = false;
    each(observation === undefined ? { request } : { request, observation });
  }
}
