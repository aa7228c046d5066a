/**
 * Binary search over address ranges kept as sorted typed arrays, shared by the ASN and country
 * tables: IPv4 ranges by their 32-bit bounds, IPv6 ranges by the top 64 bits of their bounds as two
 * 32-bit words (high, low) per range. No allocation; a few hundred nanoseconds at a million ranges.
 */

/**
 * The index of the IPv4 range holding `address` (its 32 bits, unsigned), or -1.
 *
 * @example v4RangeIndex(Uint32Array.of(10, 20), Uint32Array.of(15, 25), 12); // 0
 */
export function v4RangeIndex(start: Uint32Array, end: Uint32Array, address: number): number {
  let lo = 0;
  let hi = start.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((start[mid] as number) <= address) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi >= 0 && address <= (end[hi] as number) ? hi : -1;
}

/**
 * The index of the IPv6 range holding the address whose top 64 bits are `high`, `low` (unsigned), or -1.
 *
 * @example v6RangeIndex(Uint32Array.of(0x20010db8, 0), Uint32Array.of(0x20010db8, 0xffffffff), 0x20010db8, 7); // 0
 */
export function v6RangeIndex(start: Uint32Array, end: Uint32Array, high: number, low: number): number {
  let lo = 0;
  let hi = (start.length >>> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const sh = start[2 * mid] as number;
    if (sh < high || (sh === high && (start[2 * mid + 1] as number) <= low)) lo = mid + 1;
    else hi = mid - 1;
  }
  if (hi < 0) return -1;
  const eh = end[2 * hi] as number;
  return high < eh || (high === eh && low <= (end[2 * hi + 1] as number)) ? hi : -1;
}
