/**
 * The IPv4 half of a compiled set: disjoint segments in typed arrays, searched by binary search.
 *
 * Large tables add an index on the top 16 bits of the address, so a lookup in a million segments
 * binary-searches a bucket of a few dozen instead of the whole table. 12 bytes a segment,
 * plus 256 KiB for the index.
 */
const INDEX_FROM = 4096;

export class IPv4Table {
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly owners: Int32Array;
  private readonly buckets: Uint32Array | undefined;

  constructor(starts: ArrayLike<number>, ends: ArrayLike<number>, owners: ArrayLike<number>) {
    this.starts = Uint32Array.from(starts);
    this.ends = Uint32Array.from(ends);
    this.owners = Int32Array.from(owners);
    this.buckets = this.starts.length >= INDEX_FROM ? buildBuckets(this.starts) : undefined;
  }

  get size(): number {
    return this.starts.length;
  }

  /** The segment holding `value` (unsigned 32-bit), or -1. */
  find(value: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    const buckets = this.buckets;
    if (buckets !== undefined) {
      const b = value >>> 16;
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

function buildBuckets(starts: Uint32Array): Uint32Array {
  // buckets[b] = how many segments start below b * 65536.
  const buckets = new Uint32Array(65537);
  let j = 0;
  for (let b = 0; b <= 65536; b++) {
    const bound = b * 65536;
    while (j < starts.length && (starts[j] as number) < bound) j++;
    buckets[b] = j;
  }
  return buckets;
}
