import { inspect } from 'node:util';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { parseEntry, tryParseEntry } from '../entry/parse-entry.js';
import { IpGateError, isIpGateError } from '../errors/ip-gate-error.js';
import { IpSet } from '../set/ip-set.js';
import { explainAddressError } from './explain-address-error.js';
import { canonicalAddress, IpAddress } from './ip-address.js';

/** What ipaddr.js makes of the text: its reading, or 'invalid'. */
function ipaddrReads(s: string): string {
  return ipaddr.isValid(s) ? ipaddr.parse(s).toString() : 'invalid';
}

/** What WHATWG URL makes of `http://<s>/`: the hostname, or 'throws'. */
function whatwgReads(s: string): string {
  try {
    return new URL(`http://${s}/`).hostname;
  } catch {
    return 'throws';
  }
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (!isIpGateError(e)) throw e;
    return e.code;
  }
  return undefined;
}

// Everything, both families: if any of these texts matched, a loose reading got past the parser.
const allowEverything = IpSet.from(['0.0.0.0/0', '::/0']);
const loopback = IpSet.from(['127.0.0.0/8', '::1']);

describe('published bypass inputs of npm IP libraries are rejected', () => {
  // [input, advisory, what ipaddr.js reads, what WHATWG URL reads]
  it.each([
    ['0x7f.1', 'ip CVE-2023-42282 / ipaddr.js loose form', '127.0.0.1', '127.0.0.1'],
    ['127.1', 'ip CVE-2024-29415 / ipaddr.js loose form', '127.0.0.1', '127.0.0.1'],
    ['01200034567', 'ip CVE-2024-29415', '10.0.57.119', '10.0.57.119'],
    ['012.1.2.3', 'ip CVE-2024-29415', '10.1.2.3', '10.1.2.3'],
    ['0x7f000001', 'ip CVE-2023-42282 / private-ip', '127.0.0.1', '127.0.0.1'],
    ['0127.0.0.01', 'netmask CVE-2021-28918', '87.0.0.1', '87.0.0.1'],
    ['012.0.0.1', 'netmask CVE-2021-28918/29418', '10.0.0.1', '10.0.0.1'],
    ['0x7f.0.0.1', 'netmask CVE-2021-29418', '127.0.0.1', '127.0.0.1'],
    ['0000.0000.0000.0000', 'private-ip CVE-2020-28360', '0.0.0.0', '0.0.0.0'],
    ['127.000.000.001', 'private-ip CVE-2020-28360', '127.0.0.1', '127.0.0.1'],
    ['2130706433', 'private-ip CVE-2020-28360', '127.0.0.1', '127.0.0.1'],
    ['017700000001', 'private-ip CVE-2020-28360', '127.0.0.1', '127.0.0.1'],
    ['0177.0.0.1', 'private-ip (octal)', '127.0.0.1', '127.0.0.1'],
    ['0x7f.0x0.0x0.0x1', 'private-ip (hex parts)', '127.0.0.1', '127.0.0.1'],
    ['1', 'ipaddr.js loose form', '0.0.0.1', '0.0.0.1'],
    ['0xffffffff', 'ipaddr.js loose form', '255.255.255.255', '255.255.255.255'],
    ['0', 'inet_aton integer', '0.0.0.0', '0.0.0.0'],
    ['10.1', 'inet_aton shortened', '10.0.0.1', '10.0.0.1'],
    ['10.0.1', 'inet_aton shortened', '10.0.0.1', '10.0.0.1'],
    ['010.0.0.1', 'leading zero: octal to inet_aton', '8.0.0.1', '8.0.0.1'],
    ['127.0.0.1.', 'trailing dot (WHATWG drops it)', 'invalid', '127.0.0.1'],
  ])(
    '%s (%s): ipgate rejects it; ipaddr.js reads %s, WHATWG URL reads %s',
    (input, _advisory, ipaddrValue, whatwgValue) => {
      // ipgate: not an address, as address, entry or query, with the code that names the ambiguity.
      expect(IpAddress.tryParse(input)).toBeUndefined();
      expect(codeOf(() => IpAddress.parse(input))).toBe('IPG_ADDRESS_AMBIGUOUS_IPV4');
      expect(explainAddressError(input).hint).toMatch(/decimal/);
      const asEntry = tryParseEntry(input);
      expect(asEntry.ok).toBe(false);
      if (!asEntry.ok) expect(asEntry.error.code).toBe('IPG_ADDRESS_AMBIGUOUS_IPV4');
      expect(tryParseEntry(`${input}-255.255.255.255`).ok).toBe(false);
      // (A bare small number after a dash is the short range form, `0.0.0.0-1`; that is not this input.)
      if (!/^(0|[1-9][0-9]{0,2})$/.test(input)) expect(tryParseEntry(`0.0.0.0-${input}`).ok).toBe(false);
      // Fail closed: not even an allow-everything set matches the text.
      expect(allowEverything.has(input)).toBe(false);
      expect(allowEverything.match(input)).toBeUndefined();
      expect(loopback.has(input)).toBe(false);
      // Why it matters: other software reads these texts as concrete (often loopback or private) addresses.
      expect(ipaddrReads(input)).toBe(ipaddrValue);
      expect(whatwgReads(input)).toBe(whatwgValue);
    },
  );

  it('WHATWG URL really does turn http://127.1 into 127.0.0.1', () => {
    expect(new URL('http://127.1').hostname).toBe('127.0.0.1');
    expect(new URL('http://0x7f.1/').hostname).toBe('127.0.0.1');
    expect(new URL('http://2130706433/').hostname).toBe('127.0.0.1');
  });

  // Inputs from the same advisories that ARE strict addresses: accepted, and classified by their real meaning.
  it.each([
    ['000:0:0000::01', 'ip CVE-2024-29415', '::1', 6, 'loopback ::1/128', '::1', 'throws'],
    [
      '::fFFf:127.0.0.1',
      'ip CVE-2024-29415',
      '::ffff:127.0.0.1',
      4,
      'loopback 127.0.0.0/8',
      '::ffff:7f00:1',
      'throws',
    ],
    [
      '::ffff:7f00:1',
      'mapped loopback in hex',
      '::ffff:127.0.0.1',
      4,
      'loopback 127.0.0.0/8',
      '::ffff:7f00:1',
      'throws',
    ],
    ['0.0.0.0', 'private-ip CVE-2020-28360', '0.0.0.0', 4, '"this network" 0.0.0.0/8', '0.0.0.0', '0.0.0.0'],
    ['127.0.0.1', 'baseline', '127.0.0.1', 4, 'loopback 127.0.0.0/8', '127.0.0.1', '127.0.0.1'],
  ])(
    '%s (%s) is %s, matched as IPv%d, warned as %s',
    (input, _advisory, canonical, matchFamily, special, ipaddrValue, whatwgValue) => {
      const a = IpAddress.parse(input);
      expect(a.toString()).toBe(canonical);
      expect(a.unmap().family).toBe(matchFamily);
      // It matches the loopback / "this network" entries it belongs to, however it was spelled ...
      if (special.startsWith('loopback')) expect(loopback.has(input)).toBe(true);
      // ... and as an entry it is flagged as non-public space, naming the block.
      const entry = parseEntry(input);
      const mapped = canonical.startsWith('::ffff:') ? ['IPG_WARN_IPV4_MAPPED'] : [];
      expect(entry.warnings.map((w) => w.code)).toEqual([...mapped, 'IPG_WARN_NON_PUBLIC']);
      expect(entry.warnings.at(-1)?.message).toContain(special);
      expect(ipaddrReads(input)).toBe(ipaddrValue);
      expect(whatwgReads(input)).toBe(whatwgValue);
    },
  );
});

describe('IpAddress.parse and canonical text', () => {
  it.each([
    ['192.0.2.1', 4, '192.0.2.1'],
    ['0.0.0.0', 4, '0.0.0.0'],
    ['255.255.255.255', 4, '255.255.255.255'],
    ['2001:DB8::1', 6, '2001:db8::1'],
    ['2001:0DB8:0:0::1', 6, '2001:db8::1'],
    ['::', 6, '::'],
    ['::ffff:192.0.2.1', 6, '::ffff:192.0.2.1'],
  ])('%s is IPv%d %s', (text, family, canonical) => {
    const a = IpAddress.parse(text);
    expect(a.family).toBe(family);
    expect(a.toString()).toBe(canonical);
    expect(a.toJSON()).toBe(canonical);
    expect(JSON.stringify({ a })).toBe(`{"a":"${canonical}"}`);
    expect(canonicalAddress(text)).toBe(canonical);
    expect(IpAddress.tryParse(text)?.equals(a)).toBe(true);
  });

  it.each([
    ['', 'IPG_ADDRESS_EMPTY'],
    ['   ', 'IPG_ADDRESS_EMPTY'],
    [' 10.0.0.1', 'IPG_ADDRESS_INVALID'],
    ['10.0.0.1 ', 'IPG_ADDRESS_INVALID'],
    ['10.0.0.1\n', 'IPG_ADDRESS_INVALID'],
    ['10.0.0.256', 'IPG_ADDRESS_OUT_OF_RANGE'],
    ['999.0.0.1', 'IPG_ADDRESS_OUT_OF_RANGE'],
    ['10.0.0.1/32', 'IPG_ADDRESS_INVALID'],
    ['10.0.0.1:80', 'IPG_ADDRESS_INVALID'],
    ['localhost', 'IPG_ADDRESS_INVALID'],
    ['garbage', 'IPG_ADDRESS_INVALID'],
    ['\uff11\uff10.0.0.1', 'IPG_ADDRESS_INVALID'], // fullwidth digits: WHATWG maps them to ASCII
    ['fe80::1%eth0', 'IPG_ADDRESS_ZONE'],
  ])('%j is rejected with %s', (text, code) => {
    expect(IpAddress.tryParse(text)).toBeUndefined();
    expect(() => IpAddress.parse(text)).toThrow(IpGateError);
    expect(codeOf(() => IpAddress.parse(text))).toBe(code);
    expect(codeOf(() => canonicalAddress(text))).toBe(code);
  });

  it.each([
    [' 10.0.0.1', '"10.0.0.1"'],
    ['010.0.0.1', '10.0.0.1'],
    ['192.168.001.010', '192.168.1.10'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[2001:db8::1]', '2001:db8::1'],
  ])('the hint for %j says how to write it: %s', (text, fixed) => {
    const e = explainAddressError(text);
    expect(e.hint).toContain(fixed);
    expect(e.input).toBe(text);
  });

  it('names the field it was given', () => {
    let thrown: unknown;
    try {
      IpAddress.parse('127.1', 'peer');
    } catch (e) {
      thrown = e;
    }
    expect(isIpGateError(thrown)).toBe(true);
    expect((thrown as IpGateError).field).toBe('peer');
    expect((thrown as IpGateError).status).toBe(400);
    expect((thrown as IpGateError).toJSON()).toMatchObject({
      code: 'IPG_ADDRESS_AMBIGUOUS_IPV4',
      field: 'peer',
    });
  });
});

describe('IPv4-mapped addresses, and only those, unmap', () => {
  it.each([
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::FFFF:102:304', '1.2.3.4'],
    ['0:0:0:0:0:ffff:1.2.3.4', '1.2.3.4'],
    ['::ffff:0.0.0.0', '0.0.0.0'],
    ['::ffff:255.255.255.255', '255.255.255.255'],
  ])('%s is mapped and unmaps to %s', (text, v4) => {
    const a = IpAddress.parse(text);
    expect(a.isIPv4Mapped).toBe(true);
    expect(a.family).toBe(6);
    expect(a.unmap().family).toBe(4);
    expect(a.unmap().toString()).toBe(v4);
    expect(a.unmap().equals(IpAddress.parse(v4))).toBe(true);
    expect(a.equals(IpAddress.parse(v4))).toBe(false);
  });

  it.each([
    ['::1.2.3.4', 'IPv4-compatible (deprecated)'],
    ['::102:304', 'IPv4-compatible in hex'],
    ['64:ff9b::1.2.3.4', 'NAT64 well-known prefix'],
    ['64:ff9b:1::1.2.3.4', 'local-use NAT64'],
    ['2002:102:304::1', '6to4'],
    ['2001:0:4136:e378:8000:63bf:fefd:fcfb', 'Teredo (client 1.2.3.4 obfuscated)'],
    ['::ffff:0:1.2.3.4', 'SIIT IPv4-translated'],
    ['fe80::ffff:1.2.3.4', 'link-local with a mapped-looking tail'],
    ['::fffe:1.2.3.4', 'one bit off the mapped prefix'],
    ['0:0:0:1:0:ffff:1.2.3.4', 'mapped tail below a non-zero group'],
    ['1.2.3.4', 'IPv4 itself'],
  ])('%s (%s) is not unmapped', (text) => {
    const a = IpAddress.parse(text);
    expect(a.isIPv4Mapped).toBe(false);
    expect(a.unmap()).toBe(a);
  });
});

describe('IpAddress values', () => {
  it('fromIPv4Number, fromWords, fromBigInt and toBigInt agree', () => {
    expect(IpAddress.fromIPv4Number(0xc0000201).toString()).toBe('192.0.2.1');
    expect(IpAddress.fromIPv4Number(-1).toString()).toBe('255.255.255.255');
    expect(IpAddress.fromWords(4, 9, 9, 9, 0x7f000001).toString()).toBe('127.0.0.1');
    expect(IpAddress.fromWords(4, 9, 9, 9, 0x7f000001).toBigInt()).toBe(0x7f000001n);
    expect(IpAddress.fromWords(6, 0x20010db8, 0, 0, 1).toString()).toBe('2001:db8::1');
    expect(IpAddress.fromWords(6, -1, -1, -1, -1).toString()).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    expect(IpAddress.fromBigInt(6, 1n).toString()).toBe('::1');
    expect(IpAddress.fromBigInt(4, 0xffffffffn).toString()).toBe('255.255.255.255');
    expect(IpAddress.fromBigInt(6, (1n << 128n) - 1n).toBigInt()).toBe((1n << 128n) - 1n);
    expect(IpAddress.parse('0.0.1.0').toBigInt()).toBe(256n);
    expect(IpAddress.parse('::ffff:0.0.1.0').toBigInt()).toBe(0xffff00000100n);
  });

  it.each([
    [4, -1n],
    [4, 1n << 32n],
    [6, -1n],
    [6, 1n << 128n],
  ] as const)('fromBigInt(%d, %s) is out of range', (family, value) => {
    expect(() => IpAddress.fromBigInt(family, value)).toThrow(RangeError);
  });

  it('orders IPv4 before IPv6, then by unsigned value', () => {
    const sorted = [
      '0.0.0.0',
      '127.255.255.255',
      '128.0.0.0',
      '255.255.255.255',
      '::',
      '::ffff:0.0.0.0',
      '7fff:ffff::',
      '8000::',
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    ].map((s) => IpAddress.parse(s));
    for (let i = 0; i < sorted.length; i++) {
      for (let j = 0; j < sorted.length; j++) {
        const c = (sorted[i] as IpAddress).compare(sorted[j] as IpAddress);
        expect(Math.sign(c), `${sorted[i]} vs ${sorted[j]}`).toBe(Math.sign(i - j));
        expect((sorted[i] as IpAddress).equals(sorted[j] as IpAddress)).toBe(i === j);
      }
    }
  });
});

describe('an address prints as its text wherever it is shown', () => {
  it('String(), JSON and util.inspect (console.log) all show the canonical text', () => {
    const a = IpAddress.parse('2001:DB8::1');
    expect(String(a)).toBe('2001:db8::1');
    expect(`${a}`).toBe('2001:db8::1');
    expect(JSON.stringify({ client: a })).toBe('{"client":"2001:db8::1"}');
    expect(inspect(a)).toBe('IpAddress(2001:db8::1)');
    expect(inspect({ client: IpAddress.parse('192.0.2.1') })).toBe('{ client: IpAddress(192.0.2.1) }');
  });
});
