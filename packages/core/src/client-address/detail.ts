/**
 * Wording for the `detail` of a denial. Details end up in operators' logs and carry text the client
 * chose, so that text is always quoted (JSON escapes control characters, which stops log injection) and
 * shortened (so a denial costs a bounded amount of log space).
 */

import type { ClientAddressResult, ForwardingHeader } from './strategy.js';

const SHOWN_CHARS = 64;

/**
 * Quotes text from a request for a log line: JSON-escaped, at most 64 characters of it.
 *
 * @example
 * quoteInput('unknown'); // '"unknown"'
 * quoteInput('a\nb'); // '"a\\nb"'
 */
export function quoteInput(text: string): string {
  if (text.length <= SHOWN_CHARS) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, SHOWN_CHARS))}… (${text.length} characters)`;
}

/**
 * Names a position counted from the right, the way the walk over a forwarding header counts.
 *
 * @example
 * fromTheRight(1); // 'the rightmost element'
 * fromTheRight(3); // 'element 3 from the right'
 */
export function fromTheRight(position: number): string {
  return position === 1 ? 'the rightmost element' : `element ${position} from the right`;
}

/**
 * The denial for the header element that should have held the client and does not: it has no `for=`
 * (`node` undefined: a Forwarded element without one) or it is not an address. `position` counts
 * from the right, from 1.
 *
 * @example
 * elementInvalid('unknown', 1, 'x-forwarded-for', true).detail;
 * // 'the rightmost element of x-forwarded-for, "unknown", is not an address'
 */
export function elementInvalid(
  node: string | undefined,
  position: number,
  header: ForwardingHeader,
  sawForwardingHeaders: boolean,
): ClientAddressResult {
  const where = `${fromTheRight(position)} of ${header}`;
  const detail =
    node === undefined
      ? `${where} has no for= parameter`
      : `${where}, ${quoteInput(node)}, is not an address`;
  return { ok: false, reason: 'forwarded-element-invalid', detail, sawForwardingHeaders };
}
