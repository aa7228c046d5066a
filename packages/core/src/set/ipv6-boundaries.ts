import { twoLevel } from './bucket-counts.js';

/**
 * At most 2^18 buckets (about seven boundaries each at a million segments): an index of ~320 KiB, which
 * stays in a 1 MiB second-level cache between lookups, where 2^20 buckets (1.1 MiB) were read from
 * further out. A bucket's boundaries are read in order, so more of them in one bucket cost little.
 */
const MAX_BUCKET_BITS = 18;
/** A bucket holding more boundaries than this is halved before it is read in order. */
const SCAN_MAX = 32;
/**
 * The map has 2^FINER times as many buckets as the index (at most 2^22, one bit each: 512 KiB). Finer
 * maps answer more addresses alone but stay in the cache less: at two bits a bucket, 2^3 and 2^5
 * measured slower than 2^4 at a million entries; at one bit, 2^5 (1 MiB) slower than 2^4.
 */
const FINER = 4;

/**
 * Membership in a large IPv6 table, for `IpSet.has`: the union of the table's segments as one sorted
 * list of 128-bit boundaries, where an address is inside when an odd number of boundaries lie at or
 * below it (each range [s, e] contributes s and e + 1), as `IPv4Boundaries` does for IPv4.
 *
 * Why beside the segments: a lookup in the segments reads a start, then its end, and in a million
 * segments each read is a miss to main memory. Here a bucket index on the bits after those every
 * boundary shares (about four boundaries a bucket, at most 2^18 buckets) points at the bucket's
 * boundaries, stored whole (four words, 16 bytes each) and compared whole: one read into the index,
 * then one or two neighbouring cache lines, with no key that can tie and no second read to settle a tie.
 *
 * The index is a 32-bit count every 2^group buckets and a byte per bucket (bucket-counts.ts).
 *
 * Beside the index, a map of finer buckets (2^FINER per index bucket, one bit each) marks those that
 * hold no boundary and lie outside every segment: an address there is answered from the map and the
 * index alone, which stay in the cache, with no read of the boundaries. Why: that read is a miss to
 * main memory and most of a lookup's time at a million entries, and an address far from every listed
 * one (most callers of an allowlist) usually lands in such a bucket. At a million random entries in
 * 2000::/3 the map's buckets are /25s: 79 % of the benchmark's addresses outside every entry were
 * answered from it (bench/README.md, IpSet part). A bucket lying wholly inside one segment is not
 * marked (an address there reads the boundaries): a second bit for it doubled the map to 1 MiB, and
 * the map and index then no longer stay in the 1 MiB second-level cache together, which cost every
 * lookup more than the few such addresses saved.
 * Smaller keys were tried (32- and 64-bit windows of the boundary with a flag for the bits after them):
 * every address inside a /128, and inside anything narrower than the window, ties with its boundary and
 * needs the whole boundary all the same, which cost more than the memory they saved.
 *
 * It costs 16 bytes a boundary (at most 32 a segment) plus the index, so it is built only for tables
 * large enough to need it; `match` still uses the segments, since it must name the entry.
 */
export class IPv6Boundaries {
  /** Boundary k: its words at 4k..4k+3. */
  private readonly words: Uint32Array;
  private readonly count: number;
  /** The word holding the first bit after the shared ones, and that bit's place in it (0–31). */
  private readonly word: number;
  private readonly bit: number;
  /** A bucket is the top 32 - shift bits after the shared ones. */
  private readonly shift: number;
  /**
   * How many boundaries lie in buckets below b: `groups[b >>> group] + within[b]` (a group is 2^group
   * buckets; `within` counts from the group's first bucket).
   */
  private readonly groups: Uint32Array;
  private readonly within: Uint8Array;
  private readonly group: number;
  /** A map bucket is the top 32 - fineShift bits after the shared ones. */
  private readonly fineShift: number;
  /**
   * Map bucket f at bit f & 31 of word f >>> 5: set when it holds no boundary and lies outside every
   * segment. Only an address in a bucket whose bit is clear reads the boundaries.
   */
  private readonly outs: Uint32Array;

  /**
   * @param segments sorted, disjoint segments (they may touch): segment k's start at words 8k..8k+3,
   *   its last address at 8k+4..8k+7
   * @param n how many segments
   */
  constructor(segments: Uint32Array, n: number) {
    this.words = unionBoundaries(segments, n);
    const count = this.words.length / 4;
    this.count = count;
    // Sorted: the first boundary and the last bound every one, so the bits they share, every one shares.
    const lead = count < 2 ? 0 : sharedBits(this.words, 0, 4 * (count - 1));
    this.word = lead >>> 5;
    this.bit = lead & 31;
    const bits = Math.min(MAX_BUCKET_BITS, Math.max(1, Math.ceil(Math.log2(Math.max(count, 2))) - 2));
    this.shift = 32 - bits;
    const below = new Uint32Array(2 ** bits + 1);
    let j = 0;
    for (let b = 0; b < below.length; b++) {
      while (j < count && this.bucketAt(4 * j, this.shift) < b) j++;
      below[b] = j;
    }
    const fineBits = bits + FINER;
    this.fineShift = 32 - fineBits;
    this.outs = new Uint32Array(((2 ** fineBits) >>> 5) + 1);
    j = 0;
    for (let f = 0; f < 2 ** fineBits; f++) {
      const first = j;
      while (j < count && this.bucketAt(4 * j, this.fineShift) === f) j++;
      // No boundary in it, and an even number below it: outside.
      if (j === first && (first & 1) === 0)
        this.outs[f >>> 5] = (this.outs[f >>> 5] as number) | (1 << (f & 31));
    }
    const { group, groups, within } = twoLevel(below);
    this.group = group;
    this.groups = groups;
    this.within = within;
  }

  /** Bytes held, for memory accounting. */
  get byteLength(): number {
    return this.words.byteLength + this.groups.byteLength + this.within.byteLength + this.outs.byteLength;
  }

  /** Buckets per group of the index, as a power of two (5 unless a group holds over 255 boundaries). */
  get indexGroupBits(): number {
    return this.group;
  }

  /** True when the address (four 32-bit words, most significant first) is inside some segment. */
  has(w0: number, w1: number, w2: number, w3: number): boolean {
    const s = this.words;
    const word = this.word;
    const bit = this.bit;
    // The word after the shared ones (a) and the next (b); an address that differs from the boundaries
    // in the shared bits lies below all of them or above all of them, and its bucket would be another's.
    let a: number;
    let b: number;
    if (word === 0) {
      a = w0;
      b = w1;
    } else if (word === 1) {
      if (w0 !== s[0]) return this.outside(w0, w1, w2, w3);
      a = w1;
      b = w2;
    } else if (word === 2) {
      if (w0 !== s[0] || w1 !== s[1]) return this.outside(w0, w1, w2, w3);
      a = w2;
      b = w3;
    } else {
      if (w0 !== s[0] || w1 !== s[1] || w2 !== s[2]) return this.outside(w0, w1, w2, w3);
      a = w3;
      b = 0;
    }
    if (bit !== 0) {
      if ((a ^ (s[word] as number)) >>> (32 - bit) !== 0) return this.outside(w0, w1, w2, w3);
      a = (a << bit) | (b >>> (32 - bit));
    }
    const fine = a >>> this.fineShift;
    const bucket = a >>> this.shift;
    const groups = this.groups;
    const within = this.within;
    const group = this.group;
    let lo = (groups[bucket >>> group] as number) + (within[bucket] as number);
    let hi = (groups[(bucket + 1) >>> group] as number) + (within[bucket + 1] as number);
    // The index is read before the map's answer is known, not after: the two reads (both usually
    // from the second-level cache) then go on together, where an address the map does not answer
    // waited for one and then the other (bench/README.md, IPv6 session 5).
    if ((((this.outs[fine >>> 5] as number) >>> (fine & 31)) & 1) === 1) return false;
    // First boundary above the address; every one before it is at or below it. The bucket's
    // boundaries are read in order: those reads go forward through one or two cache lines, so the
    // processor starts each before the comparison ahead of it is done, where a halving step's read
    // waits for that comparison. Only a crowded bucket is halved first, down to SCAN_MAX boundaries.
    while (hi - lo > SCAN_MAX) {
      const mid = (lo + hi) >>> 1;
      const o = 4 * mid;
      if (
        ((s[o] as number) - w0 ||
          (s[o + 1] as number) - w1 ||
          (s[o + 2] as number) - w2 ||
          (s[o + 3] as number) - w3) <= 0
      )
        lo = mid + 1;
      else hi = mid;
    }
    while (lo < hi) {
      const o = 4 * lo;
      if (
        ((s[o] as number) - w0 ||
          (s[o + 1] as number) - w1 ||
          (s[o + 2] as number) - w2 ||
          (s[o + 3] as number) - w3) > 0
      )
        break;
      lo++;
    }
    return (lo & 1) === 1;
  }

  /** For an address outside the shared bits: below the first boundary, or above the last. */
  private outside(w0: number, w1: number, w2: number, w3: number): boolean {
    const s = this.words;
    const below =
      ((s[0] as number) - w0 || (s[1] as number) - w1 || (s[2] as number) - w2 || (s[3] as number) - w3) > 0;
    return below ? false : (this.count & 1) === 1;
  }

  /** The bucket of the boundary whose words start at `o`. */
  private bucketAt(o: number, shift: number): number {
    const s = this.words;
    const a = s[o + this.word] as number;
    const b = this.word < 3 ? (s[o + this.word + 1] as number) : 0;
    const top = this.bit === 0 ? a : (a << this.bit) | (b >>> (32 - this.bit));
    return top >>> shift;
  }
}

/** How many leading bits the values at `x` and `y` share (0–128). */
function sharedBits(s: Uint32Array, x: number, y: number): number {
  for (let k = 0; k < 4; k++) {
    const d = (s[x + k] as number) ^ (s[y + k] as number);
    if (d !== 0) return 32 * k + Math.clz32(d);
  }
  return 128;
}

/** The boundaries of the union of the segments: touching ones merge, so each is strictly greater. */
function unionBoundaries(segments: Uint32Array, n: number): Uint32Array {
  const out = new Uint32Array(8 * n);
  const next = new Uint32Array(4);
  let m = 0;
  let k = 0;
  while (k < n) {
    // Word by word: a view per segment (subarray) would allocate a million objects at a million.
    for (let w = 0; w < 4; w++) out[m + w] = segments[8 * k + w] as number;
    m += 4;
    let end = 8 * k + 4;
    k++;
    // The address after the range, unless it reaches the last address of the space.
    let last = !increment(segments, end, next);
    while (!last && k < n && compareAt(segments, 8 * k, next) <= 0) {
      end = 8 * k + 4;
      k++;
      last = !increment(segments, end, next);
    }
    // A range reaching ffff:…:ffff has no boundary after it: it stays inside to the end.
    if (last) break;
    for (let w = 0; w < 4; w++) out[m + w] = next[w] as number;
    m += 4;
  }
  return out.slice(0, m);
}

/** Writes the value at `o` plus one into `into`; false when the value is the last of the space. */
function increment(s: Uint32Array, o: number, into: Uint32Array): boolean {
  let carry = 1;
  for (let k = 3; k >= 0; k--) {
    const v = (s[o + k] as number) + carry;
    into[k] = v;
    carry = v > 0xffffffff ? 1 : 0;
  }
  return carry === 0;
}

function compareAt(s: Uint32Array, o: number, v: Uint32Array): number {
  return (
    (s[o] as number) - (v[0] as number) ||
    (s[o + 1] as number) - (v[1] as number) ||
    (s[o + 2] as number) - (v[2] as number) ||
    (s[o + 3] as number) - (v[3] as number)
  );
}
