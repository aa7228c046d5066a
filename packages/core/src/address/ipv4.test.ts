import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { explainAddressError } from './explain-address-error.js';
import { IpAddress } from './ip-address.js';
import { formatIPv4, scanIPv4 } from './ipv4.js';

const scan = (s: string): number => scanIPv4(s, 0, s.length);

/** What WHATWG URL makes of `s` as a host: the hostname, or undefined when it throws. */
function whatwgHost(s: string): string | undefined {
  try {
    return new URL(`http://${s}/`).hostname;
  } catch {
    return undefined;
  }
}

const DOTTED_QUAD = /^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/;

describe('scanIPv4 accepts exactly four plain decimal parts', () => {
  it.each([
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
    ['127.0.0.1', 0x7f000001],
    ['192.0.2.1', 0xc0000201],
    ['10.0.0.0', 0x0a000000],
    ['1.2.3.4', 0x01020304],
    ['100.200.10.0', 0x64c80a00],
    ['9.99.199.249', 0x0963c7f9],
  ])('%s is %d', (text, value) => {
    expect(scan(text)).toBe(value);
  });

  it.each([
    [''],
    ['.'],
    ['1.2.3'],
    ['1.2.3.4.'],
    ['.1.2.3.4'],
    ['1..2.3'],
    ['1.2.3.4.5'],
    ['256.0.0.0'],
    ['0.0.0.256'],
    ['1.2.3.1000'],
    ['01.2.3.4'],
    ['00.0.0.0'],
    ['1.2.3.04'],
    ['1.2.3.4 '],
    [' 1.2.3.4'],
    ['+1.2.3.4'],
    ['1.2.3.-4'],
    ['1e2.0.0.0'],
    ['0x1.2.3.4'],
    ['1.2.3.0x4'],
    ['4294967296'],
    ['2130706433'],
    ['127.1'],
    ['\u0661.2.3.4'], // Arabic-Indic digit one
    ['\uff11.2.3.4'], // fullwidth digit one
    ['1.2.3.4\u0000'],
    ['1.2.3.4/32'],
    ['1.2.3.4:80'],
  ])('%j is not an address', (text) => {
    expect(scan(text)).toBe(-1);
  });

  it('scans only the window it is given', () => {
    const text = 'xx192.0.2.1yy';
    expect(scanIPv4(text, 2, 11)).toBe(0xc0000201);
    expect(scanIPv4(text, 1, 11)).toBe(-1);
    expect(scanIPv4(text, 2, 12)).toBe(-1);
    expect(scanIPv4(text, 2, 10)).toBe(scan('192.0.2.'));
  });
});

describe('formatIPv4', () => {
  it.each([
    [0, '0.0.0.0'],
    [0xffffffff, '255.255.255.255'],
    [0x7f000001, '127.0.0.1'],
    [0x80000000, '128.0.0.0'],
    [0x00ff00ff, '0.255.0.255'],
  ])('%d prints as %s', (value, text) => {
    expect(formatIPv4(value)).toBe(text);
  });

  it('round-trips every 32-bit value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        expect(scan(formatIPv4(v))).toBe(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts a string only if printing its value gives the string back (one spelling per address)', () => {
    const alphabet = fc.constantFrom('0', '1', '2', '5', '9', '.', '.', '00', '25', '255', '256');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 12 }), (pieces) => {
        const s = pieces.join('');
        const v = scan(s);
        if (v >= 0) expect(formatIPv4(v)).toBe(s);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('ipgate and WHATWG URL read IPv4 text the same way, or ipgate refuses it', () => {
  const octet = fc.integer({ min: 0, max: 255 });

  it('every strict address means the same address to WHATWG URL', () => {
    const candidates = fc.oneof(
      fc.tuple(octet, octet, octet, octet).map((p) => p.join('.')),
      fc.integer({ min: 0, max: 0xffffffff }).map(formatIPv4),
      fc
        .array(fc.constantFrom('0', '1', '9', '10', '25', '255', '.'), { minLength: 1, maxLength: 10 })
        .map((a) => a.join('')),
    );
    fc.assert(
      fc.property(candidates, (s) => {
        const parsed = IpAddress.tryParse(s);
        if (parsed === undefined) return;
        expect(parsed.family).toBe(4);
        expect(whatwgHost(s)).toBe(s);
        expect(parsed.toString()).toBe(s);
        // ipaddr.js agrees on these too.
        expect(ipaddr.parse(s).toString()).toBe(s);
      }),
      { numRuns: 1500 },
    );
  });

  // inet_aton / WHATWG forms: one to four parts, each decimal, octal (leading 0) or hex (0x), maybe a trailing dot.
  const loosePart = fc.oneof(
    fc.integer({ min: 0, max: 0xffffffff }).map(String),
    octet.map(String),
    octet.map((n) => `0${n.toString(8)}`),
    fc.integer({ min: 0, max: 0xffffffff }).map((n) => `0${n.toString(8)}`),
    octet.map((n) => `0x${n.toString(16)}`),
    octet.map((n) => `0X${n.toString(16).toUpperCase()}`),
    fc.integer({ min: 0, max: 0xffffffff }).map((n) => `0x${n.toString(16)}`),
    fc.constantFrom('0x', '00', '000', '0'),
  );
  const looseIPv4 = fc
    .tuple(fc.array(loosePart, { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([parts, dot]) => parts.join('.') + (dot ? '.' : ''));

  it('for inet_aton-style text that WHATWG reads as IPv4, ipgate refuses it as ambiguous or agrees', () => {
    let readAsIPv4 = 0;
    fc.assert(
      fc.property(looseIPv4, (s) => {
        const host = whatwgHost(s);
        if (host === undefined || !DOTTED_QUAD.test(host)) return;
        readAsIPv4++;
        const parsed = IpAddress.tryParse(s);
        if (parsed !== undefined) {
          expect(parsed.toString()).toBe(host);
          expect(s).toBe(host);
        } else {
          expect(explainAddressError(s).code).toBe('IPG_ADDRESS_AMBIGUOUS_IPV4');
        }
      }),
      { numRuns: 3000 },
    );
    // The generator must really produce text that WHATWG takes as IPv4, or the property says nothing.
    expect(readAsIPv4).toBeGreaterThan(1000);
  });

  it('for loose text ipaddr.js accepts as IPv4, ipgate refuses it or reads the same address', () => {
    fc.assert(
      fc.property(looseIPv4, (s) => {
        if (!ipaddr.IPv4.isValid(s)) return;
        const parsed = IpAddress.tryParse(s);
        if (parsed !== undefined) expect(parsed.toString()).toBe(ipaddr.IPv4.parse(s).toString());
      }),
      { numRuns: 2000 },
    );
  });
});
