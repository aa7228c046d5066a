import { UsageError } from './usage-error.js';

/** Request headers as Node's `IncomingMessage.headers` has them: lower-case names. */
export type RequestHeaders = Record<string, string | string[]>;

// RFC 9110 token characters: what a field name may be made of.
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Turns repeated `--header 'Name: value'` options into request headers.
 *
 * Names are lower-cased, as the strategies expect. A name given more than once becomes several lines
 * of that header, in order, because proxies append lines as well as elements and the strategies
 * must see both. Values are trimmed of the optional white space HTTP allows around them.
 *
 * @example
 * headersFromOptions(['X-Forwarded-For: 1.2.3.4', 'x-forwarded-for: 10.0.0.9']);
 * // { 'x-forwarded-for': ['1.2.3.4', '10.0.0.9'] }
 */
export function headersFromOptions(lines: readonly string[]): RequestHeaders {
  const headers: RequestHeaders = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trim();
    if (!isFieldName(name)) {
      throw new UsageError(
        `--header ${JSON.stringify(line)} is not "Name: value" (for example --header 'X-Forwarded-For: 198.51.100.7').`,
      );
    }
    addHeader(headers, name, line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * True for a valid HTTP field name.
 *
 * @example isFieldName('X-Forwarded-For'); // true
 */
export function isFieldName(name: string): boolean {
  return FIELD_NAME.test(name);
}

/**
 * Adds one line of a header, turning a repeated name into a list of lines.
 *
 * @example const h = {}; addHeader(h, 'Forwarded', 'for=192.0.2.1'); // h.forwarded === 'for=192.0.2.1'
 */
export function addHeader(headers: RequestHeaders, name: string, value: string | readonly string[]): void {
  const key = name.toLowerCase();
  const before = headers[key];
  const added = typeof value === 'string' ? [value] : [...value];
  if (before === undefined) headers[key] = typeof value === 'string' ? value : added;
  else headers[key] = [...(typeof before === 'string' ? [before] : before), ...added];
}
