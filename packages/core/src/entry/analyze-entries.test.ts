import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpAddress } from '../address/ip-address.js';
import type { WarningCode } from '../errors/catalogue.js';
import { analyzeEntries, type NamedEntry } from './analyze-entries.js';
import { parseEntry } from './parse-entry.js';

type Source = string | { value: string; name: string };

function analyze(list: readonly Source[]) {
  const named: NamedEntry[] = list.map((s) =>
    typeof s === 'string' ? { entry: parseEntry(s) } : { entry: parseEntry(s.value), name: s.name },
  );
  return { named, warnings: analyzeEntries(named) };
}

/** Warnings as `CODE->relatedIndex`, per entry. */
function summary(list: readonly Source[]): string[][] {
  return analyze(list).warnings.map((ws) => ws.map((w) => `${w.code}->${w.related?.index}`));
}

describe('analyzeEntries', () => {
  it.each<[string, Source[], string[][]]>([
    ['an empty list', [], []],
    ['disjoint entries', ['10.0.0.0/24', '10.0.2.0/24', '2001:db8::/48'], [[], [], []]],
    [
      'adjacent entries (touching is not overlapping)',
      ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0-10.0.2.9'],
      [[], [], []],
    ],
    ['the same block in two families', ['0.0.0.0/0', '::/0'], [[], []]],
    ['a nested CIDR after its parent', ['10.0.0.0/8', '10.1.0.0/16'], [[], ['IPG_WARN_COVERED_BY->0']]],
    [
      'a parent CIDR after the nested one: the nested one is redundant',
      ['10.1.0.0/16', '10.0.0.0/8'],
      [['IPG_WARN_COVERED_BY->1'], []],
    ],
    ['a duplicate', ['10.0.0.0/8', '10.0.0.0/8'], [[], ['IPG_WARN_DUPLICATE->0']]],
    [
      'a duplicate written another way',
      ['10.0.0.0/8', '10.0.0.0-10.255.255.255'],
      [[], ['IPG_WARN_DUPLICATE->0']],
    ],
    ['a partial CIDR duplicate', ['10.0.0.0/8', '10/255.0.0.0'], [[], ['IPG_WARN_DUPLICATE->0']]],
    [
      'an IPv6 duplicate in another spelling',
      ['2001:db8::/32', '2001:0DB8:0::/32'],
      [[], ['IPG_WARN_DUPLICATE->0']],
    ],
    [
      'a single address inside a range',
      ['192.0.2.0-192.0.2.99', '192.0.2.50'],
      [[], ['IPG_WARN_COVERED_BY->0']],
    ],
    [
      'a single address at the last address of a range',
      ['192.0.2.0-192.0.2.99', '192.0.2.99'],
      [[], ['IPG_WARN_COVERED_BY->0']],
    ],
    ['a single address one past a range', ['192.0.2.0-192.0.2.99', '192.0.2.100'], [[], []]],
    [
      'partially overlapping ranges',
      ['10.0.0.0-10.0.0.100', '10.0.0.50-10.0.0.200'],
      [[], ['IPG_WARN_OVERLAPS->0']],
    ],
    [
      'partially overlapping ranges, later one first: the one starting later is warned',
      ['10.0.0.50-10.0.0.200', '10.0.0.0-10.0.0.100'],
      [['IPG_WARN_OVERLAPS->1'], []],
    ],
    [
      'ranges sharing one address',
      ['10.0.0.0-10.0.0.100', '10.0.0.100-10.0.0.200'],
      [[], ['IPG_WARN_OVERLAPS->0']],
    ],
    ['a covered IPv6 entry', ['::/0', '2001:db8::/32'], [[], ['IPG_WARN_COVERED_BY->0']]],
    [
      'two covered entries',
      ['10.0.0.0/8', '10.1.0.0/16', '10.2.0.0/16'],
      [[], ['IPG_WARN_COVERED_BY->0'], ['IPG_WARN_COVERED_BY->0']],
    ],
    [
      'duplicates of a nested entry, parent first',
      ['10.0.0.0/8', '10.1.0.0/16', '10.1.0.0/16'],
      [[], ['IPG_WARN_COVERED_BY->0'], ['IPG_WARN_DUPLICATE->1']],
    ],
  ])('%s', (_name, list, expected) => {
    expect(summary(list)).toEqual(expected);
  });

  it('names the related entry by its name, else by position and canonical form', () => {
    const { warnings } = analyze([{ value: '10.0.0.0/8', name: 'office VPN' }, '10.1.0.0/16', '10.0.0.0/8']);
    const covered = warnings[1]?.[0];
    expect(covered?.related).toEqual({ index: 0, name: 'office VPN', canonical: '10.0.0.0/8' });
    expect(covered?.message).toContain('"office VPN"');
    const dup = warnings[2]?.[0];
    expect(dup?.code).toBe('IPG_WARN_DUPLICATE');
    expect(dup?.related?.index).toBe(0);
    expect(dup?.message).toContain('10.0.0.0/8');

    const unnamed = analyze(['192.0.2.0/24', '192.0.2.0/24']).warnings[1]?.[0];
    expect(unnamed?.related).toEqual({ index: 0, canonical: '192.0.2.0/24' });
    expect(unnamed?.message).toContain('entry 1');
  });

  it('does not repeat the entry-level warnings', () => {
    const { warnings } = analyze(['0.0.0.0/0', '10.0.0.1']);
    expect(warnings[0]).toEqual([]);
    expect(warnings[1]?.map((w) => w.code)).toEqual(['IPG_WARN_COVERED_BY']);
  });

  // A wider entry later in the list still makes the earlier narrow ones redundant, and says so on them;
  // duplicates name the first copy.
  it.each<[string, Source[], number, WarningCode, number]>([
    ['duplicate /16s before a /8', ['10.1.0.0/16', '10.1.0.0/16', '10.0.0.0/8'], 1, 'IPG_WARN_DUPLICATE', 0],
    [
      'the first /16 of a duplicate pair, before a /8',
      ['10.1.0.0/16', '10.1.0.0/16', '10.0.0.0/8'],
      0,
      'IPG_WARN_COVERED_BY',
      2,
    ],
    [
      'duplicate ranges before a wider range',
      ['10.0.0.50-10.0.0.60', '10.0.0.50-10.0.0.60', '10.0.0.10-10.0.0.200'],
      1,
      'IPG_WARN_DUPLICATE',
      0,
    ],
    [
      'a range inside two wider ones: named by the one reaching furthest',
      ['10.0.0.0-10.0.0.100', '10.0.0.50-10.0.0.60', '10.0.0.10-10.0.0.200'],
      1,
      'IPG_WARN_COVERED_BY',
      2,
    ],
    [
      'an address in an earlier CIDR and in a later ::/0',
      ['2001:db8::/32', '2001:db8::1', '::/0'],
      1,
      'IPG_WARN_COVERED_BY',
      2,
    ],
  ])('%s: entry %d gets %s naming entry %d', (_name, list, target, code, related) => {
    const warnings = analyze(list).warnings[target] ?? [];
    expect(warnings.map((w) => `${w.code}->${w.related?.index}`)).toContain(`${code}->${related}`);
  });
});

// ---- property tests against a naive reference ----

interface Ref {
  family: 4 | 6;
  lo: bigint;
  hi: bigint;
}

// Entries crowded into two small windows (one per family), so that overlaps, nesting and duplicates are common.
const V4_BASE = 0x0a000000n; // 10.0.0.0
const V6_BASE = 0x20010db8n << 96n; // 2001:db8::
const offset = fc.integer({ min: 0, max: 63 });

function text(family: 4 | 6, lo: bigint, hi: bigint, shape: number): string {
  const a = IpAddress.fromBigInt(family, lo).toString();
  const b = IpAddress.fromBigInt(family, hi).toString();
  if (lo === hi && shape === 0) return a;
  return `${a}-${b}`;
}

const entryArb = fc.oneof(
  // CIDR aligned inside the window
  fc.tuple(fc.constantFrom<4 | 6>(4, 6), offset, fc.integer({ min: 0, max: 6 })).map(([family, o, bits]) => {
    const size = 1n << BigInt(bits);
    const lo = (family === 4 ? V4_BASE : V6_BASE) + (BigInt(o) / size) * size;
    const len = (family === 4 ? 32 : 128) - bits;
    return `${IpAddress.fromBigInt(family, lo).toString()}/${len}`;
  }),
  // range or single address
  fc
    .tuple(fc.constantFrom<4 | 6>(4, 6), offset, offset, fc.integer({ min: 0, max: 1 }))
    .map(([family, x, y, shape]) => {
      const base = family === 4 ? V4_BASE : V6_BASE;
      const lo = base + BigInt(Math.min(x, y));
      const hi = base + BigInt(Math.max(x, y));
      return text(family, lo, hi, shape);
    }),
);

function refOf(list: readonly NamedEntry[]): Ref[] {
  return list.map(({ entry }) => ({
    family: entry.family,
    lo: entry.first.toBigInt(),
    hi: entry.last.toBigInt(),
  }));
}
const contains = (a: Ref, b: Ref): boolean => a.family === b.family && a.lo <= b.lo && b.hi <= a.hi;
const intersects = (a: Ref, b: Ref): boolean => a.family === b.family && a.lo <= b.hi && b.lo <= a.hi;

describe('analyzeEntries against a naive pairwise reference', () => {
  const lists = fc.array(entryArb, { minLength: 0, maxLength: 12 });

  it('every warning is true: the related entry exists and relates the way the code says', () => {
    fc.assert(
      fc.property(lists, (texts) => {
        const { named, warnings } = analyze(texts);
        const ref = refOf(named);
        warnings.forEach((ws, k) => {
          for (const w of ws) {
            const j = w.related?.index as number;
            expect(j).not.toBe(k);
            expect(w.related?.canonical).toBe(named[j]?.entry.canonical);
            const a = ref[k] as Ref;
            const b = ref[j] as Ref;
            expect(intersects(a, b)).toBe(true);
            if (w.code === 'IPG_WARN_DUPLICATE') expect(a.lo === b.lo && a.hi === b.hi).toBe(true);
            if (w.code === 'IPG_WARN_DUPLICATE') expect(j).toBeLessThan(k);
            if (w.code === 'IPG_WARN_COVERED_BY')
              expect(contains(b, a) && !(a.lo === b.lo && a.hi === b.hi)).toBe(true);
          }
        });
      }),
      { numRuns: 800 },
    );
  });

  it('a list in which no two entries share an address gets no warning', () => {
    fc.assert(
      fc.property(lists, (texts) => {
        const { named, warnings } = analyze(texts);
        const ref = refOf(named);
        const anyShared = ref.some((a, i) => ref.some((b, j) => i < j && intersects(a, b)));
        if (!anyShared) expect(warnings.flat()).toEqual([]);
      }),
      { numRuns: 800 },
    );
  });

  it('an entry that another entry covers (or duplicates) is always mentioned: warned, or named by a warning', () => {
    fc.assert(
      fc.property(lists, (texts) => {
        const { named, warnings } = analyze(texts);
        const ref = refOf(named);
        const mentioned = new Set<number>();
        warnings.forEach((ws, k) => {
          if (ws.length > 0) mentioned.add(k);
          for (const w of ws) if (w.related !== undefined) mentioned.add(w.related.index);
        });
        ref.forEach((a, k) => {
          const coveredBy = ref.findIndex((b, j) => j !== k && contains(b, a));
          if (coveredBy >= 0) expect(mentioned.has(k), `entry ${k} covered by ${coveredBy}`).toBe(true);
        });
      }),
      { numRuns: 800 },
    );
  });

  // An entry that any other entry covers carries IPG_WARN_COVERED_BY, or IPG_WARN_DUPLICATE when an earlier
  // copy of it exists. The example is the case an earlier version got wrong.
  it('an entry covered by another entry is itself flagged as covered or duplicate', () => {
    fc.assert(
      fc.property(lists, (texts) => {
        const { named, warnings } = analyze(texts);
        const ref = refOf(named);
        ref.forEach((a, k) => {
          // Any other entry covering it, except a later exact copy (that copy carries the duplicate warning).
          const earlier = ref.findIndex(
            (b, j) => j !== k && contains(b, a) && (j < k || b.lo !== a.lo || b.hi !== a.hi),
          );
          if (earlier < 0) return;
          const codes = (warnings[k] ?? []).map((w) => w.code);
          expect(
            codes.includes('IPG_WARN_COVERED_BY') || codes.includes('IPG_WARN_DUPLICATE'),
            `entry ${k} (${named[k]?.entry.canonical}) is covered by entry ${earlier}`,
          ).toBe(true);
        });
      }),
      { numRuns: 500, examples: [[['10.1.0.0/16', '10.1.0.0/16', '10.0.0.0/8']]] },
    );
  });
});
