import { isIpGateError } from '@ipgate/core';

/**
 * Whether a store error refuses the data (writing it again can never succeed) rather than says the
 * store is down (a later attempt may). Only the second kind is retried; the first is isolated to the
 * record that caused it (see `writeIsolating`).
 *
 * Refusals: the store's own validation (any IpGateError but IPG_STORE_UNAVAILABLE and
 * IPG_INTERNAL_ERROR), PostgreSQL's data
 * and constraint errors (SQLSTATE classes 22 and 23), SQLite's constraint, mismatch and too-big errors.
 *
 * @example
 * isStoreRefusal(new IpGateError('IPG_CONFIG_INVALID', 'path must be text …')); // true
 * isStoreRefusal(Object.assign(new Error('down'), { code: 'ECONNREFUSED' })); // false
 */
export function isStoreRefusal(e: unknown): boolean {
  if (isIpGateError(e)) {
    if (e.code === 'IPG_STORE_UNAVAILABLE') return false;
    return e.code !== 'IPG_INTERNAL_ERROR' || isStoreRefusal(e.cause);
  }
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  if (/^2[23][0-9A-Z]{3}$/.test(code)) return true;
  return /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG)/.test(code);
}
