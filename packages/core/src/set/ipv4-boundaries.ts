/**
 * Membership in a large IPv4 table, for `IpSet.has`: the union of the table's segments as one
 * sorted list of boundaries, where an address is inside when an odd number of boundaries lie at or
 * below it (each range [s, e] contributes s and e + 1).
 *
 * Why a second structure beside the segments: a lookup in the segments reads the starts to find the
 * candidate and then its end, two dependent reads from different arrays that each miss the cache in a
 * table of a million entries. Here the boundaries are bucketed by their top 16 bits and only the low
 * 16 bits are stored, so a bucket (about 30 boundaries for a million random entries) is some 60 bytes:
 * one read into the bucket index (256 KiB, which stays in cache) and one cache line of boundaries.
 * It costs 2 bytes per boundary (at most 4 per segment) plus the index, so it is built only for tables
 * large enough to need it; `match` still uses the segments, since it must name the entry.
 */
export class IPv4Boundaries {
  /** buckets[b] = how many boundaries lie below b * 65536. */
  private readonly buckets: Uint32Array;
  /** The boundaries' low 16 bits, in order. */
  private readonly lows: Uint16Array;

  /**
   * @param starts sorted segment starts (unsigned 32-bit); segments are disjoint and may touch
   * @param ends each segment's last address
   */
  constructor(starts: ArrayLike<number>, ends: ArrayLike<number>) {
    const bounds = unionBoundaries(starts, ends);
    this.lows = new Uint16Array(bounds.length);
    for (let k = 0; k < bounds.length; k++) this.lows[k] = (bounds[k] as number) & 0xffff;
    this.buckets = new Uint32Array(65537);
    let j = 0;
    for (let b = 0; b <= 65536; b++) {
      const below = b * 65536;
      while (j < bounds.length && (bounds[j] as number) < below) j++;
      this.buckets[b] = j;
    }
  }

  /** Bytes held, for memory accounting. */
  get byteLength(): number {
    return this.lows.byteLength + this.buckets.byteLength;
  }

  /** True when `value` (unsigned 32-bit) is inside some segment. */
  has(value: number): boolean {
    const b = value >>> 16;
    let lo = this.buckets[b] as number;
    let hi = this.buckets[b + 1] as number;
    const low = value & 0xffff;
    const lows = this.lows;
    // First boundary in the bucket above `low`; every boundary before it is at or below `value`.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((lows[mid] as number) <= low) lo = mid + 1;
      else hi = mid;
    }
    return (lo & 1) === 1;
  }
}

/** The boundaries of the union of sorted, disjoint segments: touching ones merge, so each is strictly greater. */
function unionBoundaries(starts: ArrayLike<number>, ends: ArrayLike<number>): Float64Array {
  const out = new Float64Array(2 * starts.length);
  let n = 0;
  let k = 0;
  while (k < starts.length) {
    const start = starts[k] as number;
    let end = ends[k] as number;
    k++;
    while (k < starts.length && (starts[k] as number) <= end + 1) {
      end = Math.max(end, ends[k] as number);
      k++;
    }
    out[n++] = start;
    // A range reaching 255.255.255.255 has no boundary after it: it stays inside to the end.
    if (end < 0xffffffff) out[n++] = end + 1;
  }
  return out.subarray(0, n);
}
