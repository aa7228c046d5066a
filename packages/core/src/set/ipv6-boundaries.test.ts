import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigintKeys, buildSegments } from './build-segments.js';
import { IPv6Boundaries } from './ipv6-boundaries.js';

const MAX6 = (1n << 128n) - 1n;
const M32 = 0xffffffffn;

function words(v: bigint): [number, number, number, number] {
  return [Number((v >> 96n) & M32), Number((v >> 64n) & M32), Number((v >> 32n) & M32), Number(v & M32)];
}

/** The segments of possibly overlapping ranges, as the table hands them over: eight words each. */
function segmentsOf(ranges: readonly (readonly [bigint, bigint])[]): { words: Uint32Array; n: number } {
  const s = buildSegments(
    ranges.map((r) => r[0]),
    ranges.map((r) => r[1]),
    ranges.map((_, k) => k),
    ranges.length,
    bigintKeys,
  );
  const out = new Uint32Array(8 * s.starts.length);
  s.starts.forEach((v, k) => {
    out.set(words(v), 8 * k);
    out.set(words(s.ends[k] as bigint), 8 * k + 4);
  });
  return { words: out, n: s.starts.length };
}

function has(b: IPv6Boundaries, q: bigint): boolean {
  const [w0, w1, w2, w3] = words(q);
  return b.has(w0, w1, w2, w3);
}

/**
 * Ranges in a window of 2^bits addresses at `base`: single addresses, short ranges, aligned networks,
 * ranges that start right after the one before (touching), and ranges reaching the window's ends.
 */
const window = fc
  .record({
    bits: fc.constantFrom(6, 20, 31, 32, 33, 64, 95, 97, 125, 128),
    base: fc.bigInt({ min: 0n, max: MAX6 }),
    atEnd: fc.constantFrom('low', 'high', 'any'),
  })
  .map(({ bits, base, atEnd }) => {
    const span = 1n << BigInt(bits);
    const lowest = atEnd === 'low' ? 0n : atEnd === 'high' ? MAX6 - span + 1n : (base / span) * span;
    return { bits, span, from: lowest };
  });

const pick = (span: bigint, bits: number) =>
  fc.tuple(
    fc.bigInt({ min: 0n, max: span - 1n }),
    fc.constantFrom('single', 'short', 'network', 'touching', 'to-end'),
    fc.integer({ min: 0, max: bits }),
  );

describe('IPv6Boundaries', () => {
  it('has() agrees with a linear scan of the ranges, at their bounds and around them', () => {
    let inside = 0;
    let outside = 0;
    fc.assert(
      fc.property(
        window.chain((w) =>
          fc.tuple(
            fc.constant(w),
            fc.array(pick(w.span, w.bits), { minLength: 1, maxLength: 60 }),
            fc.array(fc.bigInt({ min: 0n, max: w.span - 1n }), { maxLength: 20 }),
            // Anywhere: mostly outside the window, where the bits every boundary shares differ.
            fc.array(fc.bigInt({ min: 0n, max: MAX6 }), { maxLength: 10 }),
          ),
        ),
        ([w, picks, random, anywhere]) => {
          const ranges: [bigint, bigint][] = [];
          const last = w.from + w.span - 1n;
          for (const [offset, kind, hostBits] of picks) {
            const host = BigInt(hostBits);
            const previous = ranges.at(-1);
            let lo = w.from + offset;
            let hi = lo;
            if (kind === 'short') hi = lo + 3n;
            else if (kind === 'network') {
              lo = w.from + ((offset >> host) << host);
              hi = lo + (1n << host) - 1n;
            } else if (kind === 'touching' && previous !== undefined && previous[1] < last) {
              lo = previous[1] + 1n;
              hi = lo + (offset % 5n);
            } else if (kind === 'to-end') hi = last;
            ranges.push([lo, hi > last ? last : hi]);
          }
          const { words: segments, n } = segmentsOf(ranges);
          const b = new IPv6Boundaries(segments, n);
          const queries = new Set<bigint>([0n, 1n, MAX6 - 1n, MAX6, w.from - 1n, last + 1n]);
          for (const [lo, hi] of ranges)
            for (const q of [lo - 1n, lo, lo + 1n, hi - 1n, hi, hi + 1n]) queries.add(q);
          for (const q of random) queries.add(w.from + q);
          for (const q of anywhere) queries.add(q);
          for (const q of random) queries.add(w.from - 1n - (q % 1024n)).add(last + 1n + (q % 1024n));
          for (const q of queries) {
            if (q < 0n || q > MAX6) continue;
            const expected = ranges.some(([lo, hi]) => lo <= q && q <= hi);
            expect(
              has(b, q),
              `${q.toString(16)} in ${JSON.stringify(ranges.map((r) => r.map((v) => v.toString(16))))}`,
            ).toBe(expected);
            if (expected) inside++;
            else outside++;
          }
        },
      ),
      { numRuns: 400 },
    );
    // The queries must land on both sides of the boundaries, or the property says little.
    expect(inside).toBeGreaterThan(2000);
    expect(outside).toBeGreaterThan(2000);
  });

  it('a range reaching the last address has no boundary after it; one from the first address, none before', () => {
    const s = segmentsOf([
      [0n, 5n],
      [MAX6 - 3n, MAX6],
    ]);
    const b = new IPv6Boundaries(s.words, s.n);
    expect([0n, 5n, 6n, MAX6 - 4n, MAX6 - 3n, MAX6].map((q) => has(b, q))).toEqual([
      true,
      true,
      false,
      false,
      true,
      true,
    ]);
    const all = segmentsOf([[0n, MAX6]]);
    const whole = new IPv6Boundaries(all.words, all.n);
    expect([0n, 1n << 127n, MAX6].map((q) => has(whole, q))).toEqual([true, true, true]);
  });

  it('an empty table holds nothing', () => {
    const b = new IPv6Boundaries(new Uint32Array(0), 0);
    expect([0n, 1n << 127n, MAX6].map((q) => has(b, q))).toEqual([false, false, false]);
  });

  it('touching segments of different entries make one range: 16 bytes for each of its two boundaries', () => {
    // Three touching segments, then one apart: boundaries 0, 30, 40, 41.
    const s = segmentsOf([
      [0n, 9n],
      [10n, 19n],
      [20n, 29n],
      [40n, 40n],
    ]);
    expect(s.n).toBe(4);
    const b = new IPv6Boundaries(s.words, s.n);
    // And an index of 2^1 + 1 buckets: one 32-bit count for their one group, a byte for each bucket;
    // and a map of 2^5 buckets, one bit each, in two words.
    expect(b.byteLength).toBe(4 * 16 + 4 + 3 + 2 * 4);
    expect([29n, 30n, 39n, 40n, 41n].map((q) => has(b, q))).toEqual([true, false, false, true, false]);
  });

  it('map buckets wholly inside a segment answer inside, those in a gap outside', () => {
    // One range over the middle half of the space, 60 single addresses in its lower quarter: the map's
    // buckets inside the range hold no boundary and are not marked outside, so an address there reads
    // the boundaries and must still be inside; the top quarter holds nothing and is marked outside.
    const singles: [bigint, bigint][] = [];
    for (let k = 1n; k <= 60n; k++) singles.push([k << 110n, k << 110n]);
    const { words, n } = segmentsOf([...singles, [1n << 126n, (3n << 126n) - 1n]]);
    const b = new IPv6Boundaries(words, n);
    for (let k = 0n; k < 128n; k++) {
      const inside = (1n << 126n) + k * (1n << 120n) + 12345n;
      expect(has(b, inside), inside.toString(16)).toBe(true);
      const above = (3n << 126n) + k * (1n << 119n) + 12345n;
      expect(has(b, above), above.toString(16)).toBe(false);
    }
    expect([(1n << 126n) - 1n, 1n << 126n, (3n << 126n) - 1n, 3n << 126n].map((q) => has(b, q))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it('crowded buckets narrow the index groups, and has() still agrees with a linear scan', () => {
    const groupBits = new Set<number>();
    fc.assert(
      fc.property(
        // Clusters of single addresses (every other address, so none touch) far apart in the space,
        // so that one bucket, or a few of one group, hold hundreds of boundaries.
        fc.array(
          fc.record({
            at: fc.bigInt({ min: 0n, max: MAX6 - 4096n }),
            count: fc.integer({ min: 1, max: 400 }),
            step: fc.constantFrom(2n, 3n, 1n << 40n),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.array(fc.bigInt({ min: 0n, max: MAX6 }), { maxLength: 20 }),
        (clusters, random) => {
          const ranges: [bigint, bigint][] = [];
          for (const { at, count, step } of clusters)
            for (let k = 0n; k < BigInt(count); k++) {
              const q = at + k * step;
              if (q <= MAX6) ranges.push([q, q]);
            }
          const { words: segments, n } = segmentsOf(ranges);
          const b = new IPv6Boundaries(segments, n);
          groupBits.add(b.indexGroupBits);
          const queries = new Set<bigint>(random);
          for (const [lo] of ranges) for (const q of [lo - 1n, lo, lo + 1n]) queries.add(q);
          // Single addresses only: inside is being one of them.
          const listed = new Set(ranges.map(([lo]) => lo));
          for (const q of queries) {
            if (q < 0n || q > MAX6) continue;
            expect(has(b, q), q.toString(16)).toBe(listed.has(q));
          }
        },
      ),
      { numRuns: 40 },
    );
    // Both the widest groups and narrower ones must have been built, or the property tested one only.
    expect(groupBits.has(5)).toBe(true);
    expect([...groupBits].some((g) => g < 5)).toBe(true);
  });
});
