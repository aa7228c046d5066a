import { IpAddress, type IpFamily } from '../address/ip-address.js';

/**
 * The fewest CIDR blocks whose union is exactly `first..last`.
 *
 * A range of n bits needs at most 2n blocks, so this is cheap even for the widest range.
 *
 * @example
 * cidrCover(4, 0xc0a8000an, 0xc0a80014n); // ['192.168.0.10/31', '192.168.0.12/30', '192.168.0.16/30', '192.168.0.20/32']
 */
export function cidrCover(family: IpFamily, first: bigint, last: bigint): string[] {
  const bits = family === 4 ? 32 : 128;
  const blocks: string[] = [];
  let start = first;
  while (start <= last) {
    // The largest block aligned at `start` that does not pass `last`.
    let size = start === 0n ? 1n << BigInt(bits) : start & -start;
    while (start + size - 1n > last) size >>= 1n;
    const length = bits - (size.toString(2).length - 1);
    blocks.push(`${IpAddress.fromBigInt(family, start).toString()}/${length}`);
    start += size;
  }
  return blocks;
}
