import { IpAddress, type IpFamily } from '../address/ip-address.js';
import { cidrCover } from '../entry/cidr-cover.js';

/** An inclusive range of one family, as bigints. */
export interface AddressRange {
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
}

const MAX: Record<IpFamily, bigint> = { 4: 0xffffffffn, 6: (1n << 128n) - 1n };

/**
 * Sorts and merges overlapping or adjacent ranges.
 *
 * @example mergeRanges([{ family: 4, first: 0n, last: 9n }, { family: 4, first: 10n, last: 20n }]); // one range 0..20
 */
export function mergeRanges(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => a.family - b.family || cmp(a.first, b.first));
  const out: AddressRange[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.family === r.family && r.first <= prev.last + 1n) {
      if (r.last > prev.last) out[out.length - 1] = { family: prev.family, first: prev.first, last: r.last };
    } else {
      out.push(r);
    }
  }
  return out;
}

/** The addresses in both lists; each list sorted and merged. */
export function intersectRanges(a: readonly AddressRange[], b: readonly AddressRange[]): AddressRange[] {
  const out: AddressRange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x.family !== y.family) {
      if (x.family < y.family) i++;
      else j++;
      continue;
    }
    const first = x.first > y.first ? x.first : y.first;
    const last = x.last < y.last ? x.last : y.last;
    if (first <= last) out.push({ family: x.family, first, last });
    if (x.last < y.last) i++;
    else j++;
  }
  return out;
}

/** Every address of both families that is not in the (sorted, merged) list. */
export function complementRanges(ranges: readonly AddressRange[]): AddressRange[] {
  const out: AddressRange[] = [];
  for (const family of [4, 6] as const) {
    let next = 0n;
    for (const r of ranges) {
      if (r.family !== family) continue;
      if (r.first > next) out.push({ family, first: next, last: r.first - 1n });
      next = r.last + 1n;
    }
    if (next <= MAX[family]) out.push({ family, first: next, last: MAX[family] });
  }
  return out;
}

/**
 * The shortest entry text for a range: an address, a CIDR, or a dash range.
 *
 * @example rangeToText({ family: 4, first: 0n, last: 255n }); // '0.0.0.0/24'
 */
export function rangeToText(r: AddressRange): string {
  const first = IpAddress.fromBigInt(r.family, r.first).toString();
  if (r.first === r.last) return first;
  const cover = cidrCover(r.family, r.first, r.last);
  if (cover.length === 1) return cover[0]!;
  return `${first}-${IpAddress.fromBigInt(r.family, r.last).toString()}`;
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
