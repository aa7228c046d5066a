import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { IpGateError } from '../errors/ip-gate-error.js';
import { IpAddress } from './ip-address.js';
import { formatIPv6, isIPv4MappedWords, scanIPv6 } from './ipv6.js';

function scan(s: string): number[] | undefined {
  const out = new Uint32Array(4);
  return scanIPv6(s, 0, s.length, out) ? Array.from(out) : undefined;
}

function print(words: readonly number[]): string {
  return formatIPv6(words[0] ?? 0, words[1] ?? 0, words[2] ?? 0, words[3] ?? 0);
}

function groupsToWords(g: readonly number[]): number[] {
  return [0, 1, 2, 3].map((k) => (((g[2 * k] as number) << 16) | (g[2 * k + 1] as number)) >>> 0);
}

/** WHATWG URL's serialisation of an IPv6 host (it compresses like RFC 5952 but prints every tail in hex). */
function whatwgIPv6(s: string): string | undefined {
  try {
    return new URL(`http://[${s}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

describe('RFC 4291 parsing', () => {
  it.each([
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6::7', '1:2:3:4:5:6:0:7'],
    ['1::8', '1::8'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['000:0:0000::01', '::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['fe80::1', 'fe80::1'],
    // Embedded dotted quad: only in the last 32 bits, after six groups or a "::".
    ['::ffff:127.0.0.1', '::ffff:127.0.0.1'],
    ['::fFFf:127.0.0.1', '::ffff:127.0.0.1'],
    ['::FFFF:7f00:1', '::ffff:127.0.0.1'],
    ['0:0:0:0:0:ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['1::1.2.3.4', '1::102:304'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['1:2:3:4:5::1.2.3.4', '1:2:3:4:5:0:102:304'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['::ffff:0:1.2.3.4', '::ffff:0:102:304'],
  ])('%s is %s', (text, canonical) => {
    const words = scan(text);
    expect(words).toBeDefined();
    expect(print(words as number[])).toBe(canonical);
    expect(IpAddress.parse(text).toString()).toBe(canonical);
    expect(IpAddress.parse(text).family).toBe(6);
    // The same address to ipaddr.js, an independent parser.
    expect(ipaddr.IPv6.parse(text).toByteArray()).toEqual(ipaddr.IPv6.parse(canonical).toByteArray());
  });

  // RFC 4291 2.5.5.1: `::a.b.c.d` is the (deprecated) IPv4-compatible address, NOT the IPv4-mapped one.
  // ipaddr.js rewrites it to `::ffff:a.b.c.d`, which would let it match an IPv4 allowlist entry.
  it.each([
    ['::1.2.3.4', '::102:304', '::ffff:102:304'],
    ['::127.0.0.1', '::7f00:1', '::ffff:7f00:1'],
    ['::0.0.0.1', '::1', '::ffff:0:1'],
    ['::0.0.0.0', '::', '::ffff:0:0'],
  ])('%s is the IPv4-compatible %s, never mapped (ipaddr.js reads %s)', (text, canonical, ipaddrReads) => {
    const a = IpAddress.parse(text);
    expect(a.toString()).toBe(canonical);
    expect(a.isIPv4Mapped).toBe(false);
    expect(a.unmap()).toBe(a);
    expect(ipaddr.IPv6.parse(text).toRFC5952String()).toBe(ipaddrReads);
    expect(ipaddr.IPv6.parse(text).isIPv4MappedAddress()).toBe(true);
  });

  it.each([
    [':::', 'IPG_ADDRESS_INVALID'],
    ['1::2::3', 'IPG_ADDRESS_INVALID'],
    ['::1::', 'IPG_ADDRESS_INVALID'],
    ['1:2:3:4:5:6:7:8:9', 'IPG_ADDRESS_INVALID'],
    ['1:2:3:4:5:6:7', 'IPG_ADDRESS_INVALID'],
    ['1:2:3:4:5:6:7:8::', 'IPG_ADDRESS_INVALID'],
    ['::1:2:3:4:5:6:7:8', 'IPG_ADDRESS_INVALID'],
    ['1:2:3:4::5:6:7:8', 'IPG_ADDRESS_INVALID'],
    [':1::', 'IPG_ADDRESS_INVALID'],
    [':1:2:3:4:5:6:7:8', 'IPG_ADDRESS_INVALID'],
    ['1:2:3:4:5:6:7:8:', 'IPG_ADDRESS_INVALID'],
    ['1::2:', 'IPG_ADDRESS_INVALID'],
    [':', 'IPG_ADDRESS_INVALID'],
    ['1:', 'IPG_ADDRESS_INVALID'],
    ['12345::', 'IPG_ADDRESS_OUT_OF_RANGE'],
    ['::12345', 'IPG_ADDRESS_OUT_OF_RANGE'],
    ['1:2:3:4:5:6:7:00000', 'IPG_ADDRESS_OUT_OF_RANGE'],
    ['fe80::1%eth0', 'IPG_ADDRESS_ZONE'],
    ['fe80::1%1', 'IPG_ADDRESS_ZONE'],
    ['::1%', 'IPG_ADDRESS_ZONE'],
    ['[::1]', 'IPG_ADDRESS_INVALID'],
    ['[::1', 'IPG_ADDRESS_INVALID'],
    ['::1]', 'IPG_ADDRESS_INVALID'],
    ['[::1]:80', 'IPG_ADDRESS_INVALID'],
    ['1.2.3.4::', 'IPG_ADDRESS_INVALID'],
    ['1.2.3.4:1::', 'IPG_ADDRESS_INVALID'],
    ['::1.2.3.4:5', 'IPG_ADDRESS_INVALID'],
    ['::1.2.3', 'IPG_ADDRESS_INVALID'],
    ['::1.2.3.4.', 'IPG_ADDRESS_INVALID'],
    ['::1.2.3.4.5', 'IPG_ADDRESS_INVALID'],
    ['::01.2.3.4', 'IPG_ADDRESS_INVALID'],
    ['::ffff:127.000.000.001', 'IPG_ADDRESS_INVALID'],
    ['::ffff:0x7f.0.0.1', 'IPG_ADDRESS_INVALID'],
    ['::ffff:127.1', 'IPG_ADDRESS_INVALID'],
    ['::256.0.0.0', 'IPG_ADDRESS_INVALID'],
    ['1:2:3:4:5:6:7:1.2.3.4', 'IPG_ADDRESS_INVALID'],
    ['1:2:3:4:5:6::1.2.3.4', 'IPG_ADDRESS_INVALID'],
    ['::a.2.3.4', 'IPG_ADDRESS_INVALID'],
    ['g::1', 'IPG_ADDRESS_INVALID'],
    ['::1 ', 'IPG_ADDRESS_INVALID'],
    [' ::1', 'IPG_ADDRESS_INVALID'],
    ['2001:db8::1/128', 'IPG_ADDRESS_INVALID'],
    ['::-1', 'IPG_ADDRESS_INVALID'],
    ['::+1', 'IPG_ADDRESS_INVALID'],
    ['0x1::', 'IPG_ADDRESS_INVALID'],
    ['\uff1a\uff1a1', 'IPG_ADDRESS_INVALID'], // fullwidth colons
    ['::\u0661', 'IPG_ADDRESS_INVALID'], // Arabic-Indic digit
    ['', 'IPG_ADDRESS_EMPTY'],
  ])('%j is rejected with %s', (text, code) => {
    expect(scan(text)).toBeUndefined();
    expect(IpAddress.tryParse(text)).toBeUndefined();
    let thrown: unknown;
    try {
      IpAddress.parse(text);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(IpGateError);
    expect((thrown as IpGateError).code).toBe(code);
    expect((thrown as IpGateError).hint).toBeTruthy();
  });

  it.each([
    ['fe80::1%eth0', 'fe80::1'],
    ['[2001:db8::1]', '2001:db8::1'],
  ])('the hint for %j shows how to write it (%s)', (text, fixed) => {
    expect(() => IpAddress.parse(text)).toThrow(IpGateError);
    try {
      IpAddress.parse(text);
    } catch (e) {
      expect((e as IpGateError).hint).toContain(fixed);
      expect((e as IpGateError).hint).not.toContain(text);
    }
  });
});

describe('RFC 5952 printing', () => {
  it.each([
    [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
    [[0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    [[1, 0, 0, 0, 0, 0, 0, 0], '1::'],
    [[0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], '2001:db8::1'],
    // Lower case, no leading zeros.
    [[0xabcd, 0xef, 0xa, 0xb0, 0xc00, 0xd000, 0xffff, 0x0100], 'abcd:ef:a:b0:c00:d000:ffff:100'],
    // Never "::" for a single zero group.
    [[0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], '2001:db8:0:1:1:1:1:1'],
    [[1, 0, 1, 0, 1, 0, 1, 0], '1:0:1:0:1:0:1:0'],
    [[0, 1, 0, 1, 0, 1, 0, 1], '0:1:0:1:0:1:0:1'],
    [[1, 2, 3, 4, 5, 6, 7, 0], '1:2:3:4:5:6:7:0'],
    [[0, 2, 3, 4, 5, 6, 7, 8], '0:2:3:4:5:6:7:8'],
    // The longest run is compressed ...
    [[0x2001, 0, 0, 1, 0, 0, 0, 1], '2001:0:0:1::1'],
    [[1, 0, 0, 2, 0, 0, 0, 3], '1:0:0:2::3'],
    // ... the first one on a tie.
    [[0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], '2001:db8::1:0:0:1'],
    [[0, 0, 1, 0, 0, 1, 0, 0], '::1:0:0:1:0:0'],
    [[1, 0, 0, 1, 0, 0, 1, 1], '1::1:0:0:1:1'],
    [[1, 1, 0, 0, 1, 1, 0, 0], '1:1::1:1:0:0'],
    [[1, 0, 0, 0, 0, 0, 0, 1], '1::1'],
    // IPv4-mapped in dotted form; nothing else is.
    [[0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201], '::ffff:192.0.2.1'],
    [[0, 0, 0, 0, 0, 0xffff, 0, 0], '::ffff:0.0.0.0'],
    [[0, 0, 0, 0, 0, 0xffff, 0xffff, 0xffff], '::ffff:255.255.255.255'],
    [[0, 0, 0, 0, 0, 0, 0xc000, 0x0201], '::c000:201'], // IPv4-compatible (deprecated)
    [[0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0201], '64:ff9b::c000:201'], // NAT64
    [[0, 0, 0, 0, 0xffff, 0, 0xc000, 0x0201], '::ffff:0:c000:201'], // SIIT, not mapped
    [[0x2002, 0xc000, 0x0201, 0, 0, 0, 0, 1], '2002:c000:201::1'], // 6to4
  ])('%j prints as %s', (groups, text) => {
    const words = groupsToWords(groups);
    expect(print(words)).toBe(text);
    expect(scan(text)).toEqual(words);
  });

  // Groups biased towards zero so that runs, ties and single zero groups are common.
  const group = fc.oneof(
    { weight: 4, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 0xf }) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
    { weight: 1, arbitrary: fc.constant(0xffff) },
  );
  const groups = fc.array(group, { minLength: 8, maxLength: 8 });

  it('print then parse gives the same words, and the text is in canonical shape', () => {
    fc.assert(
      fc.property(groups, (g) => {
        const words = groupsToWords(g);
        const text = print(words);
        expect(scan(text)).toEqual(words);
        expect(text).toBe(text.toLowerCase());
        if (!isIPv4MappedWords(words[0] as number, words[1] as number, words[2] as number)) {
          expect(text).not.toMatch(/(^|:)0[0-9a-f]/); // no leading zeros
          expect(text.split('::').length).toBeLessThanOrEqual(2);
          if (text.includes('::')) {
            const written = text.split(/::|:/).filter((x) => x !== '').length;
            expect(8 - written).toBeGreaterThanOrEqual(2); // never "::" for one group
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with WHATWG URL and ipaddr.js on every address that is not IPv4-mapped', () => {
    fc.assert(
      fc.property(groups, (g) => {
        const words = groupsToWords(g);
        const text = print(words);
        const mapped = isIPv4MappedWords(words[0] as number, words[1] as number, words[2] as number);
        fc.pre(!mapped);
        expect(text).toBe(whatwgIPv6(text));
        expect(text).toBe(ipaddr.IPv6.parse(text).toRFC5952String());
        const fromIpaddr = ipaddr.fromByteArray(g.flatMap((x) => [x >>> 8, x & 255]));
        expect(text).toBe((fromIpaddr as ipaddr.IPv6).toRFC5952String());
      }),
      { numRuns: 3000 },
    );
  });

  // Text forms of one address: random case, leading zeros, "::" over any zero run, a dotted tail.
  const spelled = groups.chain((g) => {
    const zeroRuns: [number, number][] = [];
    for (let a = 0; a < 8; a++) {
      for (let b = a + 1; b <= 8 && g[b - 1] === 0; b++) zeroRuns.push([a, b]);
    }
    return fc.record({
      g: fc.constant(g),
      run: zeroRuns.length === 0 ? fc.constant(undefined) : fc.option(fc.constantFrom(...zeroRuns)),
      pad: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }),
      upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      dotted: fc.boolean(),
    });
  });

  it('parse(print(parse(s))) is stable and agrees with ipaddr.js for every spelling', () => {
    fc.assert(
      fc.property(spelled, ({ g, run, pad, upper, dotted }) => {
        const runRange = run ?? undefined;
        const useDotted = dotted && (runRange === undefined || runRange[1] <= 6);
        const part = (k: number): string => {
          const hex = (g[k] as number).toString(16);
          const padded = hex.padStart(Math.min(4, hex.length + (pad[k] as number)), '0');
          return upper[k] ? padded.toUpperCase() : padded;
        };
        const render = (from: number, to: number): string[] => {
          const out: string[] = [];
          for (let k = from; k < to; k++) {
            if (useDotted && k === 6) {
              out.push(
                [
                  (g[6] as number) >>> 8,
                  (g[6] as number) & 255,
                  (g[7] as number) >>> 8,
                  (g[7] as number) & 255,
                ].join('.'),
              );
              break;
            }
            out.push(part(k));
          }
          return out;
        };
        const text =
          runRange === undefined
            ? render(0, 8).join(':')
            : `${render(0, runRange[0]).join(':')}::${render(runRange[1], 8).join(':')}`;
        const words = groupsToWords(g);
        const first = IpAddress.tryParse(text);
        expect(first, text).toBeDefined();
        expect([first?.w0, first?.w1, first?.w2, first?.w3]).toEqual(words);
        const printed = (first as IpAddress).toString();
        const again = IpAddress.parse(printed);
        expect(again.equals(first as IpAddress)).toBe(true);
        expect(again.toString()).toBe(printed);
        // ipaddr.js reads `::a.b.c.d` as mapped (see above); every other spelling it must read as we do.
        if (!(useDotted && runRange?.[0] === 0 && runRange[1] === 6)) {
          expect(ipaddr.IPv6.parse(text).toByteArray()).toEqual(g.flatMap((x) => [x >>> 8, x & 255]));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
