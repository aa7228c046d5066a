/**
 * The fast path of the IPv6 scanner, for the forms addresses arrive in: hex groups separated by
 * colons with at most one `::`, no embedded dotted quad. It reads each character once, allocates
 * nothing and says only yes or no; `scanIPv6` (ipv6.ts) runs it first and takes every other form,
 * and `explain-address-error.ts` words the errors. A property test holds it to the strict scanner:
 * it accepts only what that one accepts, with the same words, and every address without a dot.
 *
 * Most of a scan's time is reading the characters (`charCodeAt`); the strict scanner adds, per
 * character, a range check, a digit count and a mask. Here one table gives each UTF-16 code unit's
 * class (hex value, colon, anything else) and a group is read by at most four unrolled steps.
 */
import { placeIPv6Groups } from './ipv6-groups.js';

/** Class of each UTF-16 code unit: 0–15 a hex digit's value, {@link COLON}, or {@link OTHER}. */
const COLON = 16;
const OTHER = 255;
const CLASS = new Uint8Array(65536).fill(OTHER);
for (let c = 48; c <= 57; c++) CLASS[c] = c - 48;
for (let c = 97; c <= 102; c++) {
  CLASS[c] = c - 87;
  CLASS[c - 32] = c - 87;
}
CLASS[58] = COLON;

/** The longest such address: eight groups of four digits and seven colons. */
const LONGEST = 39;

const groups = new Int32Array(8);

function classAt(text: string, i: number, end: number): number {
  return i < end ? (CLASS[text.charCodeAt(i)] as number) : OTHER;
}

/**
 * Reads all of `text` as an IPv6 address of hex groups (with at most one `::`) into `out` (four
 * big-endian 32-bit words).
 *
 * @returns true when it did (`out` is then filled); false when the text is not such an address,
 * which does not make it invalid (a dotted quad may end it): ask `scanIPv6` then.
 * @example
 * const words = new Uint32Array(4);
 * scanIPv6Plain('2001:db8::1', words); // true; words = [0x20010db8, 0, 0, 1]
 * scanIPv6Plain('::ffff:192.0.2.1', words); // false: scanIPv6 reads it
 */
export function scanIPv6Plain(text: string, out: Uint32Array): boolean {
  const end = text.length;
  if (end < 2 || end > LONGEST) return false;
  let i = 0;
  let count = 0;
  let ellipsis = -1;
  if (text.charCodeAt(0) === 58) {
    // A leading colon is only valid as the start of `::`.
    if (text.charCodeAt(1) !== 58) return false;
    ellipsis = 0;
    i = 2;
  }
  // Each turn reads one group and what follows it; here i < end unless the text is `::`.
  while (i < end) {
    if (count === 8) return false;
    let value: number;
    // `h` ends as the class of the character after the group (OTHER at the end).
    let h: number;
    if (i + 5 <= end) {
      // A group and the character after it (at most five) lie inside the text: no end check per
      // character, which is most of what a character costs besides reading it.
      value = CLASS[text.charCodeAt(i)] as number;
      if (value > 15) return false;
      h = CLASS[text.charCodeAt(++i)] as number;
      if (h <= 15) {
        value = (value << 4) | h;
        h = CLASS[text.charCodeAt(++i)] as number;
        if (h <= 15) {
          value = (value << 4) | h;
          h = CLASS[text.charCodeAt(++i)] as number;
          if (h <= 15) {
            value = (value << 4) | h;
            h = CLASS[text.charCodeAt(++i)] as number;
            // A fifth digit: not a group.
            if (h <= 15) return false;
          }
        }
      }
    } else {
      // Near the end: the same steps, each read checked against the end.
      value = classAt(text, i, end);
      if (value > 15) return false;
      h = classAt(text, ++i, end);
      if (h <= 15) {
        value = (value << 4) | h;
        h = classAt(text, ++i, end);
        if (h <= 15) {
          value = (value << 4) | h;
          h = classAt(text, ++i, end);
          if (h <= 15) {
            value = (value << 4) | h;
            h = classAt(text, ++i, end);
            if (h <= 15) return false;
          }
        }
      }
    }
    groups[count++] = value;
    if (i === end) break;
    if (h !== COLON) return false;
    // A colon must be followed by a group, or be the first of `::`.
    i++;
    if (i === end) return false;
    if (text.charCodeAt(i) === 58) {
      if (ellipsis >= 0) return false;
      ellipsis = count;
      i++;
    }
  }
  return placeIPv6Groups(groups, count, ellipsis, out);
}
