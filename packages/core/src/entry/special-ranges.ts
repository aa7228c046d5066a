import type { IpFamily } from '../address/ip-address.js';
import { createEntryBounds, scanEntry } from './scan-entry.js';

/** A block of the IANA special-purpose registries (RFC 6890 and its updates) that allowlists rarely mean. */
export interface SpecialRange {
  readonly family: IpFamily;
  readonly cidr: string;
  readonly purpose: string;
  readonly first: bigint;
  readonly last: bigint;
}

// Platforms tell users to list public static addresses; an entry here is usually a mistake
// (an office LAN address, a documentation example, a loopback copied from a dev machine).
const TABLE: ReadonlyArray<readonly [string, string]> = [
  ['0.0.0.0/8', '"this network"'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared (carrier-grade NAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation (TEST-NET-1)'],
  ['192.88.99.0/24', 'deprecated 6to4 relay anycast'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation (TEST-NET-2)'],
  ['203.0.113.0/24', 'documentation (TEST-NET-3)'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b::/96', 'NAT64'],
  ['64:ff9b:1::/48', 'local-use NAT64'],
  ['100::/64', 'discard-only'],
  ['2001::/23', 'IETF protocol assignments (Teredo, benchmarking, ORCHID)'],
  ['2001:db8::/32', 'documentation'],
  ['2002::/16', '6to4'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'segment routing (SRv6) SIDs'],
  ['fc00::/7', 'unique local (private)'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
];

function toBigInt(words: Uint32Array): bigint {
  return (
    (BigInt(words[0] as number) << 96n) |
    (BigInt(words[1] as number) << 64n) |
    (BigInt(words[2] as number) << 32n) |
    BigInt(words[3] as number)
  );
}

/** The special-purpose blocks, compiled once at load. */
export const specialRanges: readonly SpecialRange[] = TABLE.map(([cidr, purpose]) => {
  const bounds = createEntryBounds();
  const error = scanEntry(cidr, bounds);
  if (error !== undefined) throw error;
  return { family: bounds.family, cidr, purpose, first: toBigInt(bounds.first), last: toBigInt(bounds.last) };
});

/**
 * The special-purpose blocks that share any address with `first..last`.
 *
 * @example
 * specialRangesOverlapping(4, 0x0a000001n, 0x0a000001n)[0]?.cidr; // '10.0.0.0/8'
 */
export function specialRangesOverlapping(family: IpFamily, first: bigint, last: bigint): SpecialRange[] {
  return specialRanges.filter((r) => r.family === family && r.first <= last && first <= r.last);
}
