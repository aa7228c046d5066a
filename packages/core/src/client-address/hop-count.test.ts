import { describe, expect, it } from 'vitest';
import { hopCount } from './hop-count.js';
import type { ClientAddressResult, HeaderValue } from './strategy.js';

function outcome(r: ClientAddressResult): string {
  return r.ok ? `${r.via} ${r.address.toString()}` : `deny ${r.reason}`;
}

const LB = '10.0.0.2';

describe('hopCount with X-Forwarded-For', () => {
  it.each([
    // [why, hops, peer, X-Forwarded-For, outcome]
    ['one hop, one element', 1, LB, '203.0.113.9', 'header 203.0.113.9'],
    ['one hop: the client’s own claim is left of it', 1, LB, '6.6.6.6, 203.0.113.9', 'header 203.0.113.9'],
    ['two hops', 2, LB, '6.6.6.6, 203.0.113.9, 10.0.0.1', 'header 203.0.113.9'],
    ['three hops over lines', 3, LB, ['6.6.6.6, 203.0.113.9', '10.0.0.1, 10.0.0.3'], 'header 203.0.113.9'],
    ['exactly enough elements', 2, LB, '203.0.113.9, 10.0.0.1', 'header 203.0.113.9'],
    ['the peer is not judged', 1, '198.51.100.7', '203.0.113.9', 'header 203.0.113.9'],
    ['mapped peer', 1, `::ffff:${LB}`, '203.0.113.9', 'header 203.0.113.9'],
    ['proxies between are not parsed', 2, LB, '203.0.113.9, unknown', 'header 203.0.113.9'],
    ['elements left of the client are not parsed', 1, LB, 'garbage, 203.0.113.9', 'header 203.0.113.9'],
    ['port', 1, LB, '203.0.113.9:4711', 'header 203.0.113.9'],
    ['bracketed IPv6 with port', 1, LB, '[2001:db8::9]:443', 'header 2001:db8::9'],
    ['bare IPv6 is not trimmed', 1, LB, '2001:db8::1:80', 'header 2001:db8::1:80'],
    ['mapped element', 1, LB, '::ffff:203.0.113.9', 'header 203.0.113.9'],
    ['empty elements are not hops', 1, LB, '203.0.113.9, , ', 'header 203.0.113.9'],
    // Fail closed: never fall back to the furthest address, as Express's `trust proxy` does.
    ['header absent', 1, LB, undefined, 'deny too-few-hops'],
    ['header stripped on the way (hop-by-hop Connection trick)', 2, LB, undefined, 'deny too-few-hops'],
    ['header empty', 1, LB, '', 'deny too-few-hops'],
    ['one element short', 2, LB, '203.0.113.9', 'deny too-few-hops'],
    ['far too few', 5, LB, '203.0.113.9, 10.0.0.1', 'deny too-few-hops'],
    ['unknown at the position', 1, LB, 'unknown', 'deny forwarded-element-invalid'],
    ['obfuscated at the position', 2, LB, '_x, 10.0.0.1', 'deny forwarded-element-invalid'],
    ['bad port at the position', 1, LB, '203.0.113.9:0', 'deny forwarded-element-invalid'],
    ['zone id at the position', 1, LB, 'fe80::1%eth0', 'deny forwarded-element-invalid'],
    ['too many elements', 1, LB, Array(65).fill('10.0.0.1').join(','), 'deny forwarded-header-malformed'],
    ['no peer', 1, undefined, '203.0.113.9', 'deny client-address-invalid'],
    ['peer with zone id', 1, 'fe80::1%eth0', '203.0.113.9', 'deny client-address-invalid'],
  ] satisfies Array<[string, number, string | undefined, HeaderValue, string]>)(
    '%s',
    (_why, hops, peer, header, expected) => {
      const r = hopCount({ hops }).resolve(peer, { 'x-forwarded-for': header });
      expect(outcome(r)).toBe(expected);
      expect(r.sawForwardingHeaders).toBe(header !== undefined);
    },
  );

  it.each([
    [1, '', '1 proxy hop needs 1 x-forwarded-for element; the request carries 0'],
    [3, '203.0.113.9, 10.0.0.1', '3 proxy hops need 3 x-forwarded-for elements; the request carries 2'],
    [2, 'unknown, 10.0.0.1', 'element 2 from the right of x-forwarded-for, "unknown", is not an address'],
  ])('detail with %i hops and %j', (hops, header, detail) => {
    expect(hopCount({ hops }).resolve(LB, { 'x-forwarded-for': header })).toMatchObject({
      ok: false,
      detail,
    });
  });
});

describe('hopCount with Forwarded', () => {
  it.each([
    // [why, hops, Forwarded, outcome]
    ['one hop', 1, 'for=6.6.6.6, for="203.0.113.9:80";proto=https', 'header 203.0.113.9'],
    ['two hops', 2, 'for=203.0.113.9, for=10.0.0.1', 'header 203.0.113.9'],
    ['quoted IPv6', 1, 'for="[2001:db8:cafe::17]:4711"', 'header 2001:db8:cafe::17'],
    [
      'quoted IPv6 without brackets (RFC 7239 wants them)',
      1,
      'for="2001:db8::7"',
      'deny forwarded-element-invalid',
    ],
    ['bare IPv4-mapped IPv6', 1, 'for="::ffff:203.0.113.9"', 'deny forwarded-element-invalid'],
    ['uppercase FOR', 1, 'FOR=203.0.113.9', 'header 203.0.113.9'],
    [
      'comma inside quotes is one element',
      2,
      'for="6.6.6.6, 7.7.7.7", for=10.0.0.1',
      'deny forwarded-element-invalid',
    ],
    [
      'element without for at the position',
      1,
      'for=203.0.113.9, by=10.0.0.1',
      'deny forwarded-element-invalid',
    ],
    ['element without for between is fine', 2, 'for=203.0.113.9, by=10.0.0.1', 'header 203.0.113.9'],
    ['unknown', 1, 'for=unknown', 'deny forwarded-element-invalid'],
    ['malformed', 1, 'for=203.0.113.9:80', 'deny forwarded-header-malformed'],
    ['too few', 2, 'for=203.0.113.9', 'deny too-few-hops'],
  ] satisfies Array<[string, number, string, string]>)('%s', (_why, hops, header, expected) => {
    expect(outcome(hopCount({ hops, header: 'forwarded' }).resolve(LB, { forwarded: header }))).toBe(
      expected,
    );
  });
});

describe('hopCount set-up', () => {
  it.each([
    [{ hops: 1 }, 'x-forwarded-for from 1 proxy hop'],
    [{ hops: 2, header: 'forwarded' as const }, 'forwarded from 2 proxy hops'],
    [{ hops: 64 }, 'x-forwarded-for from 64 proxy hops'],
  ])('%j → %s', (options, description) => {
    expect(hopCount(options).description).toBe(description);
  });

  it.each([[0], [-1], [1.5], [65], [Number.NaN], [Number.POSITIVE_INFINITY], ['2'], [undefined], [null]])(
    'refuses hops %j',
    (hops) => {
      expect(() => hopCount({ hops: hops as number })).toThrow(
        expect.objectContaining({ code: 'IPG_CONFIG_INVALID', field: 'hops', hint: expect.any(String) }),
      );
    },
  );
});
