import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { v4RangeIndex, v6RangeIndex } from './range-search.js';

/** Disjoint sorted ranges from sorted distinct cut points: [c0, c1-1], [c2, c3-1], … */
const v4Ranges = fc
  .uniqueArray(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 })
  .map((cuts) => cuts.sort((a, b) => a - b))
  .map((cuts) => {
    const ranges: [number, number][] = [];
    for (let i = 0; i + 1 < cuts.length; i += 2)
      ranges.push([cuts[i] as number, (cuts[i + 1] as number) - 1]);
    return ranges;
  });

const linear = (ranges: readonly [number, number][], a: number) =>
  ranges.findIndex(([s, e]) => s <= a && a <= e);

describe('range search', () => {
  it('IPv4: finds the range a linear scan finds, or none', () => {
    fc.assert(
      fc.property(v4Ranges, fc.integer({ min: 0, max: 0x10000 }), (ranges, a) => {
        const start = Uint32Array.from(ranges.map((r) => r[0]));
        const end = Uint32Array.from(ranges.map((r) => r[1]));
        expect(v4RangeIndex(start, end, a)).toBe(linear(ranges, a));
      }),
    );
  });

  it('IPv6: compares the high word first, then the low word', () => {
    fc.assert(
      fc.property(
        v4Ranges,
        fc.integer({ min: 0, max: 0x10000 }),
        fc.integer({ min: 0, max: 3 }),
        (ranges, a, high) => {
          // The same ranges under high word 2: lower high words sort before, higher ones after.
          const start = Uint32Array.from(ranges.flatMap((r) => [2, r[0]]));
          const end = Uint32Array.from(ranges.flatMap((r) => [2, r[1]]));
          expect(v6RangeIndex(start, end, high, a)).toBe(high === 2 ? linear(ranges, a) : -1);
        },
      ),
    );
  });

  it('a range across high words holds every address between its bounds', () => {
    const start = Uint32Array.of(1, 0xffff0000);
    const end = Uint32Array.of(3, 0x0000ffff);
    expect(v6RangeIndex(start, end, 2, 0)).toBe(0);
    expect(v6RangeIndex(start, end, 1, 0xfffeffff)).toBe(-1);
    expect(v6RangeIndex(start, end, 3, 0x00010000)).toBe(-1);
    expect(v4RangeIndex(new Uint32Array(0), new Uint32Array(0), 5)).toBe(-1);
  });
});
