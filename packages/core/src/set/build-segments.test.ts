import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigintKeys, buildSegments, type Segments } from './build-segments.js';
import { buildIPv4Segments } from './ipv4-segments.js';

type Interval = [start: number, end: number, owner: number];

/** IPv4 has its own sweep (ipv4-segments.ts); both are held to the same cases and the same reference. */
function build4(intervals: readonly Interval[], sizes?: readonly number[]): Segments<number> {
  const s = buildIPv4Segments(
    intervals.map((x) => x[0]),
    intervals.map((x) => x[1]),
    intervals.map((x) => x[2]),
    intervals.length,
    sizes,
  );
  return { starts: Array.from(s.starts), ends: Array.from(s.ends), owners: Array.from(s.owners) };
}

const numberKeys = { compare: (a: number, b: number) => a - b, next: (a: number) => a + 1 };

function build6(intervals: readonly Interval[], base: bigint): Segments<bigint> {
  return buildSegments(
    intervals.map((x) => base + BigInt(x[0])),
    intervals.map((x) => base + BigInt(x[1])),
    intervals.map((x) => x[2]),
    intervals.length,
    bigintKeys,
  );
}

/** The owner of a point by the documented rule: starts last, then ends first, then lowest owner. */
function referenceOwner(intervals: readonly Interval[], p: number): number | undefined {
  let best: Interval | undefined;
  for (const x of intervals) {
    if (x[0] > p || x[1] < p) continue;
    if (
      best === undefined ||
      x[0] > best[0] ||
      (x[0] === best[0] && (x[1] < best[1] || (x[1] === best[1] && x[2] < best[2])))
    ) {
      best = x;
    }
  }
  return best?.[2];
}

function ownerAt<K>(s: Segments<K>, p: K, cmp: (a: K, b: K) => number): number | undefined {
  for (let k = 0; k < s.starts.length; k++) {
    if (cmp(s.starts[k] as K, p) <= 0 && cmp(p, s.ends[k] as K) <= 0) return s.owners[k];
  }
  return undefined;
}

function checkShape<K>(s: Segments<K>, cmp: (a: K, b: K) => number, next: (a: K) => K): void {
  expect(s.ends).toHaveLength(s.starts.length);
  expect(s.owners).toHaveLength(s.starts.length);
  for (let k = 0; k < s.starts.length; k++) {
    expect(cmp(s.starts[k] as K, s.ends[k] as K)).toBeLessThanOrEqual(0);
    if (k > 0) {
      // Sorted and disjoint ...
      expect(cmp(s.ends[k - 1] as K, s.starts[k] as K)).toBeLessThan(0);
      // ... and a segment continuing the one before with the same owner is merged into it.
      const touching = cmp(next(s.ends[k - 1] as K), s.starts[k] as K) === 0;
      if (touching) expect(s.owners[k]).not.toBe(s.owners[k - 1]);
    }
  }
}

describe('buildSegments and buildIPv4Segments', () => {
  it.each<[string, Interval[], Segments<number>]>([
    ['nothing', [], { starts: [], ends: [], owners: [] }],
    [
      'the documented example',
      [
        [0, 10, 0],
        [5, 6, 1],
      ],
      { starts: [0, 5, 7], ends: [4, 6, 10], owners: [0, 1, 0] },
    ],
    [
      'disjoint intervals, sorted by start',
      [
        [20, 29, 0],
        [0, 9, 1],
        [10, 19, 2],
      ],
      { starts: [0, 10, 20], ends: [9, 19, 29], owners: [1, 2, 0] },
    ],
    [
      'nested three deep',
      [
        [0, 100, 0],
        [10, 20, 1],
        [15, 15, 2],
      ],
      { starts: [0, 10, 15, 16, 21], ends: [9, 14, 15, 20, 100], owners: [0, 1, 2, 1, 0] },
    ],
    [
      'the inner one listed first',
      [
        [10, 20, 0],
        [0, 100, 1],
      ],
      { starts: [0, 10, 21], ends: [9, 20, 100], owners: [1, 0, 1] },
    ],
    [
      'duplicates: the earliest owner',
      [
        [5, 9, 3],
        [5, 9, 1],
        [5, 9, 2],
      ],
      { starts: [5], ends: [9], owners: [1] },
    ],
    [
      'same start: the one ending first',
      [
        [0, 100, 0],
        [0, 10, 1],
      ],
      { starts: [0, 11], ends: [10, 100], owners: [1, 0] },
    ],
    [
      'same end: the one starting last',
      [
        [0, 100, 0],
        [90, 100, 1],
      ],
      { starts: [0, 90], ends: [89, 100], owners: [0, 1] },
    ],
    [
      'partial overlap: the later start',
      [
        [0, 10, 0],
        [5, 15, 1],
      ],
      { starts: [0, 5], ends: [4, 15], owners: [0, 1] },
    ],
    [
      'sharing one point',
      [
        [0, 10, 0],
        [10, 20, 1],
      ],
      { starts: [0, 10], ends: [9, 20], owners: [0, 1] },
    ],
    [
      'a gap between overlapping groups',
      [
        [0, 10, 0],
        [5, 6, 1],
        [50, 60, 2],
        [55, 55, 3],
      ],
      { starts: [0, 5, 7, 50, 55, 56], ends: [4, 6, 10, 54, 55, 60], owners: [0, 1, 0, 2, 3, 2] },
    ],
    [
      'the whole 32-bit space with its last address',
      [
        [0, 0xffffffff, 0],
        [0xffffffff, 0xffffffff, 1],
      ],
      { starts: [0, 0xffffffff], ends: [0xfffffffe, 0xffffffff], owners: [0, 1] },
    ],
    [
      'the whole 32-bit space with its first address',
      [
        [0, 0xffffffff, 0],
        [0, 0, 1],
      ],
      { starts: [0, 1], ends: [0, 0xffffffff], owners: [1, 0] },
    ],
  ])('%s', (_name, intervals, expected) => {
    const s = build4(intervals);
    expect(s).toEqual(expected);
    checkShape(s, numberKeys.compare, numberKeys.next);
  });

  it('bigint keys behave the same at the top of the IPv6 space', () => {
    const top = (1n << 128n) - 1n;
    const s = buildSegments([0n, top, top - 10n], [top, top, top - 5n], [0, 1, 2], 3, bigintKeys);
    expect(s).toEqual({
      starts: [0n, top - 10n, top - 4n, top],
      ends: [top - 11n, top - 5n, top - 1n, top],
      owners: [0, 2, 0, 1],
    });
  });

  const interval = (lo: number, hi: number) =>
    fc
      .tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi }))
      .map(([a, b]) => (a <= b ? [a, b] : [b, a]));
  const intervals = (lo: number, hi: number, maxLength = 14) =>
    fc.array(interval(lo, hi), { maxLength }).chain((xs) =>
      fc
        .shuffledSubarray(
          xs.map((_, k) => k),
          { minLength: xs.length, maxLength: xs.length },
        )
        .map((owners) => xs.map(([a, b], k) => [a, b, owners[k] as number] as Interval)),
    );

  it('number keys: every point is owned as the reference says', () => {
    fc.assert(
      fc.property(intervals(0, 60), (xs) => {
        const s = build4(xs);
        checkShape(s, numberKeys.compare, numberKeys.next);
        const points = Array.from({ length: 63 }, (_, k) => k - 1);
        expect(points.map((p) => ownerAt(s, p, numberKeys.compare))).toEqual(
          points.map((p) => referenceOwner(xs, p)),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('number keys: a build keeps its segments while later builds run (short lists share buffers)', () => {
    // Up to 100 intervals: lists of up to 64 are built in shared buffers, longer ones in their own.
    fc.assert(
      fc.property(intervals(0, 200, 100), intervals(0, 200, 100), (xs, ys) => {
        const first = buildIPv4Segments(
          xs.map((x) => x[0]),
          xs.map((x) => x[1]),
          xs.map((x) => x[2]),
          xs.length,
        );
        const kept = {
          starts: Array.from(first.starts),
          ends: Array.from(first.ends),
          owners: Array.from(first.owners),
        };
        build4(ys);
        expect({
          starts: Array.from(first.starts),
          ends: Array.from(first.ends),
          owners: Array.from(first.owners),
        }).toEqual(kept);
        expect(kept).toEqual(build4(xs));
        const points = Array.from({ length: 203 }, (_, k) => k - 1);
        expect(points.map((p) => ownerAt(kept, p, numberKeys.compare))).toEqual(
          points.map((p) => referenceOwner(xs, p)),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('number keys at the top of the 32-bit space', () => {
    const base = 0xffffffff - 40;
    fc.assert(
      fc.property(intervals(0, 40), (xs) => {
        const shifted = xs.map(([a, b, o]) => [a + base, b + base, o] as Interval);
        const s = build4(shifted);
        checkShape(s, numberKeys.compare, numberKeys.next);
        const points = Array.from({ length: 41 }, (_, k) => base + k);
        expect(points.map((p) => ownerAt(s, p, numberKeys.compare))).toEqual(
          points.map((p) => referenceOwner(shifted, p)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('bigint keys: every point is owned as the reference says', () => {
    const base = (1n << 128n) - 61n;
    fc.assert(
      fc.property(intervals(0, 60), (xs) => {
        const s = build6(xs, base);
        checkShape(s, bigintKeys.compare, bigintKeys.next);
        const points = Array.from({ length: 61 }, (_, k) => k);
        expect(points.map((p) => ownerAt(s, base + BigInt(p), bigintKeys.compare))).toEqual(
          points.map((p) => referenceOwner(xs, p)),
        );
      }),
      { numRuns: 300 },
    );
  });
});
