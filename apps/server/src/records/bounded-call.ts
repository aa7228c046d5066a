import { REQUEST_TEXT_MAX } from '../store/request-log.js';
import type { RecordedCall } from './recorder.js';

/** Names, ids and labels: what the store's `text` accepts (see store/validate.ts). */
const SHORT_TEXT_MAX = 200;

/**
 * A call whose every text field fits what the store accepts: cut to its bound (the cut marked with
 * `…`), NUL replaced (PostgreSQL refuses it in text), blank optional fields made null. Done before a
 * call is queued, so a request with a 5,000-character path is logged, cut, instead of being a record
 * the store refuses (docs/architecture/storage.md#request-log-and-observations).
 *
 * Returns the reason instead when a call cannot be made acceptable (a status or time that is not
 * one); the recorder counts and logs it instead of queueing it.
 *
 * @example
 * boundCall({ request: { ...record, path: '/'.repeat(5000) } }); // path: 1,999 slashes and '…'
 */
export function boundCall(call: RecordedCall): RecordedCall | string {
  const r = call.request;
  if (!(r.at instanceof Date) || Number.isNaN(r.at.getTime())) return 'at is not a valid time';
  if (!Number.isInteger(r.status) || r.status < 100 || r.status > 599)
    return `status ${r.status} is not an HTTP status`;
  if (typeof r.latencyMs !== 'number' || !Number.isFinite(r.latencyMs) || r.latencyMs < 0) {
    return 'latencyMs is not a duration';
  }
  const requestId = required(r.requestId, SHORT_TEXT_MAX);
  if (requestId === undefined) return 'requestId is empty';
  const request = {
    ...r,
    requestId,
    tenantId: optional(r.tenantId, SHORT_TEXT_MAX),
    apiId: optional(r.apiId, SHORT_TEXT_MAX),
    keyId: optional(r.keyId, SHORT_TEXT_MAX),
    client: optional(r.client, SHORT_TEXT_MAX),
    method: required(r.method, SHORT_TEXT_MAX) ?? '-',
    path: cut(typeof r.path === 'string' ? r.path : '', REQUEST_TEXT_MAX),
    stage: optional(r.stage, SHORT_TEXT_MAX),
    reason: r.reason === null ? null : cut(String(r.reason), REQUEST_TEXT_MAX),
  };
  const o = call.observation;
  if (o === undefined) return { request };
  return { request, observation: boundObservation(o) };
}

/**
 * A call's observation with its reason cut as {@link boundCall} cuts it: the same object when
 * nothing was cut (the recorder thread hands a run of calls one observation object, and the
 * recorder reuses the aggregation key it made for it; see recorder.ts).
 *
 * @example
 * boundObservation({ tenantId, keyId, address: '203.0.113.7', status: 'authorized' }); // the same object
 */
export function boundObservation(
  o: NonNullable<RecordedCall['observation']>,
): NonNullable<RecordedCall['observation']> {
  const reason = o.reason === undefined ? undefined : (optional(o.reason, SHORT_TEXT_MAX) ?? undefined);
  if (reason === o.reason) return o;
  return { ...o, reason };
}

/**
 * A required short field (an id, a method) as {@link boundCall} makes it; undefined when blank.
 *
 * @example
 * requiredText('  GET '); // 'GET'
 */
export function requiredText(value: unknown): string | undefined {
  return required(value, SHORT_TEXT_MAX);
}

/**
 * An optional short field (tenant, API, key, client) as {@link boundCall} makes it; null when blank.
 *
 * @example
 * optionalText(' '); // null
 */
export function optionalText(value: unknown): string | null {
  return optional(value, SHORT_TEXT_MAX);
}

/** Trimmed (as the store trims), cut; undefined when blank. */
function required(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  return t === '' ? undefined : cut(t, max).trim();
}

function optional(value: unknown, max: number): string | null {
  if (value === null || value === undefined) return null;
  return required(value, max) ?? null;
}

/**
 * At most `max` UTF-16 units, the last one `…` when something was cut; never half a surrogate pair.
 *
 * @example
 * cut('abcdef', 4); // 'abc…'
 */
export function cut(value: string, max: number): string {
  const clean = value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
  if (clean.length <= max) return clean;
  let end = max - 1;
  const last = clean.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${clean.slice(0, end)}…`;
}
