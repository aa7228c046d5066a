import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forwardingHeaderNames, hasForwardingHeaders } from './forwarding-headers.js';
import { parsePeer, socketPeer } from './socket-peer.js';
import type { RequestHeaders } from './strategy.js';

describe('socketPeer: the peer is the client', () => {
  const strategy = socketPeer();

  it.each([
    // [peer as node reports it, client]
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::FFFF:203.0.113.9', '203.0.113.9'],
    ['203.0.113.9', '203.0.113.9'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0::1', '2001:db8::1'],
    ['fe80::1', 'fe80::1'],
  ])('peer %s → %s', (peer, client) => {
    const r = strategy.resolve(peer, {});
    expect(r).toMatchObject({ ok: true, via: 'socket', sawForwardingHeaders: false });
    if (r.ok) expect(r.address.toString()).toBe(client);
  });

  it.each([
    // [why, peer]
    ['socket gone', undefined],
    ['empty', ''],
    ['zone id', 'fe80::1%eth0'],
    ['numeric zone id', 'fe80::1%2'],
    ['bracketed', '[::1]'],
    ['with port', '127.0.0.1:8080'],
    ['shortened IPv4', '127.1'],
    ['leading-zero octet', '127.000.0.1'],
    ['host name', 'localhost'],
    ['surrounding space', ' 127.0.0.1'],
  ])('%s (%j) → client-address-invalid', (_why, peer) => {
    const r = strategy.resolve(peer, {});
    expect(r).toMatchObject({ ok: false, reason: 'client-address-invalid', sawForwardingHeaders: false });
  });

  it.each([
    // [why, headers, client, saw forwarding headers]
    ['no headers', {}, '198.51.100.7', false],
    ['X-Forwarded-For is ignored, and noticed', { 'x-forwarded-for': '10.0.0.1' }, '198.51.100.7', true],
    ['X-Forwarded-For: 127.0.0.1 from outside', { 'x-forwarded-for': '127.0.0.1' }, '198.51.100.7', true],
    ['Forwarded is ignored, and noticed', { forwarded: 'for=10.0.0.1' }, '198.51.100.7', true],
    ['a malformed Forwarded is not even read', { forwarded: 'for="' }, '198.51.100.7', true],
    ['X-Real-IP is ignored, and noticed', { 'x-real-ip': '10.0.0.1' }, '198.51.100.7', true],
    ['True-Client-IP is noticed', { 'true-client-ip': '10.0.0.1' }, '198.51.100.7', true],
    ['CF-Connecting-IP is noticed', { 'cf-connecting-ip': '10.0.0.1' }, '198.51.100.7', true],
    ['an empty X-Forwarded-For is noticed', { 'x-forwarded-for': '' }, '198.51.100.7', true],
    ['several lines are noticed', { 'x-forwarded-for': ['10.0.0.1', '10.0.0.2'] }, '198.51.100.7', true],
    ['an absent header is not', { 'x-forwarded-for': undefined }, '198.51.100.7', false],
    ['other headers are not', { host: 'api.example.com', 'x-api-key': 'k' }, '198.51.100.7', false],
  ] satisfies Array<[string, RequestHeaders, string, boolean]>)('%s', (_why, headers, client, saw) => {
    const r = strategy.resolve('198.51.100.7', headers);
    expect(r).toMatchObject({ ok: true, via: 'socket', sawForwardingHeaders: saw });
    if (r.ok) expect(r.address.toString()).toBe(client);
  });

  it('reports forwarding headers on a denial too', () => {
    expect(strategy.resolve(undefined, { 'x-forwarded-for': '10.0.0.1' })).toMatchObject({
      ok: false,
      sawForwardingHeaders: true,
    });
  });

  it('describes itself', () => {
    expect(strategy.description).toBe('socket peer');
  });
});

describe('parsePeer details', () => {
  it.each([
    [undefined, 'no socket peer (the connection is gone)'],
    ['fe80::1%eth0', 'socket peer "fe80::1%eth0" is not an address'],
    ['a\nb', 'socket peer "a\\nb" is not an address'],
  ])('%j → %s', (peer, detail) => {
    expect(parsePeer(peer)).toEqual({ ok: false, detail });
  });
});

describe('hasForwardingHeaders', () => {
  it.each(forwardingHeaderNames.map((name) => [name]))('%s counts', (name) => {
    expect(hasForwardingHeaders({ [name]: 'x' })).toBe(true);
  });

  it.each([
    // [why, headers, seen]
    ['empty array', { 'x-forwarded-for': [] }, false],
    ['undefined', { forwarded: undefined }, false],
    ['upper-case names are not read (node lower-cases them)', { 'X-Forwarded-For': '10.0.0.1' }, false],
  ] satisfies Array<[string, RequestHeaders, boolean]>)('%s', (_why, headers, seen) => {
    expect(hasForwardingHeaders(headers)).toBe(seen);
  });

  it('answers as looking up every forwarding header name does, whatever else the request carries', () => {
    const name = fc.oneof(
      fc.constantFrom(...forwardingHeaderNames, 'host', 'accept', 'X-Forwarded-For'),
      fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    );
    const value = fc.oneof(
      fc.string({ maxLength: 4 }),
      fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(fc.dictionary(name, value), (headers) => {
        const expected = forwardingHeaderNames.some((n) => {
          const v = headers[n];
          return typeof v === 'string' || (Array.isArray(v) && v.length > 0);
        });
        expect(hasForwardingHeaders(headers)).toBe(expected);
      }),
    );
  });
});
