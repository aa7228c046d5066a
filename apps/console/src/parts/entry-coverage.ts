/**
 * Whether a change to one entry takes addresses away from it: disabling it, or a new value that no
 * longer covers all it covered (192.168.0.0/16 → 192.168.1.0/24). Only such a change can deny
 * requests the list allows now, so only it is worth replaying the last day's traffic for; a change
 * that keeps or widens what the entry covers is saved without asking.
 */
import { IpSet } from '@ipgate/core';

/** What decides what an entry lets in. */
export interface EntryCover {
  readonly value: string;
  readonly enabled: boolean;
  readonly expiresAt: string | null;
}

/** Whether the entry lets anyone in at `now`: enabled and not expired. */
export function inForce(entry: Pick<EntryCover, 'enabled' | 'expiresAt'>, now = Date.now()): boolean {
  return entry.enabled && (entry.expiresAt === null || Date.parse(entry.expiresAt) > now);
}

/**
 * True when `after` lets in fewer addresses than `before` did: some address `before` covered
 * (while in force) is not covered by `after`. A value that does not parse counts as not narrowing:
 * the form and the server refuse it with their own message.
 *
 * @example
 * narrows({ value: '10.0.0.0/16', enabled: true, expiresAt: null }, { value: '10.0.1.0/24', enabled: true, expiresAt: null }); // true
 * narrows({ value: '10.0.1.0/24', enabled: true, expiresAt: null }, { value: '10.0.0.0/16', enabled: true, expiresAt: null }); // false
 */
export function narrows(before: EntryCover, after: EntryCover, now = Date.now()): boolean {
  if (!inForce(before, now)) return false;
  if (!inForce(after, now)) return true;
  try {
    return !IpSet.from([before.value]).difference(IpSet.from([after.value])).isEmpty;
  } catch {
    return false;
  }
}

/**
 * Whether the entries in force let the address in; undefined when there is no address to ask about
 * or an entry does not parse (the page then says nothing rather than something wrong).
 *
 * @example letsIn([{ canonical: '10.0.0.0/8', enabled: true, expiresAt: null }], '10.1.2.3'); // true
 */
export function letsIn(
  entries: readonly (Pick<EntryCover, 'enabled' | 'expiresAt'> & { readonly canonical: string })[],
  address: string | null,
  now = Date.now(),
): boolean | undefined {
  if (address === null) return undefined;
  try {
    return IpSet.from(entries.filter((e) => inForce(e, now)).map((e) => e.canonical)).has(address);
  } catch {
    return undefined;
  }
}
