/**
 * IpSet at the sizes where its large-list paths take over — the radix sort and the IPv4 sweep over
 * typed arrays (more than 512 entries), the bucket indexes and the IPv4 boundaries (4,096 segments and
 * more), the IPv6 index on the bits after those every segment shares — held to a naive model: a linear
 * scan for the entry that decides, by the documented rule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpAddress } from '../address/ip-address.js';
import { IpSet } from './ip-set.js';

const MAX4 = 0xffffffffn;
const MAX6 = (1n << 128n) - 1n;
const MF = 0xffff00000000n;
const ML = 0xffffffffffffn;

const fmt4 = (v: bigint): string => IpAddress.fromBigInt(4, v).toString();
const fmt6 = (v: bigint): string => IpAddress.fromBigInt(6, v).toString();

/** An entry's bounds in one space where IPv4 address p is ::ffff:p, and its position. */
interface Ref {
  lo: bigint;
  hi: bigint;
  index: number;
}

/**
 * The entry that decides address p (unified), by the documented rule: within the family's table (an
 * IPv6 entry reaching into the mapped block counts there with its mapped part), the entry that starts
 * last, then ends first, then whose whole entry is smallest, then comes first in the list.
 */
function decides(refs: readonly Ref[], p: bigint): number | undefined {
  const mapped = p >= MF && p <= ML;
  const clip = (r: Ref): [bigint, bigint] => {
    if (!mapped) return [r.lo, r.hi];
    return [r.lo > MF ? r.lo : MF, r.hi < ML ? r.hi : ML];
  };
  let best: Ref | undefined;
  for (const r of refs) {
    if (r.lo > p || p > r.hi) continue;
    if (best === undefined) {
      best = r;
      continue;
    }
    const [s, e] = clip(r);
    const [bs, be] = clip(best);
    const size = r.hi - r.lo;
    const bestSize = best.hi - best.lo;
    if (s !== bs ? s > bs : e !== be ? e < be : size !== bestSize ? size < bestSize : r.index < best.index)
      best = r;
  }
  return best?.index;
}

/**
 * Queries at and beside the bounds of about `limit` / 4 entries spread over the list, plus random ones
 * inside the window (the naive model scans every entry per query, so not every bound is asked).
 */
function queriesOf(
  refs: readonly Ref[],
  from: bigint,
  to: bigint,
  random: readonly bigint[],
  limit = 600,
): bigint[] {
  const out = new Set<bigint>();
  const stride = Math.max(1, Math.floor((4 * refs.length) / limit));
  for (let k = 0; k < refs.length; k += stride) {
    const r = refs[k] as Ref;
    for (const q of [r.lo - 1n, r.lo, r.hi, r.hi + 1n]) out.add(q);
  }
  for (const q of random) out.add(from + (q % (to - from + 1n)));
  return [...out].filter((q) => q >= 0n && q <= MAX6);
}

function check(set: IpSet, refs: readonly Ref[], queries: readonly bigint[]): void {
  for (const p of queries) {
    const text = p >= MF && p <= ML ? fmt4(p - MF) : fmt6(p);
    const expected = decides(refs, p);
    expect(set.match(text)?.index, text).toBe(expected);
    expect(set.has(text), text).toBe(expected !== undefined);
  }
}

describe('IpSet at scale against the naive model', () => {
  it('IPv4 lists shaped like real ones: 80 % single addresses, /24–/31 networks, a few larger ones', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff - 0x3ffff }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 0x3ffff })), {
          minLength: 513,
          maxLength: 5000,
        }),
        fc.array(fc.bigInt({ min: 0n, max: MAX4 }), { maxLength: 200 }),
        (base, picks, random) => {
          // A 2^18-address window, so that addresses repeat and fall inside the networks listed.
          const texts: string[] = [];
          const refs: Ref[] = [];
          for (const [roll, offset] of picks) {
            const length = roll < 800 ? 32 : roll < 990 ? 24 + (roll % 8) : 14 + (roll % 10);
            const size = 2 ** (32 - length);
            const first = base + offset - ((base + offset) % size);
            const last = first + size - 1;
            // Some written in their IPv4-mapped form: the same addresses, the same table.
            const mappedForm = roll % 7 === 0;
            const address = mappedForm ? `::ffff:${fmt4(BigInt(first))}` : fmt4(BigInt(first));
            texts.push(length === 32 ? address : `${address}/${mappedForm ? length + 96 : length}`);
            refs.push({ lo: MF + BigInt(first), hi: MF + BigInt(last), index: refs.length });
          }
          const set = IpSet.from(texts);
          const from = MF + BigInt(base);
          check(set, refs, queriesOf(refs, from, from + 0x3ffffn, random));
        },
      ),
      { numRuns: 12, endOnFailure: true },
    );
  });

  it('IPv4 and straddling IPv6 entries at the ends of the space: the narrower whole entry decides ties', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 40 })), {
          minLength: 513,
          maxLength: 1200,
        }),
        fc.constantFrom(0n, MAX4 - 700n),
        (picks, at) => {
          const texts: string[] = [];
          const refs: Ref[] = [];
          for (const [low, offset, size] of picks) {
            const first = at + BigInt(offset);
            const last = first + BigInt(size) > MAX4 ? MAX4 : first + BigInt(size);
            refs.push({ lo: MF + first, hi: MF + last, index: refs.length });
            texts.push(`${fmt4(first)}-${fmt4(last)}`);
            if (offset % 50 === 0) {
              // An IPv6 range from below (or above) the mapped block to the same IPv4 bounds: clipped to
              // them in the IPv4 table, where it ties with the entry above and loses (its whole is larger).
              const lo = low ? MF - 5n : MF + first;
              const hi = low ? MF + last : ML + 5n;
              refs.push({ lo, hi, index: refs.length });
              texts.push(`${fmt6(lo)}-${fmt6(hi)}`);
            }
          }
          const set = IpSet.from(texts);
          check(set, refs, queriesOf(refs, MF + at, MF + at + 700n, []));
        },
      ),
      { numRuns: 30, endOnFailure: true },
    );
  });

  // Shared leading bits from none to 95: the index is taken from the bits after them, in the first
  // word that differs.
  it.each([
    ['in 2000::/3, as global unicast lists are', 0x2000n << 112n, 125n],
    ['over the whole space', 0n, 128n],
    ['in one /20', 0x2a0e1000n << 96n, 108n],
    ['in one /31 (a word but one bit shared)', 0x20010db8n << 96n, 97n],
    ['in one /40 (the second word starts the key)', 0x20010db8abn << 88n, 88n],
    ['in one /90', (0x20010db8n << 96n) | (0x1234n << 48n), 38n],
  ])('IPv6 lists of 4,096+ segments %s', (_name, base, bits) => {
    const span = 1n << bits;
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.bigInt({ min: 0n, max: span - 1n }), fc.integer({ min: 0, max: 3 }), fc.nat(40)),
          { minLength: 4200, maxLength: 5000 },
        ),
        fc.array(fc.bigInt({ min: 0n, max: span - 1n }), { minLength: 200, maxLength: 200 }),
        (picks, random) => {
          const texts: string[] = [];
          const refs: Ref[] = [];
          for (const [offset, kind, hostBits] of picks) {
            // Single addresses, short ranges and aligned networks, so that some nest and keys tie.
            const host = BigInt(Math.min(hostBits, Number(bits)));
            const lo = kind === 0 ? base + offset : base + ((offset >> host) << host);
            const hi = kind === 0 ? lo : kind === 1 ? lo + 3n : lo + (1n << host) - 1n;
            if (hi > base + span - 1n || (lo <= ML && hi >= MF)) continue;
            texts.push(
              kind === 2 ? `${fmt6(lo)}/${128n - host}` : lo === hi ? fmt6(lo) : `${fmt6(lo)}-${fmt6(hi)}`,
            );
            refs.push({ lo, hi, index: refs.length });
          }
          const set = IpSet.from(texts);
          const queries = queriesOf(refs, base, base + span - 1n, random);
          // Addresses outside the shared bits, on both sides.
          queries.push(base === 0n ? MAX6 : base - 1n, base + span > MAX6 ? 0n : base + span, MAX6, 0n);
          check(
            set,
            refs,
            queries.filter((q) => q < MF || q > ML),
          );
        },
      ),
      { numRuns: 3, endOnFailure: true },
    );
  });

  it('IPv6 lists of 4,096+ segments with a crowd in one bucket: the index counts it exactly', () => {
    const groups: number[] = [];
    const base = 0x2000n << 112n;
    const span = 1n << 125n;
    fc.assert(
      fc.property(
        // Unbiased: small offsets would put the spread entries in one another and leave too few segments.
        fc.array(fc.tuple(fc.noBias(fc.bigInt({ min: 0n, max: span - 1n })), fc.nat(40)), {
          minLength: 3900,
          maxLength: 4000,
        }),
        // Single addresses every third one (none touch), hundreds of them within a few thousand addresses.
        fc.record({
          at: fc.bigInt({ min: 0n, max: span - 4096n }),
          count: fc.integer({ min: 300, max: 900 }),
        }),
        fc.array(fc.bigInt({ min: 0n, max: span - 1n }), { minLength: 100, maxLength: 100 }),
        (picks, crowd, random) => {
          const texts: string[] = [];
          const refs: Ref[] = [];
          for (const [offset, hostBits] of picks) {
            const host = BigInt(hostBits);
            const lo = base + ((offset >> host) << host);
            texts.push(`${fmt6(lo)}/${128n - host}`);
            refs.push({ lo, hi: lo + (1n << host) - 1n, index: refs.length });
          }
          const crowdRefs: Ref[] = [];
          for (let k = 0n; k < BigInt(crowd.count); k++) {
            const lo = base + crowd.at + 3n * k;
            texts.push(fmt6(lo));
            crowdRefs.push({ lo, hi: lo, index: refs.length });
            refs.push(crowdRefs.at(-1) as Ref);
          }
          const set = IpSet.from(texts);
          const index = (set as unknown as { v6: { buckets?: { group: number } } }).v6.buckets;
          expect(index).toBeDefined();
          groups.push(index?.group ?? -1);
          const queries = queriesOf(refs, base, base + span - 1n, random);
          for (const r of crowdRefs.filter((_, k) => k % 7 === 0)) queries.push(r.lo - 1n, r.lo, r.lo + 1n);
          check(set, refs, queries);
        },
      ),
      { numRuns: 3, endOnFailure: true },
    );
    // Hundreds of segments in one bucket narrow the index's groups, unless the bucket is the last of
    // its group (the count then rises at the next group's 32-bit count): 1 in 32 a run.
    expect(groups.some((g) => g < 5)).toBe(true);
  });
});
