/**
 * The IPv4 half of a compiled set: disjoint segments in typed arrays, searched by binary search.
 *
 * Tables of 32 segments or more add an index on the top bits of the address, so a lookup in a million
 * segments binary-searches a bucket of a few dozen instead of the whole table. The index has about one
 * bucket per segment (the top ceil(log2 n) bits), and from 4096 segments on always the top 16 bits:
 * 12 bytes a segment, plus at most 256 KiB for the index. Without it, a thousand segments cost a
 * ten-step search whose branches the processor cannot predict: slower than a million with the index.
 * From 4096 segments on, membership (`contains`, for `IpSet.has`) has its own structure as well.
 */
import { IPv4Boundaries } from './ipv4-boundaries.js';
import type { IPv4Lookup } from './small-tables.js';

const INDEX_FROM = 32;
const FULL_INDEX_FROM = 4096;

export class IPv4Table implements IPv4Lookup {
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly owners: Int32Array;
  private readonly buckets: Uint32Array | undefined;
  /** A value's bucket is `value >>> shift`. */
  private readonly shift: number;
  /** Membership alone, for large tables (see IPv4Boundaries); smaller ones answer from `find`. */
  private readonly boundaries: IPv4Boundaries | undefined;

  constructor(starts: ArrayLike<number>, ends: ArrayLike<number>, owners: ArrayLike<number>) {
    // Typed arrays are taken as they are (a compiled set hands over ones it made for this table alone).
    this.starts = starts instanceof Uint32Array ? starts : Uint32Array.from(starts);
    this.ends = ends instanceof Uint32Array ? ends : Uint32Array.from(ends);
    this.owners = owners instanceof Int32Array ? owners : Int32Array.from(owners);
    const n = this.starts.length;
    const bits = n >= FULL_INDEX_FROM ? 16 : Math.ceil(Math.log2(Math.max(n, 1)));
    this.shift = 32 - bits;
    this.buckets = n >= INDEX_FROM ? buildBuckets(this.starts, bits) : undefined;
    this.boundaries = n >= FULL_INDEX_FROM ? new IPv4Boundaries(this.starts, this.ends) : undefined;
  }

  /** True when some segment holds `value` (unsigned 32-bit). */
  contains(value: number): boolean {
    const boundaries = this.boundaries;
    return boundaries === undefined ? this.find(value) !== -1 : boundaries.has(value);
  }

  get size(): number {
    return this.starts.length;
  }

  startAt(segment: number): number {
    return this.starts[segment] as number;
  }

  endAt(segment: number): number {
    return this.ends[segment] as number;
  }

  ownerAt(segment: number): number {
    return this.owners[segment] as number;
  }

  /** The segment holding `value` (unsigned 32-bit), or -1. */
  find(value: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    const buckets = this.buckets;
    if (buckets !== undefined) {
      const b = value >>> this.shift;
      lo = buckets[b] as number;
      hi = (buckets[b + 1] as number) - 1;
    }
    // Last segment with start <= value; a segment starting in an earlier bucket may reach into this one.
    let found = lo - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((starts[mid] as number) <= value) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && value <= (this.ends[found] as number) ? found : -1;
  }
}

function buildBuckets(starts: Uint32Array, bits: number): Uint32Array {
  // buckets[b] = how many segments start below b * 2^(32 - bits).
  const count = 2 ** bits;
  const width = 2 ** (32 - bits);
  const buckets = new Uint32Array(count + 1);
  let j = 0;
  for (let b = 0; b <= count; b++) {
    const bound = b * width;
    while (j < starts.length && (starts[j] as number) < bound) j++;
    buckets[b] = j;
  }
  return buckets;
}
