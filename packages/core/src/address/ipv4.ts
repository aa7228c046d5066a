/**
 * Strict IPv4: exactly four decimal parts 0–255, no leading zeros, nothing else.
 *
 * Every looser form (`127.1`, `0x7f.0.0.1`, `010.0.0.1`, `2130706433`) is rejected because
 * inet_aton, WHATWG URL and many libraries read them as *other* addresses; an allowlist that
 * disagrees with the software behind it is a bypass (CVE-2021-28918, CVE-2023-42282).
 */

/**
 * Scans `text[start, end)` as a strict dotted quad.
 *
 * @returns the address as an unsigned 32-bit number, or -1 when the text is not a strict dotted quad.
 * @example
 * scanIPv4('192.0.2.1', 0, 9); // 3221225985
 * scanIPv4('127.1', 0, 5); // -1
 */
export function scanIPv4(text: string, start: number, end: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // A second digit after a leading 0 is an octal-looking part: refuse.
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + part;
}

/**
 * Prints an unsigned 32-bit number as a dotted quad.
 *
 * @example
 * formatIPv4(3221225985); // '192.0.2.1'
 */
export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}
