/** How long a rule's refusal holds: writing again within the hour would be refused again. */
export const RULE_REFUSAL_HOLD_MS = 60 * 60 * 1000;
/** The first wait after a transient failure: long enough for a blip to pass, short enough to go unnoticed. */
export const FIRST_RETRY_MS = 5_000;
/** The longest wait while the store stays down: each address asks it at most twice a minute. */
export const MAX_RETRY_MS = 30_000;

/**
 * How long this node holds a trusted address whose write did not succeed before the next request
 * assesses it and writes it again. A refusal by a rule (the list is full, the key or tenant is gone,
 * a person rejected the address) holds for the hour. A transient failure (the store down or busy,
 * a connection reset, a timeout) holds for seconds, doubling with each such failure in a row, so that
 * a trusted address is not denied for an hour after a one-second blip, while a store that stays down
 * is not asked again on every request.
 *
 * @example
 * refusalHoldMs({ transient: true, inRow: 1 }); // 5_000
 * refusalHoldMs({ transient: true, inRow: 4 }); // 30_000
 * refusalHoldMs({ transient: false, inRow: 0 }); // 3_600_000
 */
export function refusalHoldMs(refusal: { readonly transient: boolean; readonly inRow: number }): number {
  if (!refusal.transient) return RULE_REFUSAL_HOLD_MS;
  const doublings = Math.max(0, Math.min(refusal.inRow - 1, 16));
  return Math.min(FIRST_RETRY_MS * 2 ** doublings, MAX_RETRY_MS);
}
