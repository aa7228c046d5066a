import { scanIPv4 } from './ipv4.js';
import { placeIPv6Groups } from './ipv6-groups.js';
import { scanIPv6Plain } from './ipv6-plain.js';

/**
 * Strict IPv6 per RFC 4291 section 2.2: eight groups of 1–4 hex digits, at most one `::`,
 * an optional dotted quad in the last 32 bits, no zone identifier.
 */

const groups = new Int32Array(8);

// Hex digit values by char code (-1 for anything else); a table beats branching per character.
const HEX = new Int8Array(128).fill(-1);
for (let c = 48; c <= 57; c++) HEX[c] = c - 48;
for (let c = 97; c <= 102; c++) {
  HEX[c] = c - 87;
  HEX[c - 32] = c - 87;
}

/**
 * Scans `text[start, end)` as an IPv6 address into `out` (four big-endian 32-bit words).
 *
 * @returns true when the text is a valid IPv6 address; `out` is then filled. On false `out` is garbage.
 * @example
 * const words = new Uint32Array(4);
 * scanIPv6('2001:db8::1', 0, 11, words); // true; words = [0x20010db8, 0, 0, 1]
 */
export function scanIPv6(text: string, start: number, end: number, out: Uint32Array): boolean {
  // The forms addresses arrive in take the fast path (ipv6-plain.ts); it answers no for the rest.
  if (start === 0 && end === text.length && scanIPv6Plain(text, out)) return true;
  return scanIPv6Strict(text, start, end, out);
}

/**
 * The strict scanner every form goes through when the fast path does not take it (and the model the
 * fast path is tested against): same contract as {@link scanIPv6}.
 *
 * @example
 * scanIPv6Strict('::ffff:192.0.2.1', 0, 16, new Uint32Array(4)); // true
 */
export function scanIPv6Strict(text: string, start: number, end: number, out: Uint32Array): boolean {
  let count = 0;
  let ellipsis = -1;
  let i = start;
  if (i < end && text.charCodeAt(i) === 58) {
    // A leading colon is only valid as the start of `::`.
    if (i + 1 >= end || text.charCodeAt(i + 1) !== 58) return false;
    ellipsis = 0;
    i += 2;
  }
  while (i < end) {
    if (count === 8) return false;
    const groupStart = i;
    let value = 0;
    let digits = 0;
    let c = 0;
    while (i < end) {
      c = text.charCodeAt(i);
      const h = c < 128 ? (HEX[c] as number) : -1;
      if (h < 0) break;
      // Five or more digits are rejected below; the shift cannot overflow before that matters.
      value = ((value << 4) | h) & 0xfffff;
      digits++;
      i++;
    }
    if (i < end && c === 46) {
      // An embedded dotted quad takes the last two groups and must end the address.
      if (count > 6) return false;
      const v4 = scanIPv4(text, groupStart, end);
      if (v4 < 0) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    groups[count++] = value;
    if (i === end) break;
    if (c !== 58) return false;
    i++;
    if (i < end && text.charCodeAt(i) === 58) {
      if (ellipsis >= 0) return false;
      ellipsis = count;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  return placeIPv6Groups(groups, count, ellipsis, out);
}

/** True when the words are in `::ffff:0:0/96`, the IPv4-mapped block. */
export function isIPv4MappedWords(w0: number, w1: number, w2: number): boolean {
  return w0 === 0 && w1 === 0 && w2 === 0xffff;
}

/**
 * Prints four big-endian words per RFC 5952: lower case, no leading zeros, the longest run of two or
 * more zero groups compressed (the first on a tie), IPv4-mapped addresses as `::ffff:a.b.c.d`.
 *
 * @example
 * formatIPv6(0x20010db8, 0, 0, 1); // '2001:db8::1'
 */
export function formatIPv6(w0: number, w1: number, w2: number, w3: number): string {
  if (isIPv4MappedWords(w0, w1, w2)) {
    return `::ffff:${w3 >>> 24}.${(w3 >>> 16) & 255}.${(w3 >>> 8) & 255}.${w3 & 255}`;
  }
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let k = 0; k <= 8; k++) {
    if (k < 8 && g[k] === 0) {
      if (runStart < 0) runStart = k;
    } else if (runStart >= 0) {
      if (k - runStart > bestLength) {
        bestStart = runStart;
        bestLength = k - runStart;
      }
      runStart = -1;
    }
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16));
  const tail = g.slice(bestStart + bestLength).map((x) => x.toString(16));
  return `${head.join(':')}::${tail.join(':')}`;
}
