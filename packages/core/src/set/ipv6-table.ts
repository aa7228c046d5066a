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
 */
export class IPv6Table implements IPv6Lookup {
  private readonly starts: Uint32Array;
  private readonly ends: Uint32Array;
  private readonly keys: Float64Array;
  /** How many leading words all segments share (0–2), and those words. */
  private readonly keyWord: number;
  private readonly shared0: number;
  private readonly shared1: number;
  /** For large tables: how many segments start below each value of the key word's top 16 bits. */
  private readonly buckets: Uint32Array | undefined;
  readonly owners: Int32Array;

  constructor(starts: readonly bigint[], ends: readonly bigint[], owners: readonly number[]) {
    this.starts = toWords(starts);
    this.ends = toWords(ends);
    this.owners = Int32Array.from(owners);
    const n = owners.length;
    let keyWord = 0;
    if (n > 0) {
      const s = this.starts;
      const e = this.ends;
      const sameWord = (w: number): boolean => {
        const first = s[w] as number;
        for (let k = 0; k < n; k++) if (s[4 * k + w] !== first || e[4 * k + w] !== first) return false;
        return true;
      };
      while (keyWord < 2 && sameWord(keyWord)) keyWord++;
    }
    this.keyWord = keyWord;
    this.shared0 = n > 0 ? (this.starts[0] as number) : 0;
    this.shared1 = n > 0 ? (this.starts[1] as number) : 0;
    this.keys = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const o = 4 * k + keyWord;
      this.keys[k] = keyOf(this.starts[o] as number, this.starts[o + 1] as number);
    }
    this.buckets = n >= INDEX_FROM ? buildBuckets(this.starts, keyWord, n) : undefined;
  }

  get size(): number {
    return this.owners.length;
  }

  /** The segment holding the address, or -1. */
  find(w0: number, w1: number, w2: number, w3: number): number {
    const s = this.starts;
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
    const key = keyOf(a, b);
    let lo = 0;
    let hi = this.owners.length - 1;
    const buckets = this.buckets;
    if (buckets !== undefined) {
      const bucket = a >>> 16;
      lo = buckets[bucket] as number;
      hi = (buckets[bucket + 1] as number) - 1;
    }
    // Last segment with start <= address; one starting in an earlier bucket may reach into this one.
    let found = lo - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid] as number;
      if (k < key || (k === key && compare(s, mid * 4, w0, w1, w2, w3) <= 0)) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && compare(this.ends, found * 4, w0, w1, w2, w3) >= 0 ? found : -1;
  }

  ownerAt(segment: number): number {
    return this.owners[segment] as number;
  }

  /** Segment bounds as bigints, for set algebra. */
  bounds(index: number): [bigint, bigint] {
    return [fromWords(this.starts, index * 4), fromWords(this.ends, index * 4)];
  }
}

/** 53 bits (one word and the high 21 bits of the next), exact in a double. */
function keyOf(a: number, b: number): number {
  return (a >>> 0) * 2097152 + (b >>> 11);
}

function buildBuckets(starts: Uint32Array, keyWord: number, n: number): Uint32Array {
  const buckets = new Uint32Array(65537);
  let j = 0;
  for (let b = 0; b <= 65536; b++) {
    while (j < n && (starts[4 * j + keyWord] as number) >>> 16 < b) j++;
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

function toWords(values: readonly bigint[]): Uint32Array {
  const words = new Uint32Array(values.length * 4);
  for (let k = 0; k < values.length; k++) {
    const v = values[k] as bigint;
    words[4 * k] = Number((v >> 96n) & M32);
    words[4 * k + 1] = Number((v >> 64n) & M32);
    words[4 * k + 2] = Number((v >> 32n) & M32);
    words[4 * k + 3] = Number(v & M32);
  }
  return words;
}

function fromWords(a: Uint32Array, o: number): bigint {
  return (
    (BigInt(a[o] as number) << 96n) |
    (BigInt(a[o + 1] as number) << 64n) |
    (BigInt(a[o + 2] as number) << 32n) |
    BigInt(a[o + 3] as number)
  );
}
