import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpAddress } from '../address/ip-address.js';
import { formatIPv4 } from '../address/ipv4.js';
import type { Entry, EntryInput } from '../entry/entry.js';
import { parseEntry } from '../entry/parse-entry.js';
import { IpGateError, isIpGateError } from '../errors/ip-gate-error.js';
import { IpSet, type IpSetSource } from './ip-set.js';

const MAX4 = 0xffffffffn;
const MAX6 = (1n << 128n) - 1n;
/** `::ffff:0.0.0.0` and `::ffff:255.255.255.255`: the IPv4-mapped block. */
const MF = 0xffff00000000n;
const ML = 0xffffffffffffn;

const fmt4 = (v: bigint): string => IpAddress.fromBigInt(4, v).toString();
const fmt6 = (v: bigint): string => IpAddress.fromBigInt(6, v).toString();

/**
 * The naive model: one space in which IPv4 address p IS ::ffff:p (what "mapped addresses match as IPv4"
 * means), so containment is one bigint comparison.
 */
function unified(a: IpAddress): bigint {
  return a.family === 4 ? MF + a.toBigInt() : a.toBigInt();
}

interface RefEntry {
  lo: bigint;
  hi: bigint;
}

function refOfEntry(e: Entry): RefEntry {
  return { lo: unified(e.first), hi: unified(e.last) };
}

function expectNoMatch(set: IpSet, query: string): void {
  expect(set.has(query), query).toBe(false);
  expect(set.match(query), query).toBeUndefined();
}

// ---------------------------------------------------------------------------------------------

describe('IPv4-mapped addresses match as IPv4, and nothing else is unmapped', () => {
  const v4set = IpSet.from(['10.0.0.0/8', '192.0.2.1', '198.51.100.0 - 198.51.100.255']);

  it.each([
    ['::ffff:10.1.2.3', 0],
    ['::FFFF:10.1.2.3', 0],
    ['::ffff:a01:203', 0],
    ['0:0:0:0:0:ffff:10.1.2.3', 0],
    ['0000:0000:0000:0000:0000:FFFF:0A01:0203', 0],
    ['::ffff:192.0.2.1', 1],
    ['::ffff:198.51.100.255', 2],
  ])('an IPv4 entry matches the mapped query %s', (query, index) => {
    expect(v4set.has(query)).toBe(true);
    expect(v4set.match(query)?.index).toBe(index);
    expect(v4set.hasAddress(IpAddress.parse(query))).toBe(true);
    expect(v4set.matchAddress(IpAddress.parse(query))?.index).toBe(index);
  });

  it.each([
    ['::10.1.2.3', 'IPv4-compatible'],
    ['::a01:203', 'IPv4-compatible in hex'],
    ['::192.0.2.1', 'IPv4-compatible'],
    ['64:ff9b::10.1.2.3', 'NAT64'],
    ['64:ff9b::c000:201', 'NAT64 in hex'],
    ['64:ff9b:1::10.1.2.3', 'local-use NAT64'],
    ['2002:a01:203::1', '6to4 of 10.1.2.3'],
    ['2002:c000:201::', '6to4 of 192.0.2.1'],
    ['2001:0:4136:e378:8000:63bf:f5fe:fdfc', 'Teredo, client 10.1.2.3'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdfe', 'Teredo, client 192.0.2.1'],
    ['::ffff:0:10.1.2.3', 'SIIT IPv4-translated'],
    ['fe80::ffff:10.1.2.3', 'link-local with a mapped-looking tail'],
    ['::fffe:10.1.2.3', 'one bit below the mapped prefix'],
    ['::1:ffff:10.1.2.3', 'mapped tail below a non-zero group'],
    ['1::ffff:10.1.2.3', 'mapped tail, non-zero first group'],
  ])('%s (%s) never matches an IPv4 entry', (query) => {
    expect(IpAddress.tryParse(query)).toBeDefined();
    expectNoMatch(v4set, query);
    expect(v4set.hasAddress(IpAddress.parse(query))).toBe(false);
  });

  it.each([
    ['::ffff:10.0.0.0/104', '10.1.2.3'],
    ['::ffff:a00:0/104', '10.1.2.3'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::ffff:10.0.0.1-::ffff:10.0.0.9', '10.0.0.9'],
    ['::ffff:0:0/96', '0.0.0.0'],
    ['::ffff:0:0/96', '255.255.255.255'],
  ])('the mapped entry %s matches the IPv4 query %s (and its mapped form)', (entry, query) => {
    const set = IpSet.from(['2001:db8::/32', entry]);
    expect(set.has(query)).toBe(true);
    expect(set.match(query)?.index).toBe(1);
    expect(set.has(`::ffff:${query}`)).toBe(true);
    expect(set.hasAddress(IpAddress.parse(query))).toBe(true);
  });

  it('IPv6 entries outside the mapped block never match IPv4 queries', () => {
    const set = IpSet.from([
      '::/96',
      '64:ff9b::/96',
      '2002::/16',
      '2001::/32',
      '::ffff:0:0:0/96',
      'fe80::/10',
    ]);
    for (const q of ['10.1.2.3', '0.0.0.0', '255.255.255.255', '::ffff:10.1.2.3', '192.0.2.1'])
      expectNoMatch(set, q);
    // ... while the IPv6 addresses they really hold do match.
    for (const q of [
      '::10.1.2.3',
      '64:ff9b::10.1.2.3',
      '2002:a01:203::1',
      '2001:0:4136:e378:8000:63bf:f5fe:fdfc',
    ]) {
      expect(set.has(q), q).toBe(true);
    }
  });

  it('an IPv6 range across the edges of the mapped block matches exactly its addresses', () => {
    const set = IpSet.from(['::fffe:ffff:ffff-::1:0:0:0']);
    for (const q of [
      '::fffe:ffff:ffff',
      '0.0.0.0',
      '::ffff:0.0.0.0',
      '1.2.3.4',
      '255.255.255.255',
      '::1:0:0:0',
    ]) {
      expect(set.has(q), q).toBe(true);
    }
    for (const q of ['::fffe:ffff:fffe', '::1:0:0:1', '::', 'ffff::']) expectNoMatch(set, q);
    expect(set.addressCount(4)).toBe(1n << 32n);
    expect(set.addressCount(6)).toBe(2n);
  });

  it('a query is in the set exactly when its mapped form is', () => {
    const set = IpSet.from([
      '10.0.0.0/8',
      '::ffff:192.168.0.0/112',
      '0.0.0.0',
      '::ffff:255.255.255.255',
      '2001:db8::/32',
    ]);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX4 }), (v) => {
        const text = fmt4(v);
        expect(set.has(text)).toBe(set.has(`::ffff:${text}`));
        expect(set.has(text)).toBe(set.has(fmt6(MF + v)));
      }),
      { numRuns: 500, examples: [[0n], [MAX4], [0x0a000000n], [0x09ffffffn], [0xc0a80000n], [0xc0a8ffffn]] },
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('has, hasAddress, match', () => {
  it('has() reads a dotted quad of 15 characters (the longest) as IPv4, and nothing longer', () => {
    const set = IpSet.from(['255.255.255.0/24', '192.168.100.0/24']);
    expect(['255.255.255.255', '192.168.100.100', '::ffff:192.168.100.100'].map((q) => set.has(q))).toEqual([
      true,
      true,
      true,
    ]);
    expect(['192.168.100.100 ', '0192.168.100.100', '192.168.100.1000'].map((q) => set.has(q))).toEqual([
      false,
      false,
      false,
    ]);
  });

  it.each([
    ['10.1.2.3', 3],
    ['10.1.2.4', 2],
    ['10.1.2.255', 2],
    ['10.1.3.0', 1],
    ['10.1.255.255', 1],
    ['10.2.0.0', 0],
    ['10.0.0.0', 0],
    ['10.255.255.255', 0],
    ['11.0.0.0', undefined],
    ['9.255.255.255', undefined],
  ])('nested entries: %s is decided by entry %s (the most specific)', (query, index) => {
    const list = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3'];
    expect(IpSet.from(list).match(query)?.index).toBe(index);
    // The order of the list does not change which entry decides.
    const reversed = [...list].reverse();
    const r = IpSet.from(reversed).match(query);
    expect(r === undefined ? undefined : list.indexOf(reversed[r.index] as string)).toBe(index);
  });

  it.each([
    ['10.0.0.0', [0]],
    ['10.0.0.49', [0]],
    ['10.0.0.50', [0, 1]],
    ['10.0.0.100', [0, 1]],
    ['10.0.0.101', [1]],
    ['10.0.0.200', [1]],
    ['10.0.0.201', []],
  ])('partially overlapping ranges: %s is matched by one of %j', (query, allowed) => {
    const set = IpSet.from(['10.0.0.0-10.0.0.100', '10.0.0.50 - 10.0.0.200']);
    const m = set.match(query);
    if (allowed.length === 0) expect(m).toBeUndefined();
    else expect(allowed).toContain(m?.index);
  });

  it('duplicates: the earliest in the list decides', () => {
    const set = IpSet.from([
      '192.0.2.0/24',
      { value: '10.0.0.0/8', name: 'first' },
      { value: '10.0.0.0 - 10.255.255.255', name: 'second' },
      { value: '10/8', name: 'third' },
      { value: '::ffff:10.0.0.0/104', name: 'mapped' },
    ]);
    expect(set.match('10.9.9.9')).toEqual({ index: 1, name: 'first', id: undefined, value: '10.0.0.0/8' });
    expect(set.match('::ffff:10.9.9.9')?.index).toBe(1);
  });

  it('returns the name, id and the value as written', () => {
    const parsed: Entry = parseEntry('2001:DB8::/32');
    const input: EntryInput = {
      value: ' 203.0.113.0 - 203.0.113.9 ',
      name: 'office',
      id: 'e-17',
      type: 'range',
    };
    const set = IpSet.from(['198.51.100.7', input, parsed]);
    expect(set.match('198.51.100.7')).toEqual({
      index: 0,
      name: undefined,
      id: undefined,
      value: '198.51.100.7',
    });
    expect(set.match('203.0.113.9')).toEqual({
      index: 1,
      name: 'office',
      id: 'e-17',
      value: ' 203.0.113.0 - 203.0.113.9 ',
    });
    expect(set.match('2001:db8::1')).toEqual({
      index: 2,
      name: undefined,
      id: undefined,
      value: '2001:DB8::/32',
    });
    expect(set.entryAt(1).canonical).toBe('203.0.113.0-203.0.113.9');
    expect(set.entryAt(2)).toBe(parsed);
    expect(set.entryAt(0).type).toBe('ip');
    expect(() => set.entryAt(3)).toThrow(RangeError);
    expect(set.size).toBe(3);
  });

  it('gives each entry as it was given, by position', () => {
    const set = IpSet.from(['10/8', { value: '192.0.2.1', id: 'ent_1', name: 'office' }]);
    expect(set.sourceAt(0)).toEqual({ index: 0, id: undefined, name: undefined, value: '10/8' });
    expect(set.sourceAt(1)).toEqual({ index: 1, id: 'ent_1', name: 'office', value: '192.0.2.1' });
    expect(() => set.sourceAt(2)).toThrow(RangeError);
  });

  it('gives back every entry of a long list of strings exactly as written, plain or not', () => {
    // Long lists of plain `a.b.c.d[/len]` text keep address and length and print the text again
    // (set-sources.ts); anything else must come back untouched, in its place.
    const plain = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })).map(([a, len]) => {
        const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
        return `${formatIPv4((a & mask) >>> 0)}/${len}`;
      }),
      fc.integer({ min: 0, max: 0xffffffff }).map(formatIPv4),
    );
    const other = fc.constantFrom(
      '10/8',
      ' 10.0.0.1',
      '10.0.0.1 ',
      '192.168.0/16',
      '192.0.2.1-9',
      '10.0.0.0/8 ',
      '192.0.2.0/255.255.255.0',
      '192.0.2.1-192.0.2.9',
      '2001:db8::/32',
      '::ffff:10.0.0.1',
      '0.0.0.0/0',
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ arbitrary: plain, weight: 4 }, { arbitrary: other, weight: 1 }), {
          minLength: 60,
          maxLength: 200,
        }),
        (values) => {
          const set = IpSet.from(values);
          expect(set.size).toBe(values.length);
          values.forEach((value, index) => {
            expect(set.sourceAt(index)).toEqual({ index, id: undefined, name: undefined, value });
          });
          expect(() => set.sourceAt(values.length)).toThrow(RangeError);
          expect(() => set.sourceAt(-1)).toThrow(RangeError);
        },
      ),
      { numRuns: 200 },
    );
    // Mostly other text (not packed), and all plain (nothing but numbers kept).
    const mostlyOther = Array.from({ length: 100 }, (_, k) =>
      k % 3 === 0 ? `10.0.${k}.0/24` : `2001:db8:${k}::/48`,
    );
    const allPlain = Array.from({ length: 100 }, (_, k) => (k % 2 === 0 ? `10.0.${k}.1` : `10.1.${k}.0/24`));
    for (const values of [mostlyOther, allPlain]) {
      const set = IpSet.from(values);
      expect(values.map((_, k) => set.sourceAt(k).value)).toEqual(values);
      expect(set.match(values[0] === '10.0.0.0/24' ? '10.0.0.7' : '10.0.0.1')?.value).toBe(values[0]);
    }
  });

  const everything = IpSet.from(['0.0.0.0/0', '::/0']);
  it.each([
    ' 10.0.0.1',
    '10.0.0.1 ',
    '10.0.0.1\n',
    '10.0.0.1\u0000',
    '010.0.0.1',
    '10.0.0.01',
    '10.0.0.1/32',
    '10.0.0.0/8',
    '10.0.0.1-10.0.0.2',
    '10.0.0.1:80',
    '',
    ' ',
    '127.1',
    '2130706433',
    '0x7f.0.0.1',
    'localhost',
    '[::1]',
    '[::1]:80',
    '::1%lo',
    'fe80::1%eth0',
    '::ffff:127.1',
    '::ffff:010.0.0.1',
    '1.2.3.4.',
    '\uff11.2.3.4',
    '1:2:3:4:5:6:7:8:9',
  ])('the invalid query %j is never matched, not even by 0.0.0.0/0 and ::/0 (fail closed)', (query) => {
    expectNoMatch(everything, query);
    expect(IpSet.from(['10.0.0.0/8', '127.0.0.0/8', '::1', '1.2.3.4', '::ffff:0:0/96']).has(query)).toBe(
      false,
    );
  });

  it('the empty set matches nothing', () => {
    for (const set of [IpSet.empty, IpSet.from([]), IpSet.from(new Set<string>())]) {
      expect(set.isEmpty).toBe(true);
      expect(set.size).toBe(0);
      expect(set.ranges()).toEqual([]);
      expect(set.addressCount(4)).toBe(0n);
      expect(set.addressCount(6)).toBe(0n);
      for (const q of [
        '0.0.0.0',
        '255.255.255.255',
        '::',
        '::ffff:1.2.3.4',
        'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      ]) {
        expectNoMatch(set, q);
        expect(set.hasAddress(IpAddress.parse(q))).toBe(false);
        expect(set.matchAddress(IpAddress.parse(q))).toBeUndefined();
      }
    }
  });

  it('0.0.0.0/0 holds every IPv4 address and no IPv6 one; ::/0 the other way round (plus mapped IPv4)', () => {
    const all4 = IpSet.from(['0.0.0.0/0']);
    for (const q of ['0.0.0.0', '255.255.255.255', '127.0.0.1', '::ffff:1.2.3.4'])
      expect(all4.has(q)).toBe(true);
    for (const q of ['::', '::1', '::1.2.3.4', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'])
      expectNoMatch(all4, q);
    const all6 = IpSet.from(['::/0']);
    for (const q of ['::', '::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::ffff:1.2.3.4'])
      expect(all6.has(q)).toBe(true);
    expect(all4.isEmpty).toBe(false);
  });

  // Every entry's first and last address are in; one before and one after are out.
  const boundaryList = [
    '0.0.0.0',
    '1.0.0.0/24',
    '2.0.0.0-2.0.0.9',
    '3.3.3.3',
    '4.4.4.10-20',
    '5.5/16',
    '6.0.0.0/255.255.255.128',
    '255.255.255.255',
    '::',
    '2001:db8::/64',
    '2001:db8:1::5 - 2001:db8:1::9',
    '2001:db8:2::1',
    'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  ];
  const boundarySet = IpSet.from(boundaryList);
  it.each(boundaryList.map((s, k) => [s, k] as const))('boundaries of %s', (text, index) => {
    const e = parseEntry(text);
    const first = e.first.toBigInt();
    const last = e.last.toBigInt();
    const max = e.family === 4 ? MAX4 : MAX6;
    const f = (v: bigint) => IpAddress.fromBigInt(e.family, v).toString();
    expect(boundarySet.match(f(first))?.index).toBe(index);
    expect(boundarySet.match(f(last))?.index).toBe(index);
    expect(boundarySet.match(f((first + last) / 2n))?.index).toBe(index);
    if (first > 0n) expectNoMatch(boundarySet, f(first - 1n));
    if (last < max) expectNoMatch(boundarySet, f(last + 1n));
  });

  it('IpSet.from throws the IpGateError of the first bad entry, with its index', () => {
    const good = ['10.0.0.0/8', '192.0.2.1', '2001:db8::/32', '198.51.100.0-198.51.100.9', '203.0.113.0/24'];
    for (const [k, bad, code] of [
      [0, '127.1', 'IPG_ADDRESS_AMBIGUOUS_IPV4'],
      [2, '10.0.0.1/8', 'IPG_ENTRY_HOST_BITS'],
      [3, '', 'IPG_ENTRY_EMPTY'],
      [5, '1.2.3.4, 5.6.7.8', 'IPG_ENTRY_LIST'],
    ] as const) {
      const list: IpSetSource[] = [...good];
      list.splice(k, 0, bad, '0x7f.0.0.1');
      let thrown: unknown;
      try {
        IpSet.from(list);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(IpGateError);
      expect(isIpGateError(thrown)).toBe(true);
      const e = thrown as IpGateError;
      expect(e.code).toBe(code);
      expect(e.index).toBe(k);
      expect(e.message.startsWith(`entry ${k + 1}: `)).toBe(true);
      expect(e.input).toBe(bad);
      expect(e.toJSON().index).toBe(k);
    }
  });

  it('a typed entry of the wrong type fails the build with its index and field', () => {
    let thrown: unknown;
    try {
      IpSet.from(['10.0.0.0/8', { value: '10.0.0.0/8', type: 'ip' }]);
    } catch (e) {
      thrown = e;
    }
    expect((thrown as IpGateError).code).toBe('IPG_ENTRY_TYPE_MISMATCH');
    expect((thrown as IpGateError).index).toBe(1);
    expect((thrown as IpGateError).field).toBe('type');
  });
});

// ---------------------------------------------------------------------------------------------

/** Binary search in sorted, disjoint [lo, hi, index] intervals: a reference independent of the tables. */
function searchDisjoint(
  intervals: readonly (readonly [bigint, bigint, number])[],
  p: bigint,
): number | undefined {
  let lo = 0;
  let hi = intervals.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = intervals[mid] as readonly [bigint, bigint, number];
    if (p < x[0]) hi = mid - 1;
    else if (p > x[1]) lo = mid + 1;
    else return x[2];
  }
  return undefined;
}

describe('middle-sized sets (an index of about one bucket per segment, 32 to 4095 segments)', () => {
  it.each([31, 32, 33, 100, 1000, 1024, 1025, 4095])(
    'IPv4, %i disjoint segments: every edge and a spread of points agree with a reference',
    (n) => {
      // Segments of varied widths spread over the space, some across bucket edges, the last reaching the top.
      const texts: string[] = [];
      const step = (MAX4 + 1n) / BigInt(n);
      for (let k = 0n; k < BigInt(n); k++) {
        const lo = k * step + ((k * 7919n) % (step / 2n));
        const hi = k === BigInt(n) - 1n ? MAX4 : lo + ((k * 104729n) % (step / 2n));
        texts.push(`${fmt4(lo)}-${fmt4(hi)}`);
      }
      const set = IpSet.from(texts);
      const intervals = texts.map(
        (t, k) => [parseEntry(t).first.toBigInt(), parseEntry(t).last.toBigInt(), k] as const,
      );
      const queries = new Set<bigint>([0n, 1n, MAX4]);
      for (const [lo, hi] of intervals)
        for (const q of [lo - 1n, lo, (lo + hi) / 2n, hi, hi + 1n]) if (q >= 0n && q <= MAX4) queries.add(q);
      for (let k = 0n; k < 2000n; k++) queries.add((k * 2654435761n) % (MAX4 + 1n));
      for (const q of queries) expect(set.match(fmt4(q))?.index, fmt4(q)).toBe(searchDisjoint(intervals, q));
    },
  );
});

describe('large sets (bucket index, more than 4096 segments)', () => {
  it('IPv4: disjoint segments spanning bucket boundaries, and one spanning 512 empty buckets', () => {
    const B = 65536n;
    const texts: string[] = ['0.0.0.0'];
    for (let b = 1n; b <= 3000n; b++) {
      const c = b * 16n * B;
      texts.push(`${fmt4(c - 3n)}-${fmt4(c + 3n)}`); // across the boundary of bucket 16b
      texts.push(`${fmt4(c + B + 10n)}-${fmt4(c + B + 20n)}`); // inside bucket 16b+1
    }
    texts.push('200.0.0.0/7', '255.255.255.255');
    const set = IpSet.from(texts);
    const intervals = texts
      .map((t, k) => [parseEntry(t).first.toBigInt(), parseEntry(t).last.toBigInt(), k] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const queries = new Set<bigint>([0n, 1n, MAX4, MAX4 - 1n]);
    for (const [lo, hi] of intervals) {
      for (const q of [lo - 1n, lo, lo + 1n, (lo + hi) / 2n, hi - 1n, hi, hi + 1n])
        if (q >= 0n && q <= MAX4) queries.add(q);
    }
    for (let b = 0n; b < 65536n; b += 7n)
      for (const d of [-1n, 0n, 1n]) if (b * B + d >= 0n) queries.add(b * B + d);
    for (let k = 0n; k < 5000n; k++) queries.add((k * 2654435761n) % (MAX4 + 1n));
    const actual: (number | undefined)[] = [];
    const expected: (number | undefined)[] = [];
    for (const q of queries) {
      actual.push(set.match(fmt4(q))?.index);
      expected.push(searchDisjoint(intervals, q));
    }
    expect(actual).toEqual(expected);
    expect(expected.filter((x) => x !== undefined).length).toBeGreaterThan(20000);
    expect(set.has('200.128.0.0')).toBe(true);
    expect(set.has('201.255.255.255')).toBe(true);
    expect(set.has('202.0.0.0')).toBe(false);
  });

  it('IPv4: thousands of nested pairs (the overlap sweep) across bucket boundaries', () => {
    const step = 16n * 65536n;
    const texts: string[] = [];
    for (let b = 1n; b <= 2500n; b++) {
      const c = b * step;
      texts.push(`${fmt4(c - 100n)}-${fmt4(c + 100n)}`, `${fmt4(c - 1n)}-${fmt4(c + 1n)}`);
    }
    const set = IpSet.from(texts);
    const expectedOf = (q: bigint): number | undefined => {
      const b = (q + step / 2n) / step;
      if (b < 1n || b > 2500n) return undefined;
      const d = q - b * step;
      const k = Number(b - 1n) * 2;
      if (d >= -1n && d <= 1n) return k + 1;
      if (d >= -100n && d <= 100n) return k;
      return undefined;
    };
    const actual: (number | undefined)[] = [];
    const expected: (number | undefined)[] = [];
    for (let b = 0n; b <= 2501n; b++) {
      for (const d of [-101n, -100n, -2n, -1n, 0n, 1n, 2n, 100n, 101n]) {
        const q = b * step + d;
        if (q < 0n || q > MAX4) continue;
        actual.push(set.match(fmt4(q))?.index);
        expected.push(expectedOf(q));
      }
    }
    expect(actual).toEqual(expected);
  });

  it.each([
    ['spread over the whole space (no shared word)', 0n, 96n],
    ['inside one /32 (first word shared)', 0x20010db8n << 96n, 64n],
    ['inside one /64 (two words shared)', 0x20010db8n << 96n, 32n],
  ])('IPv6: 5000 segments %s, across bucket boundaries', (_name, base, shift) => {
    // Bucket boundaries of the first unshared word sit at multiples of 2^(shift+16).
    const unit = 1n << (shift + 16n);
    const texts: string[] = [];
    for (let b = 1n; b <= 2500n; b++) {
      const c = base + b * 4n * unit;
      texts.push(`${fmt6(c - 3n)}-${fmt6(c + 3n)}`);
      // Two tiny neighbours that differ only in the last word: their 53-bit keys tie.
      texts.push(fmt6(c + 5n), `${fmt6(c + 7n)}/128`);
    }
    const set = IpSet.from(texts);
    const intervals = texts
      .map((t, k) => [parseEntry(t).first.toBigInt(), parseEntry(t).last.toBigInt(), k] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const queries = new Set<bigint>([0n, MAX6, base, base - 1n < 0n ? 0n : base - 1n]);
    for (const [lo, hi] of intervals) for (const q of [lo - 1n, lo, hi, hi + 1n]) queries.add(q);
    for (let b = 0n; b <= 2501n; b += 3n) {
      for (const d of [-4n, 0n, 4n, 6n, 8n]) queries.add(base + b * 4n * unit + d);
      queries.add(base + b * unit);
    }
    // Outside the shared words entirely.
    queries.add(base + (1n << 96n));
    queries.add(base === 0n ? MAX6 - 5n : base - (1n << 80n));
    const actual: (number | undefined)[] = [];
    const expected: (number | undefined)[] = [];
    for (const q of queries) {
      if (q < 0n || q > MAX6) continue;
      actual.push(set.match(fmt6(q))?.index);
      expected.push(searchDisjoint(intervals, q));
    }
    expect(actual).toEqual(expected);
    expect(expected.filter((x) => x !== undefined).length).toBeGreaterThan(10000);
  });
});

// ---------------------------------------------------------------------------------------------

describe('set algebra', () => {
  it('union, intersection, difference, overlaps, ranges and addressCount', () => {
    const a = IpSet.from(['10.0.0.0/8', '2001:db8::/32']);
    const b = IpSet.from(['10.1.0.0/16', '192.0.2.0/24', '2001:db8:1::/48']);
    const union = a.union(b);
    expect(union.ranges()).toEqual([
      { family: 4, first: 0x0a000000n, last: 0x0affffffn },
      { family: 4, first: 0xc0000200n, last: 0xc00002ffn },
      { family: 6, first: 0x20010db8n << 96n, last: (0x20010db9n << 96n) - 1n },
    ]);
    expect(union.has('192.0.2.1') && union.has('10.200.0.0') && union.has('2001:db8:ffff::')).toBe(true);
    const both = a.intersection(b);
    expect(both.ranges().map((r) => [r.family, r.first, r.last])).toEqual([
      [4, 0x0a010000n, 0x0a01ffffn],
      [6, (0x20010db8n << 96n) | (1n << 80n), ((0x20010db8n << 96n) | (2n << 80n)) - 1n],
    ]);
    const diff = a.difference(b);
    expect(diff.has('10.0.255.255')).toBe(true);
    expect(diff.has('10.1.0.0')).toBe(false);
    expect(diff.has('10.1.255.255')).toBe(false);
    expect(diff.has('10.2.0.0')).toBe(true);
    expect(diff.has('192.0.2.1')).toBe(false);
    expect(diff.addressCount(4)).toBe((1n << 24n) - (1n << 16n));
    expect(diff.addressCount(6)).toBe((1n << 96n) - (1n << 80n));
    expect(a.overlaps(b)).toBe(true);
    expect(IpSet.from(['10.0.0.0/8']).overlaps(IpSet.from(['11.0.0.0/8']))).toBe(false);
    expect(IpSet.from(['10.0.0.0/8']).overlaps(IpSet.from(['::ffff:10.0.0.0/104']))).toBe(true);
    expect(IpSet.from(['10.0.0.0/8']).overlaps(IpSet.from(['::10.0.0.0/104']))).toBe(false);
    expect(
      IpSet.from(['10.0.0.0/9'])
        .union(IpSet.from(['10.128.0.0/9']))
        .ranges(),
    ).toHaveLength(1);
    expect(IpSet.from(['::/0']).addressCount(6)).toBe((1n << 128n) - (1n << 32n));
    expect(IpSet.from(['::/0']).addressCount(4)).toBe(1n << 32n);
    expect(IpSet.from(['::ffff:10.0.0.0/104']).ranges()).toEqual([
      { family: 4, first: 0x0a000000n, last: 0x0affffffn },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests against the naive model.

interface Generated {
  sources: IpSetSource[];
  texts: string[];
  refs: RefEntry[];
  queries: string[];
}

const MAX_SMALL = [0n, 1n, 2n, 3n, 7n, 255n, 256n, 65535n, 1n << 32n];

/** Renders unified bounds as an entry in one of the forms, as IPv4 text when they lie in the mapped block. */
function render(g: fc.GeneratorValue, lo: bigint, hi: bigint): string {
  const size = hi - lo + 1n;
  const aligned = (size & (size - 1n)) === 0n && lo % size === 0n;
  const bits = size.toString(2).length - 1;
  const space = g(fc.constantFrom, '-', ' - ', '- ');
  if (lo >= MF && hi <= ML && g(fc.boolean)) {
    const a = lo - MF;
    const b = hi - MF;
    if (a === b && g(fc.boolean)) return fmt4(a);
    if (aligned) {
      const len = 32 - bits;
      const form = g(fc.integer, { min: 0, max: 2 });
      if (form === 1)
        return `${fmt4(a)}/${fmt4(len === 0 ? 0n : (MAX4 >> BigInt(32 - len)) << BigInt(32 - len))}`;
      if (form === 2 && len <= 24) {
        const parts = fmt4(a).split('.');
        return `${parts.slice(0, Math.max(1, Math.ceil(len / 8))).join('.')}/${len}`;
      }
      return `${fmt4(a)}/${len}`;
    }
    if (a >> 8n === b >> 8n && g(fc.boolean)) return `${fmt4(a)}-${b & 255n}`;
    return `${fmt4(a)}${space}${fmt4(b)}`;
  }
  if (lo === hi && g(fc.boolean)) return fmt6(lo);
  if (aligned && g(fc.boolean)) return `${fmt6(lo)}/${128 - bits}`;
  return `${fmt6(lo)}${space}${fmt6(hi)}`;
}

/** A unified point as query text: IPv4, or any spelling of the mapped form, or IPv6. */
function query(g: fc.GeneratorValue, p: bigint): string {
  if (p >= MF && p <= ML) {
    const v = p - MF;
    switch (g(fc.integer, { min: 0, max: 3 })) {
      case 0:
        return fmt4(v);
      case 1:
        return fmt6(p);
      case 2:
        return `::ffff:${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
      default:
        return `0:0:0:0:0:FFFF:${fmt4(v)}`;
    }
  }
  return g(fc.boolean) ? fmt6(p) : fmt6(p).toUpperCase();
}

function generate(g: fc.GeneratorValue, allowStraddling: boolean): Generated {
  // A few anchors; entries sit around them, so that they nest, overlap and repeat.
  const anchors: bigint[] = [];
  const anchorCount = g(fc.integer, { min: 1, max: 4 });
  for (let k = 0; k < anchorCount; k++) {
    switch (g(fc.integer, { min: 0, max: 5 })) {
      case 0:
      case 1:
        anchors.push(MF + g(fc.bigInt, { min: 0n, max: MAX4 })); // IPv4
        break;
      case 2:
        anchors.push(g(fc.bigInt, { min: 0n, max: MAX6 }));
        break;
      case 3:
        anchors.push(g(fc.constantFrom, MF, ML, MF - 1n, ML + 1n, MF + 1n, ML - 1n)); // the mapped block's edges
        break;
      case 4:
        anchors.push(g(fc.constantFrom, 0n, 1n, MAX6, MAX6 - 1n, MF + 0x0a000000n));
        break;
      default:
        anchors.push((0x20010db8n << 96n) + g(fc.bigInt, { min: 0n, max: 1n << 40n }));
    }
  }
  const texts: string[] = [];
  const refs: RefEntry[] = [];
  const count = g(fc.integer, { min: 0, max: 12 });
  for (let k = 0; k < count; k++) {
    const a = anchors[g(fc.integer, { min: 0, max: anchors.length - 1 })] as bigint;
    let lo: bigint;
    let hi: bigint;
    if (g(fc.boolean)) {
      // an aligned block around the anchor
      const inMapped = a >= MF && a <= ML;
      const bits = BigInt(
        g(fc.constantFrom, 0, 1, 2, 3, 4, 8, 12, 16, 24, ...(inMapped ? [32] : [32, 40, 64, 96, 120])),
      );
      lo = (a >> bits) << bits;
      hi = lo + (1n << bits) - 1n;
    } else {
      const down = g(fc.constantFrom, ...MAX_SMALL);
      const up = g(fc.constantFrom, ...MAX_SMALL);
      lo = a >= down ? a - down : 0n;
      hi = a + up > MAX6 ? MAX6 : a + up;
    }
    const straddles = (lo < MF && hi >= MF) || (lo <= ML && hi > ML);
    if (straddles && !allowStraddling) continue;
    texts.push(render(g, lo, hi));
    refs.push({ lo, hi });
  }
  // Sources: strings, named inputs, or parsed entries.
  const sources: IpSetSource[] = texts.map((t, k) => {
    switch (g(fc.integer, { min: 0, max: 2 })) {
      case 0:
        return t;
      case 1:
        return { value: t, name: `n${k}`, id: `id${k}` };
      default:
        return parseEntry(t);
    }
  });
  const queries: string[] = [];
  const points: bigint[] = [...anchors];
  for (const r of refs) points.push(r.lo, r.hi, (r.lo + r.hi) / 2n);
  for (let k = 0; k < 24; k++) {
    const base = points[g(fc.integer, { min: 0, max: points.length - 1 })] as bigint;
    const p = base + g(fc.constantFrom, -1n, 0n, 0n, 1n, -2n, 2n);
    if (p >= 0n && p <= MAX6) queries.push(query(g, p));
  }
  queries.push(
    query(g, g(fc.bigInt, { min: 0n, max: MAX6 })),
    query(g, MF + g(fc.bigInt, { min: 0n, max: MAX4 })),
  );
  return { sources, texts, refs, queries };
}

describe('IpSet against the naive model', () => {
  it('has, hasAddress, match and matchAddress agree with a linear scan over bigint bounds', () => {
    let hits = 0;
    let misses = 0;
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const { sources, texts, refs, queries } = generate(g, true);
        // The generator's bounds are what the parser reads too (the reference is about the set, not the parser).
        expect(texts.map((t) => refOfEntry(parseEntry(t)))).toEqual(refs);
        const set = IpSet.from(sources);
        for (const q of queries) {
          const p = unified(IpAddress.parse(q));
          const containing = refs.flatMap((r, k) => (r.lo <= p && p <= r.hi ? [k] : []));
          expect(set.has(q), q).toBe(containing.length > 0);
          if (containing.length > 0) hits++;
          else misses++;
          expect(set.hasAddress(IpAddress.parse(q)), q).toBe(containing.length > 0);
          const m = set.match(q);
          expect(set.matchAddress(IpAddress.parse(q))).toEqual(m);
          if (m === undefined) {
            expect(containing).toEqual([]);
            continue;
          }
          expect(containing).toContain(m.index);
          const source = sources[m.index] as IpSetSource;
          expect(m.value).toBe(texts[m.index]);
          expect(m.name).toBe(typeof source === 'object' && 'value' in source ? source.name : undefined);
        }
      }),
      { numRuns: 250 },
    );
    // The queries must land on both sides of the boundaries, or the property says little.
    expect(hits).toBeGreaterThan(1000);
    expect(misses).toBeGreaterThan(1000);
  });

  it('match returns a most specific entry: none nested inside it contains the address; duplicates go to the earliest', () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const { sources, refs, queries } = generate(g, false);
        const set = IpSet.from(sources);
        for (const q of queries) {
          const p = unified(IpAddress.parse(q));
          const m = set.match(q);
          if (m === undefined) continue;
          const r = refs[m.index] as RefEntry;
          refs.forEach((o, k) => {
            if (k === m.index || o.lo > p || p > o.hi) return;
            const inside = r.lo <= o.lo && o.hi <= r.hi;
            const same = o.lo === r.lo && o.hi === r.hi;
            expect(inside && !same, `${q}: entry ${k} is nested inside entry ${m.index}`).toBe(false);
            if (same) expect(m.index, `${q}: duplicate ${k} comes earlier`).toBeLessThan(k);
          });
        }
      }),
      { numRuns: 250 },
    );
  });

  // An IPv6 entry reaching past the mapped block is clipped to its mapped part in the IPv4 table; where
  // that part ties with an IPv4 entry, the entry that is really narrower explains the match.
  it.each([
    [['::/0', '0.0.0.0/0'], '1.2.3.4', 1],
    [['::fffe:ffff:ffff-::ffff:10.0.0.255', '0.0.0.0-10.0.0.255'], '1.2.3.4', 1],
    [['::fffe:0:0/95', '::ffff:0:0/96'], '::ffff:1.2.3.4', 1],
  ])('%j: %s is explained by the narrower entry %d', (list, q, index) => {
    expect(IpSet.from(list).match(q)?.index).toBe(index);
  });

  it('union, intersection, difference and overlaps agree with has() point by point', () => {
    // Entries crowded in 10.0.0.0..+63 (as IPv4 or mapped) and 2001:db8::..+63, so every address is checked.
    const W4 = 0x0a000000n;
    const W6 = 0x20010db8n << 96n;
    const entry = fc
      .tuple(
        fc.integer({ min: 0, max: 2 }),
        fc.bigInt({ min: 0n, max: 63n }),
        fc.bigInt({ min: 0n, max: 63n }),
      )
      .map(([kind, x, y]) => {
        const [lo, hi] = x <= y ? [x, y] : [y, x];
        if (kind === 0) return `${fmt4(W4 + lo)}-${fmt4(W4 + hi)}`;
        if (kind === 1) return `${fmt6(MF + W4 + lo)}-${fmt6(MF + W4 + hi)}`;
        return `${fmt6(W6 + lo)}-${fmt6(W6 + hi)}`;
      });
    const points: string[] = [];
    for (let k = -1n; k <= 64n; k++) points.push(fmt4(W4 + k), fmt6(W6 + k));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), fc.array(entry, { maxLength: 6 }), (la, lb) => {
        const a = IpSet.from(la);
        const b = IpSet.from(lb);
        const u = a.union(b);
        const i = a.intersection(b);
        const d = a.difference(b);
        const actual = points.map((p) => [u.has(p), i.has(p), d.has(p)]);
        const expected = points.map((p) => [
          a.has(p) || b.has(p),
          a.has(p) && b.has(p),
          a.has(p) && !b.has(p),
        ]);
        expect(actual).toEqual(expected);
        expect(a.overlaps(b)).toBe(points.some((p) => a.has(p) && b.has(p)));
        const count4 = BigInt(points.filter((p) => !p.includes(':') && a.has(p)).length);
        const count6 = BigInt(points.filter((p) => p.includes(':') && a.has(p)).length);
        expect(a.addressCount(4)).toBe(count4);
        expect(a.addressCount(6)).toBe(count6);
        expect(a.isEmpty).toBe(count4 + count6 === 0n);
      }),
      { numRuns: 150 },
    );
  });
});

describe('IpSet.has answers from the union of the IPv4 segments', () => {
  it.each([
    ['indexed lists up to 3,000 ranges', 1, 3000, 60],
    ['lists of 4,096 segments and more (membership from the boundaries)', 4500, 6000, 12],
  ])(
    'agrees with match on %s, touching ranges and the ends of the space',
    (_name, minLength, maxLength, numRuns) => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              start: fc.integer({ min: 0, max: 0xffffffff }),
              size: fc.integer({ min: 0, max: 4096 }),
            }),
            { minLength, maxLength },
          ),
          fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 200, maxLength: 200 }),
          (ranges, probes) => {
            const texts = ranges.map(({ start, size }) => {
              const end = Math.min(0xffffffff, start + size);
              return `${formatIPv4(start)}-${formatIPv4(end)}`;
            });
            // Touching ranges (one ends where the next begins) and both ends of the address space.
            texts.push(
              '10.0.0.0-10.0.0.9',
              '10.0.0.10-10.0.0.19',
              '255.255.255.250-255.255.255.255',
              '0.0.0.0',
            );
            const set = IpSet.from(texts);
            const queries = [
              ...probes,
              0,
              1,
              0xffffffff,
              0xfffffff9,
              0xfffffffa,
              0x0a000009,
              0x0a00000a,
              0x0a000013,
              0x0a000014,
            ];
            for (const q of queries) {
              // Each probe and its neighbours, where boundaries sit.
              for (const v of [q - 1, q, q + 1]) {
                if (v < 0 || v > 0xffffffff) continue;
                const text = formatIPv4(v);
                expect(set.has(text), text).toBe(set.match(text) !== undefined);
                expect(set.has(`::ffff:${text}`), text).toBe(set.match(text) !== undefined);
              }
            }
            for (const r of ranges) {
              const inside = formatIPv4(Math.min(0xffffffff, r.start + (r.size >> 1)));
              expect(set.has(inside), inside).toBe(true);
            }
          },
        ),
        // Shrinking thousands of ranges would take minutes: report the first failure as found.
        { numRuns, endOnFailure: true },
      );
    },
  );
});

describe('IpSet.withAddresses', () => {
  const small = fc.integer({ min: 0, max: 63 });
  const value = fc.oneof(
    small.map((o) => `10.0.0.${o}`),
    small.map((o) => `::ffff:10.0.0.${o}`),
    small.map((o) => `2001:db8::${o.toString(16)}`),
    fc.integer({ min: 0, max: 3 }).map((q) => `10.0.0.${q * 16}/28`),
    fc.integer({ min: 0, max: 3 }).map((q) => `2001:db8::${(q * 16).toString(16)}/124`),
    fc.constant('10.0.0.0 - 10.0.0.5'),
  );
  const single = fc.oneof(
    small.map((o) => `10.0.0.${o}`),
    small.map((o) => `::ffff:10.0.0.${o}`),
    small.map((o) => `2001:db8::${o.toString(16)}`),
    small.map((o) => `10.0.0.${o}/32`),
  );
  const probes = [
    ...Array.from({ length: 64 }, (_, o) => `10.0.0.${o}`),
    ...Array.from({ length: 64 }, (_, o) => `2001:db8::${o.toString(16)}`),
    '::ffff:10.0.0.9',
    '192.0.2.1',
  ];

  it('appended in steps, answers as IpSet.from of the whole list — or declines', () => {
    fc.assert(
      fc.property(
        fc.array(value, { maxLength: 30 }),
        fc.array(fc.array(single, { minLength: 1, maxLength: 6 }), { maxLength: 30 }),
        (base, steps) => {
          let set = IpSet.from(base);
          const all = [...base];
          for (const step of steps) {
            const next = set.withAddresses(step);
            if (next === undefined) {
              // Declined only when an address is in the set already.
              expect(step.some((v) => set.hasAddress(parseEntry(v).first))).toBe(true);
              set = IpSet.from([...all, ...step]);
            } else set = next;
            all.push(...step);
            const whole = IpSet.from(all);
            expect(set.size).toBe(whole.size);
            expect(set.isEmpty).toBe(whole.isEmpty);
            for (const p of probes) {
              expect(set.has(p), p).toBe(whole.has(p));
              expect(set.match(p), p).toEqual(whole.match(p));
              expect(set.matchAddress(IpAddress.parse(p)), p).toEqual(whole.matchAddress(IpAddress.parse(p)));
            }
            for (let i = 0; i < whole.size; i++) {
              expect(set.sourceAt(i)).toEqual(whole.sourceAt(i));
              expect(set.entryAt(i).canonical).toBe(whole.entryAt(i).canonical);
            }
            expect(set.ranges()).toEqual(whole.ranges());
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('declines what is not a single address or is listed already, and keeps a long run small', () => {
    const set = IpSet.from(['10.0.0.0/28']);
    expect(set.withAddresses(['192.0.2.0/30'])).toBeUndefined();
    expect(set.withAddresses(['10.0.0.3'])).toBeUndefined();
    expect(set.withAddresses(['192.0.2.1', '::ffff:10.0.0.2'])).toBeUndefined();
    expect(set.withAddresses([])).toBe(set);
    expect(() => set.withAddresses(['10.0.0.256'])).toThrow(IpGateError);
    // 3,000 addresses in batches of 37: folded into the tables now and then, every one still found.
    let grown = set;
    const added: string[] = [];
    for (let b = 0; b < 81; b++) {
      const batch = Array.from({ length: 37 }, (_, i) => `2001:db8:1::${(b * 37 + i).toString(16)}`);
      grown = grown.withAddresses(batch) ?? expect.fail('a new address was declined');
      added.push(...batch);
    }
    expect(grown.size).toBe(1 + added.length);
    for (const [i, a] of added.entries()) expect(grown.match(a)?.index).toBe(1 + i);
    expect(grown.match('10.0.0.1')?.index).toBe(0);
  });
});
