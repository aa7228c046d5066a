import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpAddress } from '../address/ip-address.js';
import { cidrCover } from './cidr-cover.js';

const v4 = (s: string): bigint => IpAddress.parse(s).toBigInt();
const v6 = (s: string): bigint => IpAddress.parse(s).toBigInt();
const MAX4 = 0xffffffffn;
const MAX6 = (1n << 128n) - 1n;

/** A block as [first, last], from "a/len". */
function bounds(family: 4 | 6, block: string): [bigint, bigint] {
  const [a, len] = block.split('/') as [string, string];
  const bits = family === 4 ? 32 : 128;
  const first = IpAddress.parse(a).toBigInt();
  const size = 1n << BigInt(bits - Number(len));
  return [first, first + size - 1n];
}

/** The reference: split the whole space recursively, keep blocks inside the range. Minimal by construction. */
function reference(family: 4 | 6, first: bigint, last: bigint): string[] {
  const bits = family === 4 ? 32 : 128;
  const out: string[] = [];
  const visit = (start: bigint, len: number): void => {
    const end = start + (1n << BigInt(bits - len)) - 1n;
    if (end < first || start > last) return;
    if (first <= start && end <= last) {
      out.push(`${IpAddress.fromBigInt(family, start).toString()}/${len}`);
      return;
    }
    visit(start, len + 1);
    visit(start + (1n << BigInt(bits - len - 1)), len + 1);
  };
  visit(0n, 0);
  return out;
}

describe('cidrCover', () => {
  it.each<[4 | 6, bigint, bigint, string[]]>([
    [
      4,
      v4('192.168.0.10'),
      v4('192.168.0.20'),
      ['192.168.0.10/31', '192.168.0.12/30', '192.168.0.16/30', '192.168.0.20/32'],
    ],
    [4, 0n, MAX4, ['0.0.0.0/0']],
    [4, 0n, 0n, ['0.0.0.0/32']],
    [4, MAX4, MAX4, ['255.255.255.255/32']],
    [
      4,
      1n,
      MAX4,
      [
        '0.0.0.1/32',
        '0.0.0.2/31',
        '0.0.0.4/30',
        '0.0.0.8/29',
        '0.0.0.16/28',
        '0.0.0.32/27',
        '0.0.0.64/26',
        '0.0.0.128/25',
        '0.0.1.0/24',
        '0.0.2.0/23',
        '0.0.4.0/22',
        '0.0.8.0/21',
        '0.0.16.0/20',
        '0.0.32.0/19',
        '0.0.64.0/18',
        '0.0.128.0/17',
        '0.1.0.0/16',
        '0.2.0.0/15',
        '0.4.0.0/14',
        '0.8.0.0/13',
        '0.16.0.0/12',
        '0.32.0.0/11',
        '0.64.0.0/10',
        '0.128.0.0/9',
        '1.0.0.0/8',
        '2.0.0.0/7',
        '4.0.0.0/6',
        '8.0.0.0/5',
        '16.0.0.0/4',
        '32.0.0.0/3',
        '64.0.0.0/2',
        '128.0.0.0/1',
      ],
    ],
    [
      4,
      0n,
      MAX4 - 1n,
      [
        '0.0.0.0/1',
        '128.0.0.0/2',
        '192.0.0.0/3',
        '224.0.0.0/4',
        '240.0.0.0/5',
        '248.0.0.0/6',
        '252.0.0.0/7',
        '254.0.0.0/8',
        '255.0.0.0/9',
        '255.128.0.0/10',
        '255.192.0.0/11',
        '255.224.0.0/12',
        '255.240.0.0/13',
        '255.248.0.0/14',
        '255.252.0.0/15',
        '255.254.0.0/16',
        '255.255.0.0/17',
        '255.255.128.0/18',
        '255.255.192.0/19',
        '255.255.224.0/20',
        '255.255.240.0/21',
        '255.255.248.0/22',
        '255.255.252.0/23',
        '255.255.254.0/24',
        '255.255.255.0/25',
        '255.255.255.128/26',
        '255.255.255.192/27',
        '255.255.255.224/28',
        '255.255.255.240/29',
        '255.255.255.248/30',
        '255.255.255.252/31',
        '255.255.255.254/32',
      ],
    ],
    [4, v4('10.0.0.0'), v4('10.255.255.255'), ['10.0.0.0/8']],
    [4, v4('10.0.0.255'), v4('10.0.1.0'), ['10.0.0.255/32', '10.0.1.0/32']],
    [6, 0n, MAX6, ['::/0']],
    [6, 0n, 0n, ['::/128']],
    [6, MAX6, MAX6, ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128']],
    [6, v6('2001:db8::'), v6('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'), ['2001:db8::/32']],
    [6, v6('::ffff:0.0.0.0'), v6('::ffff:255.255.255.255'), ['::ffff:0.0.0.0/96']],
    [6, v6('2001:db8::1'), v6('2001:db8::2'), ['2001:db8::1/128', '2001:db8::2/128']],
  ])('IPv%d %s..%s is %j', (family, first, last, expected) => {
    expect(cidrCover(family, first, last)).toEqual(expected);
    expect(reference(family, first, last)).toEqual(expected);
  });

  it('the widest IPv6 ranges need at most 2 x 128 blocks', () => {
    expect(cidrCover(6, 1n, MAX6 - 1n)).toHaveLength(2 * 127);
    expect(cidrCover(6, 1n, MAX6)).toHaveLength(128);
  });

  const range = (family: 4 | 6) => {
    const max = family === 4 ? MAX4 : MAX6;
    const value = fc.oneof(
      fc.bigInt({ min: 0n, max }),
      fc.bigInt({ min: 0n, max: 1024n }),
      fc.bigInt({ min: max - 1024n, max }),
      // near a power-of-two boundary
      fc
        .tuple(fc.integer({ min: 1, max: family === 4 ? 31 : 127 }), fc.bigInt({ min: -2n, max: 2n }))
        .map(([k, d]) => {
          const v = (1n << BigInt(k)) + d;
          return v < 0n ? 0n : v > max ? max : v;
        }),
    );
    return fc.tuple(value, value).map(([a, b]) => (a <= b ? [a, b] : [b, a]) as [bigint, bigint]);
  };

  it.each([4, 6] as const)(
    'IPv%d: exact cover, sorted, minimal (no two blocks could merge), same as the reference',
    (family) => {
      fc.assert(
        fc.property(range(family), ([first, last]) => {
          const blocks = cidrCover(family, first, last);
          let next = first;
          let previous: [bigint, bigint] | undefined;
          for (const block of blocks) {
            const [lo, hi] = bounds(family, block);
            // Each block is aligned: its network address has no host bits.
            expect(IpAddress.fromBigInt(family, lo).toString()).toBe(block.split('/')[0]);
            expect(lo).toBe(next);
            next = hi + 1n;
            if (previous !== undefined) {
              const size = previous[1] - previous[0] + 1n;
              const mergeable = hi - lo + 1n === size && previous[0] % (2n * size) === 0n;
              expect(mergeable, `${block} could merge with the block before`).toBe(false);
            }
            previous = [lo, hi];
          }
          expect(next).toBe(last + 1n);
          expect(blocks.length).toBeLessThanOrEqual(2 * (family === 4 ? 32 : 128));
          expect(blocks).toEqual(reference(family, first, last));
        }),
        { numRuns: family === 4 ? 500 : 150 },
      );
    },
  );
});
