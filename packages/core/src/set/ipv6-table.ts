import { type BucketCounts, twoLevel } from './bucket-counts.js';
import { IPv6Boundaries } from './ipv6-boundaries.js';
import type { IPv6Lookup } from './small-tables.js';

const M32 = 0xffffffffn;
const INDEX_FROM = 4096;

/**
 * The IPv6 half of a compiled set: disjoint segments as four 32-bit words each, searched by binary search
 * (no bigint on the request path).
 *
 * Beside the words, each start keeps 53 of its bits as one double: the bits right after the words that
 * every segment shares (lists often sit in one /32). That key orders like the full address (never
 * against it), so most search steps are a single double comparison, and the four-word comparison runs
 * only when two keys tie. A query outside the shared words is outside every segment.
 *
 * A lookup in a large table is a few dependent reads, each a cache miss once the table outgrows the
 * cache (52 bytes a segment: 52 MB at a million), so the layout is arranged for few of them:
 * - the bucket index is taken from the bits after the leading bits every segment shares, not from the
 *   top bits of the key word: a list in 2000::/3 (global unicast, what real lists hold) then fills every
 *   bucket instead of one in eight. Up to 2^18 buckets, about four segments each, so a bucket's keys
 *   are one or two cache lines where they were ~120 keys (~16 lines) at a million segments; the counts
 *   are a byte a bucket plus a 32-bit count every 32 (bucket-counts.ts: 288 KiB, where a 32-bit count
 *   a bucket took 1 MiB), as the index read is on every lookup's path;
 * - each segment's end has a key too, beside its start's: the end's words are read only when the
 *   address's key ties with it (a segment narrower than its key, such as a /128), not on every lookup;
 * - each segment's start and end words sit side by side (32 bytes), so a lookup that must compare both
 *   reads one cache line, not two.
 *
 * From 4096 segments on, membership (`contains`, for `IpSet.has`) has its own structure as well
 * (ipv6-boundaries.ts): a map in the cache that answers most addresses far from every entry, else one
 * index read and one cache line where this search reads two or three.
 */
export class IPv6Table implements IPv6Lookup {
  /** Segment k: start words at 8k..8k+3, end words at 8k+4..8k+7. */
  private readonly bounds8: Uint32Array;
  /** Segment k: the key of its start at 2k, of its end at 2k + 1. */
  private readonly keys: Float64Array;
  /** How many leading words all segments share (0–2), and those words. */
  private readonly keyWord: number;
  private readonly shared0: number;
  private readonly shared1: number;
  /** How many leading bits of the key word all segments share (0–31): the bucket is taken after them. */
  private readonly lead: number;
  /** Those bits, for `lead` > 0. */
  private readonly leadBits: number;
  /** A bucket is the top 32 - shift bits after the shared ones. */
  private readonly shift: number;
  /** For large tables: how many segments start below each bucket. */
  private readonly buckets: BucketCounts | undefined;
  /** Membership alone, for large tables; smaller ones answer from `find`. */
  private readonly boundaries: IPv6Boundaries | undefined;
  readonly owners: Int32Array;

  constructor(starts: readonly bigint[], ends: readonly bigint[], owners: readonly number[]) {
    const n = owners.length;
    const words = new Uint32Array(n * 8);
    for (let k = 0; k < n; k++) {
      writeWords(words, 8 * k, starts[k] as bigint);
      writeWords(words, 8 * k + 4, ends[k] as bigint);
    }
    this.bounds8 = words;
    this.owners = Int32Array.from(owners);
    let keyWord = 0;
    if (n > 0) {
      const sameWord = (w: number): boolean => {
        const first = words[w] as number;
        for (let k = 0; k < n; k++)
          if (words[8 * k + w] !== first || words[8 * k + 4 + w] !== first) return false;
        return true;
      };
      while (keyWord < 2 && sameWord(keyWord)) keyWord++;
    }
    this.keyWord = keyWord;
    this.shared0 = n > 0 ? (words[0] as number) : 0;
    this.shared1 = n > 0 ? (words[1] as number) : 0;
    // Sorted and disjoint: the first start and the last end bound every segment, so the bits they
    // share, every segment shares.
    this.lead =
      n > 0
        ? Math.min(31, Math.clz32((words[keyWord] as number) ^ (words[8 * (n - 1) + 4 + keyWord] as number)))
        : 0;
    this.leadBits = this.lead > 0 ? (words[keyWord] as number) >>> (32 - this.lead) : 0;
    this.keys = new Float64Array(2 * n);
    for (let k = 0; k < n; k++) {
      const o = 8 * k + keyWord;
      this.keys[2 * k] = keyOf(words[o] as number, words[o + 1] as number);
      this.keys[2 * k + 1] = keyOf(words[o + 4] as number, words[o + 5] as number);
    }
    // About four segments a bucket (one or two cache lines of keys), from 2^16 buckets up to 2^18.
    this.shift = 32 - Math.min(18, Math.max(16, Math.ceil(Math.log2(Math.max(n, 1))) - 2));
    this.buckets =
      n >= INDEX_FROM ? twoLevel(buildBuckets(words, keyWord, this.lead, this.shift, n)) : undefined;
    this.boundaries = n >= INDEX_FROM ? new IPv6Boundaries(words, n) : undefined;
  }

  /** True when some segment holds the address. */
  contains(w0: number, w1: number, w2: number, w3: number): boolean {
    const boundaries = this.boundaries;
    return boundaries === undefined ? this.find(w0, w1, w2, w3) !== -1 : boundaries.has(w0, w1, w2, w3);
  }

  get size(): number {
    return this.owners.length;
  }

  /** The segment holding the address, or -1. */
  find(w0: number, w1: number, w2: number, w3: number): number {
    const s = this.bounds8;
    const keys = this.keys;
    let a: number;
    let b: number;
    if (this.keyWord === 0) {
      a = w0;
      b = w1;
    } else if (this.keyWord === 1) {
      if (w0 !== this.shared0) return -1;
      a = w1;
      b = w2;
    } else {
      if (w0 !== this.shared0 || w1 !== this.shared1) return -1;
      a = w2;
      b = w3;
    }
    // Outside the bits every segment shares, outside every segment (and the bucket below would be
    // another address's: its search could end at a segment starting above this address).
    if (this.lead > 0 && a >>> (32 - this.lead) !== this.leadBits) return -1;
    const key = keyOf(a, b);
    let lo = 0;
    let hi = this.owners.length - 1;
    const buckets = this.buckets;
    if (buckets !== undefined) {
      const bucket = bucketOf(a, b, this.lead, this.shift);
      const { group, groups, within } = buckets;
      lo = (groups[bucket >>> group] as number) + (within[bucket] as number);
      hi = (groups[(bucket + 1) >>> group] as number) + (within[bucket + 1] as number) - 1;
    }
    // Last segment with start <= address; one starting in an earlier bucket may reach into this one.
    let found = lo - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[2 * mid] as number;
      if (k < key || (k === key && compare(s, mid * 8, w0, w1, w2, w3) <= 0)) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return -1;
    // The end's key decides unless it ties with the address's; only then are the end's words read.
    const endKey = keys[2 * found + 1] as number;
    if (key !== endKey) return key < endKey ? found : -1;
    return compare(s, found * 8 + 4, w0, w1, w2, w3) >= 0 ? found : -1;
  }

  ownerAt(segment: number): number {
    return this.owners[segment] as number;
  }

  /** Segment bounds as bigints, for set algebra. */
  bounds(index: number): [bigint, bigint] {
    return [fromWords(this.bounds8, index * 8), fromWords(this.bounds8, index * 8 + 4)];
  }
}

/**
 * The bucket of a key word `a` (followed by word `b`): the 32 - `shift` bits after its `lead` leading bits. An
 * address outside the segments' shared bits lands in some bucket all the same; its search then ends
 * at a segment that does not hold it.
 */
function bucketOf(a: number, b: number, lead: number, shift: number): number {
  const top = lead === 0 ? a : (a << lead) | (b >>> (32 - lead));
  return top >>> shift;
}

/** 53 bits (one word and the high 21 bits of the next), exact in a double. */
function keyOf(a: number, b: number): number {
  return (a >>> 0) * 2097152 + (b >>> 11);
}

function buildBuckets(
  words: Uint32Array,
  keyWord: number,
  lead: number,
  shift: number,
  n: number,
): Uint32Array {
  const count = 2 ** (32 - shift);
  const buckets = new Uint32Array(count + 1);
  let j = 0;
  for (let b = 0; b <= count; b++) {
    while (
      j < n &&
      bucketOf(words[8 * j + keyWord] as number, words[8 * j + keyWord + 1] as number, lead, shift) < b
    )
      j++;
    buckets[b] = j;
  }
  return buckets;
}

function compare(a: Uint32Array, o: number, w0: number, w1: number, w2: number, w3: number): number {
  return (
    (a[o] as number) - w0 ||
    (a[o + 1] as number) - w1 ||
    (a[o + 2] as number) - w2 ||
    (a[o + 3] as number) - w3
  );
}

function writeWords(words: Uint32Array, o: number, v: bigint): void {
  words[o] = Number((v >> 96n) & M32);
  words[o + 1] = Number((v >> 64n) & M32);
  words[o + 2] = Number((v >> 32n) & M32);
  words[o + 3] = Number(v & M32);
}

function fromWords(a: Uint32Array, o: number): bigint {
  return (
    (BigInt(a[o] as number) << 96n) |
    (BigInt(a[o + 1] as number) << 64n) |
    (BigInt(a[o + 2] as number) << 32n) |
    BigInt(a[o + 3] as number)
  );
}
