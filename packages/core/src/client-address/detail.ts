/**
 * Wording for the `detail` of a denial. Details end up in operators' logs and carry text the client
 * chose, so that text is always quoted (JSON escapes control characters, which stops log injection) and
 * shortened (so a denial costs a bounded amount of log space).
 */

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
