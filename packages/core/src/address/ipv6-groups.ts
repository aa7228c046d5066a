/**
 * The last step of both IPv6 scanners (the strict one and its fast path): the groups read, with the
 * place of the `::` if there was one, made into the address's four 32-bit words.
 */

/**
 * Expands the `::` at group `ellipsis` (-1: none) of the `count` groups in `groups` and writes the
 * address's words to `out`; false when the groups cannot make an address (eight without `::`,
 * at most seven with it). `groups` is used as scratch.
 *
 * @example
 * const groups = Int32Array.of(0x2001, 0xdb8, 7, 0, 0, 0, 0, 0); // `2001:db8::7`, read
 * placeIPv6Groups(groups, 3, 2, out); // true; out = [0x20010db8, 0, 0, 7]
 */
export function placeIPv6Groups(
  groups: Int32Array,
  count: number,
  ellipsis: number,
  out: Uint32Array,
): boolean {
  if (ellipsis < 0) {
    if (count !== 8) return false;
  } else {
    // `::` stands for one or more zero groups (RFC 4291), so at most seven groups are written.
    if (count > 7) return false;
    const tail = count - ellipsis;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k] as number;
    for (let k = ellipsis; k < 8 - tail; k++) groups[k] = 0;
  }
  out[0] = ((groups[0] as number) << 16) | (groups[1] as number);
  out[1] = ((groups[2] as number) << 16) | (groups[3] as number);
  out[2] = ((groups[4] as number) << 16) | (groups[5] as number);
  out[3] = ((groups[6] as number) << 16) | (groups[7] as number);
  return true;
}
