import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IpFamily } from '../address/ip-address.js';
import { parseEntry } from '../entry/parse-entry.js';
import {
  type AddressRange,
  complementRanges,
  intersectRanges,
  mergeRanges,
  rangeToText,
} from './range-algebra.js';

const MAX: Record<IpFamily, bigint> = { 4: 0xffffffffn, 6: (1n << 128n) - 1n };
const r = (family: IpFamily, first: bigint, last: bigint): AddressRange => ({ family, first, last });

function inList(list: readonly AddressRange[], family: IpFamily, p: bigint): boolean {
  return list.some((x) => x.family === family && x.first <= p && p <= x.last);
}

function checkSortedMerged(list: readonly AddressRange[]): void {
  for (let k = 0; k < list.length; k++) {
    const x = list[k] as AddressRange;
    expect(x.first).toBeLessThanOrEqual(x.last);
    expect(x.first).toBeGreaterThanOrEqual(0n);
    expect(x.last).toBeLessThanOrEqual(MAX[x.family]);
    const prev = list[k - 1];
    if (prev === undefined) continue;
    expect(prev.family).toBeLessThanOrEqual(x.family);
    // Not overlapping, not even touching.
    if (prev.family === x.family) expect(x.first).toBeGreaterThan(prev.last + 1n);
  }
}

describe('mergeRanges', () => {
  it.each<[string, AddressRange[], AddressRange[]]>([
    ['nothing', [], []],
    ['adjacent ranges join', [r(4, 0n, 9n), r(4, 10n, 20n)], [r(4, 0n, 20n)]],
    ['a gap of one stays', [r(4, 0n, 9n), r(4, 11n, 20n)], [r(4, 0n, 9n), r(4, 11n, 20n)]],
    ['nested ranges', [r(4, 0n, 100n), r(4, 10n, 20n)], [r(4, 0n, 100n)]],
    [
      'unsorted input, IPv6 first',
      [r(6, 5n, 6n), r(4, 30n, 40n), r(4, 0n, 35n)],
      [r(4, 0n, 40n), r(6, 5n, 6n)],
    ],
    [
      'the same numbers in two families never join',
      [r(4, 0n, 9n), r(6, 10n, 20n)],
      [r(4, 0n, 9n), r(6, 10n, 20n)],
    ],
    ['the top of the space', [r(6, MAX[6] - 1n, MAX[6]), r(6, 0n, MAX[6] - 2n)], [r(6, 0n, MAX[6])]],
  ])('%s', (_name, input, expected) => {
    expect(mergeRanges(input)).toEqual(expected);
  });
});

describe('intersectRanges and complementRanges', () => {
  it.each<[string, AddressRange[], AddressRange[], AddressRange[]]>([
    ['disjoint', [r(4, 0n, 9n)], [r(4, 10n, 20n)], []],
    ['one shared address', [r(4, 0n, 10n)], [r(4, 10n, 20n)], [r(4, 10n, 10n)]],
    ['nested', [r(4, 0n, 100n)], [r(4, 10n, 20n), r(4, 30n, 40n)], [r(4, 10n, 20n), r(4, 30n, 40n)]],
    ['other family', [r(4, 0n, 100n)], [r(6, 0n, 100n)], []],
    [
      'both families',
      [r(4, 0n, 100n), r(6, 0n, 100n)],
      [r(4, 50n, 60n), r(6, 100n, 200n)],
      [r(4, 50n, 60n), r(6, 100n, 100n)],
    ],
  ])('intersection: %s', (_name, a, b, expected) => {
    expect(intersectRanges(a, b)).toEqual(expected);
    expect(intersectRanges(b, a)).toEqual(expected);
  });

  it.each<[string, AddressRange[], AddressRange[]]>([
    ['of nothing is everything', [], [r(4, 0n, MAX[4]), r(6, 0n, MAX[6])]],
    ['of everything is nothing', [r(4, 0n, MAX[4]), r(6, 0n, MAX[6])], []],
    ['of the first address', [r(4, 0n, 0n)], [r(4, 1n, MAX[4]), r(6, 0n, MAX[6])]],
    ['of the last address', [r(6, MAX[6], MAX[6])], [r(4, 0n, MAX[4]), r(6, 0n, MAX[6] - 1n)]],
    ['of a middle range', [r(4, 10n, 20n)], [r(4, 0n, 9n), r(4, 21n, MAX[4]), r(6, 0n, MAX[6])]],
  ])('complement %s', (_name, input, expected) => {
    expect(complementRanges(input)).toEqual(expected);
  });

  // Ranges crowded into 0..63 of each family so that every relation is common.
  const range = fc
    .tuple(
      fc.constantFrom<IpFamily>(4, 6),
      fc.bigInt({ min: 0n, max: 63n }),
      fc.bigInt({ min: 0n, max: 63n }),
    )
    .map(([family, a, b]) => (a <= b ? r(family, a, b) : r(family, b, a)));
  const list = fc.array(range, { maxLength: 10 });
  const points: [IpFamily, bigint][] = [];
  for (const family of [4, 6] as const) {
    for (let p = 0n; p <= 65n; p++) points.push([family, p]);
    points.push([family, MAX[family] - 1n], [family, MAX[family]]);
  }

  it('merge, intersection and complement agree with point-wise membership', () => {
    fc.assert(
      fc.property(list, list, (a, b) => {
        const ma = mergeRanges(a);
        const mb = mergeRanges(b);
        checkSortedMerged(ma);
        const both = intersectRanges(ma, mb);
        checkSortedMerged(both);
        const notA = complementRanges(ma);
        checkSortedMerged(notA);
        const actual = points.map(([f, p]) => [inList(ma, f, p), inList(both, f, p), inList(notA, f, p)]);
        const expected = points.map(([f, p]) => [
          inList(a, f, p),
          inList(a, f, p) && inList(b, f, p),
          !inList(a, f, p),
        ]);
        expect(actual).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('rangeToText', () => {
  it.each<[AddressRange, string]>([
    [r(4, 0n, 255n), '0.0.0.0/24'],
    [r(4, 0n, MAX[4]), '0.0.0.0/0'],
    [r(4, 5n, 5n), '0.0.0.5'],
    [r(4, 5n, 6n), '0.0.0.5-0.0.0.6'],
    [r(4, 4n, 5n), '0.0.0.4/31'],
    [r(6, 1n, 1n), '::1'],
    [r(6, 0n, MAX[6]), '::/0'],
    [r(6, 0xffff00000000n, 0xffffffffffffn), '::ffff:0.0.0.0/96'],
    [r(6, 0xffff0a000001n, 0xffff0a000002n), '::ffff:10.0.0.1-::ffff:10.0.0.2'],
  ])('range %# is written %s', (range, text) => {
    expect(rangeToText(range)).toBe(text);
  });

  it('is the shortest form: an address, else one CIDR, else a dash range, and parses back to the range', () => {
    const value = (max: bigint) =>
      fc.oneof(
        fc.bigInt({ min: 0n, max }),
        fc.bigInt({ min: 0n, max: 300n }),
        fc.bigInt({ min: max - 300n, max }),
      );
    const arb = fc.constantFrom<IpFamily>(4, 6).chain((family) =>
      fc
        .tuple(value(MAX[family]), value(MAX[family]), fc.integer({ min: 0, max: family === 4 ? 32 : 128 }))
        .map(([a, b, len]) => {
          // One in three is an exact CIDR block.
          if (len % 3 === 0) {
            const bits = BigInt((family === 4 ? 32 : 128) - len);
            const first = (a >> bits) << bits;
            return r(family, first, first + (1n << bits) - 1n);
          }
          return a <= b ? r(family, a, b) : r(family, b, a);
        }),
    );
    fc.assert(
      fc.property(arb, (range) => {
        const text = rangeToText(range);
        const e = parseEntry(text);
        expect(e.family).toBe(range.family);
        expect(e.first.toBigInt()).toBe(range.first);
        expect(e.last.toBigInt()).toBe(range.last);
        const expectedForm =
          range.first === range.last ? 'address' : e.cidrs.length === 1 ? 'cidr' : 'dash-range';
        expect(e.form).toBe(expectedForm);
      }),
      { numRuns: 500 },
    );
  });
});
