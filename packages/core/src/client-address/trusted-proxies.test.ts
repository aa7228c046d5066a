import { describe, expect, it } from 'vitest';
import { IpGateError } from '../errors/ip-gate-error.js';
import { IpSet } from '../set/ip-set.js';
import type { ClientAddressResult, RequestHeaders } from './strategy.js';
import { trustedProxies } from './trusted-proxies.js';

// `header 203.0.113.9`, `socket 10.0.0.2` or `deny <reason>`: one column per expectation.
function outcome(r: ClientAddressResult): string {
  return r.ok ? `${r.via} ${r.address.toString()}` : `deny ${r.reason}`;
}

const trusted = ['10.0.0.0/8', '127.0.0.1', '2001:db8:ffff::/48'];
const xff = trustedProxies({ trusted });
const fwd = trustedProxies({ trusted, header: 'forwarded' });
const PROXY = '10.0.0.2';
const OUTSIDER = '198.51.100.7';

describe('trustedProxies with X-Forwarded-For', () => {
  it.each([
    // [why, peer, X-Forwarded-For, outcome]
    ['untrusted peer without header', OUTSIDER, undefined, `socket ${OUTSIDER}`],
    ['untrusted peer sending XFF is not believed', OUTSIDER, '10.0.0.5', `socket ${OUTSIDER}`],
    ['X-Forwarded-For: 127.0.0.1 from outside', OUTSIDER, '127.0.0.1', `socket ${OUTSIDER}`],
    ['untrusted peer sending a chain', OUTSIDER, '203.0.113.9, 10.0.0.1', `socket ${OUTSIDER}`],
    ['untrusted peer: garbage is never read', OUTSIDER, 'unknown', `socket ${OUTSIDER}`],
    ['untrusted peer: limits do not apply', OUTSIDER, ','.repeat(10_000), `socket ${OUTSIDER}`],
    ['untrusted IPv4-mapped peer', `::ffff:${OUTSIDER}`, '10.0.0.5', `socket ${OUTSIDER}`],
    ['untrusted IPv6 peer', '2001:db8:1::7', '10.0.0.5', 'socket 2001:db8:1::7'],
    ['trusted peer without header', PROXY, undefined, `socket ${PROXY}`],
    ['trusted peer with an empty header', PROXY, '', `socket ${PROXY}`],
    ['trusted peer with a blank header', PROXY, ' , \t,', `socket ${PROXY}`],
    ['trusted peer with empty lines', PROXY, ['', ''], `socket ${PROXY}`],
    ['one element', PROXY, '203.0.113.9', 'header 203.0.113.9'],
    ['trusted IPv4-mapped peer', `::ffff:${PROXY}`, '203.0.113.9', 'header 203.0.113.9'],
    ['trusted IPv6 peer', '2001:db8:ffff::2', '203.0.113.9', 'header 203.0.113.9'],
    ['loopback peer listed as trusted', '127.0.0.1', '203.0.113.9', 'header 203.0.113.9'],
    // Kong / express-ipfilter: the leftmost element is whatever the client sent.
    [
      'leftmost XFF is the client’s claim, not the client',
      PROXY,
      '6.6.6.6, 203.0.113.9',
      'header 203.0.113.9',
    ],
    ['client claims a trusted address', PROXY, '10.0.0.99, 203.0.113.9', 'header 203.0.113.9'],
    ['client claims loopback', PROXY, '127.0.0.1, 203.0.113.9', 'header 203.0.113.9'],
    ['trusted proxies are skipped', PROXY, '6.6.6.6, 203.0.113.9, 10.0.0.1, 10.1.0.1', 'header 203.0.113.9'],
    [
      'the first untrusted from the right wins',
      PROXY,
      '203.0.113.1, 203.0.113.2, 10.0.0.1',
      'header 203.0.113.2',
    ],
    ['untrusted between trusted', PROXY, '10.0.0.7, 203.0.113.9, 10.0.0.1', 'header 203.0.113.9'],
    // Several header lines are one list, in order.
    ['two lines', PROXY, ['6.6.6.6', '203.0.113.9'], 'header 203.0.113.9'],
    [
      'two lines with trusted hops',
      PROXY,
      ['6.6.6.6, 10.0.0.3', '203.0.113.9, 10.0.0.1'],
      'header 203.0.113.9',
    ],
    ['the last line all trusted', PROXY, ['203.0.113.9', '10.0.0.1, 10.0.0.3'], 'header 203.0.113.9'],
    ['node-joined lines', PROXY, '6.6.6.6, 203.0.113.9', 'header 203.0.113.9'],
    [
      'a client line of garbage before the proxy line',
      PROXY,
      ['"unknown", [x', '203.0.113.9'],
      'header 203.0.113.9',
    ],
    // All trusted: the leftmost is the client.
    ['all trusted', PROXY, '10.0.0.5, 10.0.0.1', 'header 10.0.0.5'],
    ['all trusted, one element', PROXY, '127.0.0.1', 'header 127.0.0.1'],
    ['all trusted, over lines', PROXY, ['10.0.0.5', '10.0.0.4, 10.0.0.1'], 'header 10.0.0.5'],
    ['all trusted, mixed families', PROXY, '2001:db8:ffff::5, 10.0.0.1', 'header 2001:db8:ffff::5'],
    ['all trusted but the leftmost is garbage', PROXY, 'unknown, 10.0.0.1', 'deny forwarded-element-invalid'],
    // Elements left of the client are never parsed or judged.
    [
      'garbage left of the client',
      PROXY,
      'garbage, unknown, _x, fe80::1%eth0, 203.0.113.9',
      'header 203.0.113.9',
    ],
    ['bad port left of the client', PROXY, '1.2.3.4:99999, 203.0.113.9', 'header 203.0.113.9'],
    // The element reached must be an address.
    ['unknown', PROXY, 'unknown', 'deny forwarded-element-invalid'],
    ['unknown after a client', PROXY, '203.0.113.9, unknown', 'deny forwarded-element-invalid'],
    [
      'unknown behind a trusted hop',
      PROXY,
      '203.0.113.9, unknown, 10.0.0.1',
      'deny forwarded-element-invalid',
    ],
    ['obfuscated identifier', PROXY, '_hidden', 'deny forwarded-element-invalid'],
    ['obfuscated port', PROXY, '203.0.113.9:_p', 'deny forwarded-element-invalid'],
    ['zone id', PROXY, 'fe80::1%eth0', 'deny forwarded-element-invalid'],
    ['out-of-range port', PROXY, '203.0.113.9:65536', 'deny forwarded-element-invalid'],
    ['leading-zero port', PROXY, '203.0.113.9:080', 'deny forwarded-element-invalid'],
    ['host name', PROXY, 'evil.example', 'deny forwarded-element-invalid'],
    ['two addresses without a comma', PROXY, '203.0.113.9 10.0.0.1', 'deny forwarded-element-invalid'],
    [
      'a loose IPv4 that other software reads as a trusted one',
      PROXY,
      '010.0.0.1',
      'deny forwarded-element-invalid',
    ],
    ['shortened loopback', PROXY, '127.1', 'deny forwarded-element-invalid'],
    ['quoted element', PROXY, '"203.0.113.9"', 'deny forwarded-element-invalid'],
    ['no-break space', PROXY, '\u00a0203.0.113.9', 'deny forwarded-element-invalid'],
    // Ports and IPv6 forms.
    ['IPv4 with port', PROXY, '203.0.113.9:4711', 'header 203.0.113.9'],
    ['bracketed IPv6 with port', PROXY, '[2001:db8:1::9]:443', 'header 2001:db8:1::9'],
    ['bracketed IPv6', PROXY, '[2001:db8:1::9]', 'header 2001:db8:1::9'],
    ['trusted hop with port', PROXY, '203.0.113.9, 10.0.0.1:8080', 'header 203.0.113.9'],
    ['bare IPv6 is not trimmed', PROXY, '2001:db8:1::1:80', 'header 2001:db8:1::1:80'],
    ['bare trusted IPv6 ending like a port', PROXY, '203.0.113.9, 2001:db8:ffff::1:80', 'header 203.0.113.9'],
    // IPv4-mapped elements are IPv4, for trust and for the result.
    ['mapped client', PROXY, '::ffff:203.0.113.9', 'header 203.0.113.9'],
    ['mapped bracketed client with port', PROXY, '[::ffff:203.0.113.9]:80', 'header 203.0.113.9'],
    ['mapped trusted hop is skipped', PROXY, '203.0.113.9, ::ffff:10.0.0.1', 'header 203.0.113.9'],
    ['mapped all trusted', PROXY, '::ffff:10.0.0.5', 'header 10.0.0.5'],
    // Whitespace.
    ['OWS around elements', PROXY, ' \t6.6.6.6 ,203.0.113.9\t, 10.0.0.1 ', 'header 203.0.113.9'],
    // Bounded work.
    ['65 elements', PROXY, Array(65).fill('10.0.0.1').join(','), 'deny forwarded-header-malformed'],
    ['more than 8 KiB', PROXY, `${' '.repeat(8200)}203.0.113.9`, 'deny forwarded-header-malformed'],
    // The peer itself.
    ['no peer', undefined, '203.0.113.9', 'deny client-address-invalid'],
    ['peer with zone id', 'fe80::1%eth0', '203.0.113.9', 'deny client-address-invalid'],
  ])('%s', (_why, peer, header, expected) => {
    const r = xff.resolve(peer, { 'x-forwarded-for': header });
    expect(outcome(r)).toBe(expected);
    expect(r.sawForwardingHeaders).toBe(header !== undefined);
  });

  it('reads X-Forwarded-For only', () => {
    expect(outcome(xff.resolve(PROXY, { forwarded: 'for=203.0.113.9', 'x-real-ip': '203.0.113.8' }))).toBe(
      `socket ${PROXY}`,
    );
  });

  it.each([
    // [why, peer, header, detail]
    [
      'names the element reached',
      PROXY,
      '203.0.113.9, unknown',
      'the rightmost element of x-forwarded-for, "unknown", is not an address',
    ],
    [
      'counts from the right',
      PROXY,
      '_x, 10.0.0.1, 10.0.0.3',
      'element 3 from the right of x-forwarded-for, "_x", is not an address',
    ],
    [
      'escapes control characters',
      PROXY,
      'a\r\nb',
      'the rightmost element of x-forwarded-for, "a\\r\\nb", is not an address',
    ],
    [
      'shortens long elements',
      PROXY,
      'x'.repeat(100),
      `the rightmost element of x-forwarded-for, "${'x'.repeat(64)}"… (100 characters), is not an address`,
    ],
    ['names the peer', 'fe80::1%eth0', '', 'socket peer "fe80::1%eth0" is not an address'],
  ])('detail %s', (_why, peer, header, detail) => {
    expect(xff.resolve(peer, { 'x-forwarded-for': header })).toMatchObject({ ok: false, detail });
  });
});

describe('trustedProxies with Forwarded (RFC 7239)', () => {
  it.each([
    // [why, peer, Forwarded, outcome]
    ['one element', PROXY, 'for=203.0.113.9', 'header 203.0.113.9'],
    ['untrusted peer is not believed', OUTSIDER, 'for=10.0.0.5', `socket ${OUTSIDER}`],
    ['untrusted peer: malformed header never read', OUTSIDER, 'for="', `socket ${OUTSIDER}`],
    [
      'leftmost is the client’s claim',
      PROXY,
      'for=6.6.6.6, for=203.0.113.9;proto=https',
      'header 203.0.113.9',
    ],
    [
      'trusted hops are skipped',
      PROXY,
      'for=6.6.6.6, for=203.0.113.9, for=10.0.0.1;by=10.0.0.2',
      'header 203.0.113.9',
    ],
    ['quoted IPv6 with port', PROXY, 'for="[2001:db8:cafe::17]:4711"', 'header 2001:db8:cafe::17'],
    ['quoted IPv4 with port', PROXY, 'for="203.0.113.9:47011"', 'header 203.0.113.9'],
    ['quoted mapped address', PROXY, 'for="[::ffff:203.0.113.9]"', 'header 203.0.113.9'],
    ['quoted trusted IPv6 hop', PROXY, 'for=203.0.113.9, for="[2001:db8:ffff::1]:80"', 'header 203.0.113.9'],
    ['uppercase FOR=', PROXY, 'FOR=203.0.113.9', 'header 203.0.113.9'],
    ['mixed-case For=', PROXY, 'proto=https;For=203.0.113.9', 'header 203.0.113.9'],
    [
      'comma inside quotes is one element',
      PROXY,
      'for="6.6.6.6, for=10.0.0.1", for=203.0.113.9',
      'header 203.0.113.9',
    ],
    // A naive comma split would see a trusted 10.0.0.1 and pick 203.0.113.9 from inside the quotes.
    [
      'comma inside the reached element',
      PROXY,
      'for="203.0.113.9,10.0.0.1"',
      'deny forwarded-element-invalid',
    ],
    ['semicolon inside quotes', PROXY, 'for=203.0.113.9;ext="a;for=10.0.0.1"', 'header 203.0.113.9'],
    ['escaped characters', PROXY, 'for="\\2\\03.0.113.9"', 'header 203.0.113.9'],
    ['whitespace around elements', PROXY, '  for=6.6.6.6 ,\tfor=203.0.113.9  ', 'header 203.0.113.9'],
    ['two lines', PROXY, ['for=6.6.6.6', 'for=203.0.113.9'], 'header 203.0.113.9'],
    ['all trusted', PROXY, 'for=10.0.0.5, for=10.0.0.1', 'header 10.0.0.5'],
    ['empty header', PROXY, '', `socket ${PROXY}`],
    ['absent header', PROXY, undefined, `socket ${PROXY}`],
    ['unknown', PROXY, 'for=unknown', 'deny forwarded-element-invalid'],
    ['quoted unknown', PROXY, 'for="unknown"', 'deny forwarded-element-invalid'],
    ['obfuscated', PROXY, 'for=_hidden', 'deny forwarded-element-invalid'],
    ['obfuscated with port', PROXY, 'for="_hidden:_port"', 'deny forwarded-element-invalid'],
    [
      'unknown left of the client is not judged',
      PROXY,
      'for=unknown, for=_x, for=203.0.113.9',
      'header 203.0.113.9',
    ],
    ['element without for', PROXY, 'by=10.0.0.1;proto=https', 'deny forwarded-element-invalid'],
    [
      'element without for after the client',
      PROXY,
      'for=203.0.113.9, by=10.0.0.1',
      'deny forwarded-element-invalid',
    ],
    ['element of only ;', PROXY, 'for=203.0.113.9, ;', 'deny forwarded-element-invalid'],
    ['zone id', PROXY, 'for="[fe80::1%25eth0]"', 'deny forwarded-element-invalid'],
    // RFC 7239 section 6 writes IPv6 only in brackets: a bare one fails closed like any bad element.
    ['IPv6 without brackets in quotes', PROXY, 'for="2001:db8:1::9"', 'deny forwarded-element-invalid'],
    ['unquoted IPv6 is malformed', PROXY, 'for=[2001:db8::1]', 'deny forwarded-header-malformed'],
    ['unquoted port is malformed', PROXY, 'for=203.0.113.9:80', 'deny forwarded-header-malformed'],
    ['unterminated quote', PROXY, 'for="203.0.113.9', 'deny forwarded-header-malformed'],
    ['repeated for', PROXY, 'for=203.0.113.9;for=10.0.0.1', 'deny forwarded-header-malformed'],
    [
      'malformed even left of the client',
      PROXY,
      'for=[x], for=203.0.113.9',
      'deny forwarded-header-malformed',
    ],
    ['65 elements', PROXY, Array(65).fill('for=10.0.0.1').join(','), 'deny forwarded-header-malformed'],
  ])('%s', (_why, peer, header, expected) => {
    expect(outcome(fwd.resolve(peer, { forwarded: header }))).toBe(expected);
  });

  it('reads Forwarded only', () => {
    expect(outcome(fwd.resolve(PROXY, { 'x-forwarded-for': '203.0.113.9' }))).toBe(`socket ${PROXY}`);
  });

  it.each([
    ['for=203.0.113.9, by=x', 'the rightmost element of forwarded has no for= parameter'],
    ['for=unknown, for=10.0.0.1', 'element 2 from the right of forwarded, "unknown", is not an address'],
    [
      'for=[::1]',
      'forwarded is malformed: expected a token or a quoted string after for= at offset 4, near "[::1]"',
    ],
  ])('detail for %j', (header, detail) => {
    expect(fwd.resolve(PROXY, { forwarded: header })).toMatchObject({ ok: false, detail });
  });
});

describe('trustedProxies set-up', () => {
  it.each([
    // [options, description]
    [{ trusted }, 'x-forwarded-for from 3 trusted ranges'],
    [{ trusted: ['10.0.0.1'], header: 'forwarded' as const }, 'forwarded from 1 trusted range'],
    [{ trusted: IpSet.from(['10.0.0.0/8', '192.168.0.0/16']) }, 'x-forwarded-for from 2 trusted ranges'],
    [{ trusted: new Set(['10.0.0.0/8']) }, 'x-forwarded-for from 1 trusted range'],
    [{ trusted: [{ value: '10.0.0.0/8', name: 'vpc' }] }, 'x-forwarded-for from 1 trusted range'],
  ])('%j → %s', (options, description) => {
    expect(trustedProxies(options).description).toBe(description);
  });

  it('takes IPv4-mapped entries as IPv4', () => {
    const s = trustedProxies({ trusted: ['::ffff:10.0.0.0/104'] });
    expect(outcome(s.resolve('10.0.0.2', { 'x-forwarded-for': '203.0.113.9, 10.9.9.9' }))).toBe(
      'header 203.0.113.9',
    );
  });

  it.each([
    // [why, trusted, field]
    ['empty list', [], 'trusted'],
    ['empty set', IpSet.empty, 'trusted'],
    ['every IPv4 address', ['0.0.0.0/0'], 'trusted'],
    ['every IPv4 address in halves', ['0.0.0.0/1', '128.0.0.0/1'], 'trusted'],
    ['every IPv6 address', ['::/0'], 'trusted'],
    ['a string, which would iterate characters', '10.0.0.0/8', 'trusted'],
    ['a bad entry', ['10.0.0.0/8', '10.0.0.1/8'], 'trusted[1]'],
    ['a loose IPv4 entry', ['010.0.0.1'], 'trusted[0]'],
  ])('refuses %s', (_why, list, field) => {
    const attempt = () => trustedProxies({ trusted: list as Iterable<string> });
    expect(attempt).toThrow(IpGateError);
    try {
      attempt();
    } catch (e) {
      expect(e).toMatchObject({ code: 'IPG_CONFIG_INVALID', field, hint: expect.any(String) });
    }
  });

  it('refuses an unknown header', () => {
    expect(() => trustedProxies({ trusted, header: 'x-real-ip' as 'forwarded' })).toThrow(
      expect.objectContaining({ code: 'IPG_CONFIG_INVALID', field: 'header' }),
    );
  });

  it('takes the header name in any case', () => {
    expect(trustedProxies({ trusted, header: 'Forwarded' as 'forwarded' }).description).toBe(
      'forwarded from 3 trusted ranges',
    );
  });
});

describe('headers as RequestHeaders', () => {
  it('accepts node-shaped header objects with a null prototype', () => {
    const headers: RequestHeaders = Object.assign(Object.create(null), {
      'x-forwarded-for': '203.0.113.9',
      host: 'api.example.com',
    });
    expect(outcome(xff.resolve(PROXY, headers))).toBe('header 203.0.113.9');
  });
});

describe('Traefik CVE-2024-45410: a client makes the trusted proxy drop X-Forwarded-For', () => {
  // The client sent `Connection: X-Forwarded-For`, so the proxy in front removed the header as
  // hop-by-hop. ipgate then sees a trusted peer and no header: the client is the proxy itself, never
  // "nobody". Whether that passes is up to the list, which is why lists should not name proxies.
  it('resolves to the proxy, which a list of client addresses does not allow', () => {
    const r = xff.resolve(PROXY, {});
    expect(outcome(r)).toBe(`socket ${PROXY}`);
    const clients = IpSet.from(['203.0.113.0/24']);
    expect(r.ok && clients.hasAddress(r.address)).toBe(false);
  });
});
