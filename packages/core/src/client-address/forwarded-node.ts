import { IpAddress } from '../address/ip-address.js';
import type { ForwardingHeader } from './strategy.js';

const COLON = 58;
const OPEN_BRACKET = 91;

/**
 * Parses one forwarded node (an X-Forwarded-For element, or a Forwarded `for=` value after unquoting):
 * IPv4, IPv4:port, bare IPv6, [IPv6], [IPv6]:port. Undefined for anything else (unknown, _obfuscated,
 * zone ids, bad/leading-zero/out-of-range ports, garbage, empty).
 *
 * The text must already be trimmed: surrounding spaces make it garbage, as inside a Forwarded value.
 * Addresses are parsed strictly (docs/architecture/entries.md#addresses), and IPv4-mapped addresses come
 * back as IPv4, so
 * trust checks and results agree on one spelling. A port is 1–65535 in decimal without leading zeros;
 * RFC 7239 obfuscated ports (`:_abc`) are refused too, because every proxy we trust writes real ones
 * and one grammar for both headers leaves nothing for a client to play with.
 *
 * A bare IPv6 address is never split at its last colon: `2001:db8::1:80` is that address, not
 * `2001:db8::1` port 80. Only the bracketed form carries a port. In a Forwarded header (`header`
 * `'forwarded'`) a bare IPv6 address is refused: RFC 7239 section 6 writes IPv6 nodes only in
 * brackets (`for="[2001:db8::7]"`), so a bare one was not written by a proxy that follows it, and a
 * chain that accepts it would fail closed nowhere.
 *
 * @example
 * parseForwardedNode('192.0.2.43:47011')?.toString(); // '192.0.2.43'
 * parseForwardedNode('[2001:db8:cafe::17]:4711')?.toString(); // '2001:db8:cafe::17'
 * parseForwardedNode('2001:db8::1:80')?.toString(); // '2001:db8::1:80'
 * parseForwardedNode('::ffff:10.0.0.1')?.toString(); // '10.0.0.1'
 * parseForwardedNode('unknown'); // undefined
 * parseForwardedNode('[fe80::1%25eth0]'); // undefined
 * parseForwardedNode('2001:db8::7', 'forwarded'); // undefined: brackets required there
 */
export function parseForwardedNode(
  text: string,
  header: ForwardingHeader = 'x-forwarded-for',
): IpAddress | undefined {
  const n = text.length;
  if (n === 0) return undefined;
  if (text.charCodeAt(0) === OPEN_BRACKET) {
    const close = text.indexOf(']', 1);
    if (close < 0) return undefined;
    if (close + 1 < n && (text.charCodeAt(close + 1) !== COLON || !isPort(text, close + 2, n)))
      return undefined;
    const address = IpAddress.tryParse(text.slice(1, close));
    // `[192.0.2.1]` is not a node in RFC 7239, and no proxy writes it.
    if (address === undefined || address.family !== 6) return undefined;
    return address.unmap();
  }
  const colon = text.indexOf(':');
  if (colon < 0) return IpAddress.tryParse(text);
  if (text.indexOf(':', colon + 1) >= 0) {
    // Two or more colons: a bare IPv6 address, taken whole (X-Forwarded-For only).
    if (header === 'forwarded') return undefined;
    return IpAddress.tryParse(text)?.unmap();
  }
  if (!isPort(text, colon + 1, n)) return undefined;
  const address = IpAddress.tryParse(text.slice(0, colon));
  return address?.family === 4 ? address : undefined;
}

/** A decimal port 1–65535 in `text[start, end)`, no sign, no leading zero. */
function isPort(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < 1 || length > 5) return false;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    if (i === start && c === 48) return false;
    value = value * 10 + (c - 48);
  }
  return value <= 65535;
}
