import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanIPv6, scanIPv6Strict } from './ipv6.js';
import { scanIPv6Plain } from './ipv6-plain.js';

function strict(s: string): number[] | undefined {
  const out = new Uint32Array(4);
  return scanIPv6Strict(s, 0, s.length, out) ? Array.from(out) : undefined;
}

function plain(s: string): number[] | undefined {
  const out = new Uint32Array(4);
  return scanIPv6Plain(s, out) ? Array.from(out) : undefined;
}

function combined(s: string): number[] | undefined {
  const out = new Uint32Array(4);
  return scanIPv6(s, 0, s.length, out) ? Array.from(out) : undefined;
}

/**
 * The fast path accepts only what the strict scanner accepts, with the same words, and it takes every
 * address the strict scanner accepts that has no dotted quad (or the fast path would be a slow one).
 */
function expectAgreement(text: string): void {
  const want = strict(text);
  const got = plain(text);
  if (got !== undefined) expect(got, JSON.stringify(text)).toEqual(want);
  if (want !== undefined && !text.includes('.')) expect(got, JSON.stringify(text)).toEqual(want);
  expect(combined(text), JSON.stringify(text)).toEqual(want);
}

// Groups biased towards zero, so `::` runs are common.
const group = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 0xff }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);

/** Valid spellings: random case, leading zeros, `::` over any run of zero groups, sometimes a dotted tail. */
const spelling = fc
  .record({
    g: fc.array(group, { minLength: 8, maxLength: 8 }),
    pad: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }),
    upper: fc.boolean(),
    cut: fc.tuple(fc.nat(8), fc.nat(8)),
    dotted: fc.boolean(),
  })
  .map(({ g, pad, upper, cut, dotted }) => {
    const part = (k: number): string => {
      const hex = (g[k] as number).toString(16);
      const padded = hex.padStart(Math.min(4, hex.length + (pad[k] as number)), '0');
      return upper ? padded.toUpperCase() : padded;
    };
    const parts = g.map((_, k) => part(k));
    if (dotted)
      parts.splice(
        6,
        2,
        `${(g[6] as number) >>> 8}.${(g[6] as number) & 255}.${(g[7] as number) >>> 8}.${(g[7] as number) & 255}`,
      );
    // `::` over the zero groups from the cut's first position, when they are zero groups.
    const [a] = cut;
    let b = a;
    while (b < parts.length && /^0+$/.test(parts[b] as string)) b++;
    if (b === a) return parts.join(':');
    return `${parts.slice(0, a).join(':')}::${parts.slice(b).join(':')}`;
  });

/** Text near valid addresses: characters replaced, inserted or removed, from an alphabet of the confusable. */
const confusable = fc.constantFrom(
  ...'0123456789abcdefABCDEFgG:::..%/ \t\n',
  '\u0660',
  '\uff10',
  '\u0130',
  '\u0000',
);
const mutated = fc
  .tuple(spelling, fc.array(fc.tuple(fc.nat(), fc.nat(2), confusable), { minLength: 1, maxLength: 4 }))
  .map(([text, edits]) => {
    let s = text;
    for (const [at, kind, c] of edits) {
      const i = s.length === 0 ? 0 : at % (s.length + 1);
      if (kind === 0) s = s.slice(0, i) + c + s.slice(i + 1);
      else if (kind === 1) s = s.slice(0, i) + c + s.slice(i);
      else s = s.slice(0, i) + s.slice(i + 1);
    }
    return s;
  });

/** Short strings from that alphabet alone: stray colons, empty groups, five digits, `:::`. */
const noise = fc.array(confusable, { maxLength: 44 }).map((cs) => cs.join(''));

describe('scanIPv6Plain: the fast path agrees with the strict scanner', () => {
  it('on valid spellings of random addresses', () => {
    fc.assert(
      fc.property(spelling, (text) => expectAgreement(text)),
      { numRuns: 5000 },
    );
  });

  it('on text near valid addresses', () => {
    fc.assert(
      fc.property(mutated, (text) => expectAgreement(text)),
      { numRuns: 10000 },
    );
  });

  it('on noise of colons, dots and digits', () => {
    fc.assert(
      fc.property(noise, (text) => expectAgreement(text)),
      { numRuns: 10000 },
    );
  });

  it.each([
    '::',
    '::1',
    '1::',
    '1::1',
    '1:2:3:4:5:6:7:8',
    'ffff:FFFF:0:0:0:0:0:0',
    '1:2:3:4:5:6:7::',
    '::2:3:4:5:6:7:8',
    '1:2:3::5:6:7:8',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1::2::3',
    ':::',
    ':1::',
    '1:',
    ':1',
    '1::2:',
    '12345::',
    '0000:0000:0000:0000:0000:0000:0000:0000',
    '00000::',
    '::ffff:192.0.2.1',
    '1:2:3:4:5:6:7:8%eth0',
    ' ::1',
    '::1 ',
    '',
    ':',
    'g::',
  ])('%j', (text) => {
    expectAgreement(text);
  });

  it('takes the longest addresses and refuses one character more', () => {
    const longest = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    expect(plain(longest)).toEqual([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
    expect(plain(`0${longest}`)).toBeUndefined();
    expect(strict(`0${longest}`)).toBeUndefined();
  });
});

/**
 * An independent reading of an address `isIPv6` accepts: the halves around `::`, their groups, a
 * dotted quad as the last two groups; the words it gives.
 */
function referenceWords(text: string): number[] {
  const halves = text.split('::');
  const groupsOf = (half: string): number[] => {
    if (half === '') return [];
    const out: number[] = [];
    for (const part of half.split(':')) {
      if (part.includes('.')) {
        const [a, b, c, d] = part.split('.').map(Number) as [number, number, number, number];
        out.push(a * 256 + b, c * 256 + d);
      } else out.push(Number.parseInt(part, 16));
    }
    return out;
  };
  const head = groupsOf(halves[0] as string);
  const tail = halves.length > 1 ? groupsOf(halves[1] as string) : [];
  const all = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  return [0, 2, 4, 6].map((k) => (((all[k] as number) << 16) | (all[k + 1] as number)) >>> 0);
}

/** Node refuses what ipgate refuses, except zone identifiers (`%eth0`), which ipgate refuses too. */
function expectNodeAgreement(text: string): void {
  const got = combined(text);
  const node = isIPv6(text) && !text.includes('%');
  expect(got !== undefined, JSON.stringify(text)).toBe(node);
  if (got !== undefined) expect(got, JSON.stringify(text)).toEqual(referenceWords(text));
  const fast = plain(text);
  if (fast !== undefined) expect(fast, JSON.stringify(text)).toEqual(referenceWords(text));
}

describe('scanIPv6 agrees with node:net isIPv6 and a reference expansion', () => {
  it('on valid spellings of random addresses', () => {
    fc.assert(
      fc.property(spelling, (text) => expectNodeAgreement(text)),
      { numRuns: 5000 },
    );
  });

  it('on text near valid addresses', () => {
    fc.assert(
      fc.property(mutated, (text) => expectNodeAgreement(text)),
      { numRuns: 10000 },
    );
  });

  it('on noise of colons, dots and digits', () => {
    fc.assert(
      fc.property(noise, (text) => expectNodeAgreement(text)),
      { numRuns: 10000 },
    );
  });

  it('on the full-width addresses requests arrive with, one character changed', () => {
    const full = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
    const edited = fc.tuple(full, fc.nat(), confusable).map(([g, at, c]) => {
      const text = g.map((x) => x.toString(16).padStart(4, '0')).join(':');
      const i = at % text.length;
      return text.slice(0, i) + c + text.slice(i + 1);
    });
    fc.assert(
      fc.property(edited, (text) => expectNodeAgreement(text)),
      { numRuns: 10000 },
    );
  });
});
