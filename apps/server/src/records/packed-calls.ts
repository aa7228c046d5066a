/**
 * Recorded calls as one flat list of strings, numbers and nulls, the form the gateway's thread hands
 * them to the recorder thread in.
 *
 * Why: `postMessage` copies what it sends by structured clone, object by object. A call as objects
 * is six of them (the call, its request, the matched entries, the observation) plus a `Date`, and
 * cloning 256 of them was the biggest part of the hand-off (~2 % of a gateway thread under load).
 * The same values in one array of primitives clone in well under half the time; the recorder
 * thread builds the objects again, off the request path.
 */
import type { RecordedMatch } from '../store/store.js';
import type { RecordedCall } from './recorder.js';

/**
 * Appends `call` to `out`. Layout: the request's 14 scalar fields (`at` as epoch ms), the count of
 * matched entries (-1 for none given) and their list/entry pairs, then 0 for no observation or 1
 * and its six fields.
 *
 * @example
 * const fields: unknown[] = [];
 * packCall(call, fields);
 * unpackCalls(fields, (c) => recorder.record(c)); // the same call again
 */
export function packCall(call: RecordedCall, out: unknown[]): void {
  const r = call.request;
  out.push(
    r.requestId,
    r.at.getTime(),
    r.tenantId,
    r.apiId,
    r.keyId,
    r.client,
    r.method,
    r.path,
    r.status,
    r.decision,
    r.stage,
    r.reason,
    r.latencyMs,
    r.origin,
  );
  const matched = r.matched;
  if (matched === undefined) out.push(-1);
  else {
    out.push(matched.length);
    for (let i = 0; i < matched.length; i++) {
      const m = matched[i] as RecordedMatch;
      out.push(m.list, m.entryId);
    }
  }
  const o = call.observation;
  if (o === undefined) out.push(0);
  else out.push(1, o.tenantId, o.keyId, o.address, o.status, o.reason, o.assessment);
}

/**
 * Calls `each` with every call packed in `fields` by {@link packCall}, in order. A list that does not
 * have this layout (another version of the code on the other side) throws rather than record
 * shifted fields.
 *
 * @example
 * unpackCalls(message.fields, (call) => recorder.record(call));
 */
export function unpackCalls(fields: readonly unknown[], each: (call: RecordedCall) => void): void {
  let i = 0;
  const next = (): unknown => {
    if (i >= fields.length) throw new Error('packed calls end in the middle of a call');
    return fields[i++];
  };
  while (i < fields.length) {
    const requestId = next() as string;
    const at = new Date(next() as number);
    const tenantId = next() as string | null;
    const apiId = next() as string | null;
    const keyId = next() as string | null;
    const client = next() as string | null;
    const method = next() as string;
    const path = next() as string;
    const status = next() as number;
    const decision = next() as RecordedCall['request']['decision'];
    const stage = next() as string | null;
    const reason = next() as string | null;
    const latencyMs = next() as number;
    const origin = next() as string | null | undefined;
    const count = next();
    if (typeof count !== 'number' || !Number.isInteger(count) || count < -1) {
      throw new Error(`packed calls: expected a count of matched entries, got ${String(count)}`);
    }
    let matched: RecordedMatch[] | undefined;
    if (count >= 0) {
      matched = [];
      for (let m = 0; m < count; m++) {
        matched.push({ list: next() as RecordedMatch['list'], entryId: next() as string });
      }
    }
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
    if (observed === 0) {
      each({ request });
    } else if (observed === 1) {
      each({
        request,
        observation: {
          tenantId: next() as string,
          keyId: next() as string,
          address: next() as string,
          status: next() as 'authorized' | 'pending',
          reason: next() as string | undefined,
          assessment: next() as NonNullable<RecordedCall['observation']>['assessment'],
        },
      });
    } else {
      throw new Error(`packed calls: expected 0 or 1 for the observation, got ${String(observed)}`);
    }
  }
}
