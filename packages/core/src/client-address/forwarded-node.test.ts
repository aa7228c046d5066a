import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseForwardedNode } from './forwarded-node.js';

describe('parseForwardedNode accepts the node forms proxies write', () => {
  it.each([
    // [text, canonical address]
    ['192.0.2.43', '192.0.2.43'],
    ['192.0.2.43:47011', '192.0.2.43'],
    ['192.0.2.43:1', '192.0.2.43'],
    ['192.0.2.43:65535', '192.0.2.43'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255:80', '255.255.255.255'],
    ['2001:db8:cafe::17', '2001:db8:cafe::17'],
    ['2001:DB8:CAFE::17', '2001:db8:cafe::17'],
    ['[2001:db8:cafe::17]', '2001:db8:cafe::17'],
    ['[2001:db8:cafe::17]:4711', '2001:db8:cafe::17'],
    ['::1', '::1'],
    ['[::1]:443', '::1'],
    ['::', '::'],
    // A bare IPv6 address is never trimmed: the last group is part of the address, not a port.
    ['2001:db8::1:80', '2001:db8::1:80'],
    ['::1:443', '::1:443'],
    ['fe80::1', 'fe80::1'],
    // IPv4-mapped forms come back as IPv4, so they match IPv4 trust lists and allowlists.
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::FFFF:10.0.0.1', '10.0.0.1'],
    ['::ffff:a00:1', '10.0.0.1'],
    ['[::ffff:10.0.0.1]', '10.0.0.1'],
    ['[::ffff:203.0.113.9]:8080', '203.0.113.9'],
    // Only the mapped block is unmapped.
    ['::10.0.0.1', '::a00:1'],
    ['64:ff9b::10.0.0.1', '64:ff9b::a00:1'],
  ])('%s → %s', (text, canonical) => {
    expect(parseForwardedNode(text)?.toString()).toBe(canonical);
  });
});

describe('parseForwardedNode for a Forwarded header', () => {
  it.each([
    ['2001:db8::7', undefined],
    ['::1', undefined],
    ['::ffff:10.0.0.1', undefined],
    ['[2001:db8::7]', '2001:db8::7'],
    ['[2001:db8::7]:443', '2001:db8::7'],
    ['192.0.2.43:80', '192.0.2.43'],
  ])('%s -> %s (IPv6 only in brackets)', (text, canonical) => {
    expect(parseForwardedNode(text, 'forwarded')?.toString()).toBe(canonical);
    // X-Forwarded-For takes a bare IPv6 address, as proxies write it there.
    expect(parseForwardedNode(text, 'x-forwarded-for')?.toString()).toBe(
      canonical ?? parseForwardedNode(text)?.toString(),
    );
  });
});

describe('parseForwardedNode refuses everything else', () => {
  it.each([
    // [why, text]
    ['empty', ''],
    ['RFC 7239 unknown', 'unknown'],
    ['unknown with a port', 'unknown:80'],
    ['obfuscated node', '_hidden'],
    ['obfuscated node with port', '_hidden:_port'],
    ['obfuscated port', '192.0.2.1:_abc'],
    ['obfuscated port after IPv6', '[2001:db8::1]:_abc'],
    ['zone id', 'fe80::1%eth0'],
    ['zone id in brackets', '[fe80::1%eth0]'],
    ['URL-escaped zone id in brackets', '[fe80::1%25eth0]:80'],
    ['leading-zero port', '192.0.2.1:080'],
    ['zero port', '192.0.2.1:0'],
    ['port 00', '192.0.2.1:00'],
    ['out-of-range port', '192.0.2.1:65536'],
    ['six-digit port', '192.0.2.1:100000'],
    ['signed port', '192.0.2.1:+80'],
    ['negative port', '192.0.2.1:-1'],
    ['empty port', '192.0.2.1:'],
    ['empty port after brackets', '[::1]:'],
    ['port with space', '192.0.2.1: 80'],
    ['port with letters', '192.0.2.1:8o'],
    ['two ports', '192.0.2.1:80:80'],
    ['port alone', ':80'],
    ['leading space', ' 192.0.2.1'],
    ['trailing space', '192.0.2.1 '],
    ['tab inside', '192.0.2.1\t'],
    ['leading-zero octet', '010.0.0.1'],
    ['shortened IPv4', '127.1'],
    ['integer IPv4', '2130706433'],
    ['hex IPv4', '0x7f.0.0.1'],
    ['octet out of range', '192.0.2.256'],
    ['IPv4 in brackets', '[192.0.2.1]'],
    ['IPv4 in brackets with port', '[192.0.2.1]:80'],
    ['unclosed bracket', '[2001:db8::1'],
    ['unopened bracket', '2001:db8::1]'],
    ['text after brackets', '[::1]x'],
    ['text after brackets and colon', '[::1]:80x'],
    ['brackets inside brackets', '[[::1]]'],
    ['empty brackets', '[]'],
    ['mapped address with a port, unbracketed', '::ffff:10.0.0.1:80'],
    ['IPv6 with too many groups', '1:2:3:4:5:6:7:8:9'],
    ['two ellipses', '2001::db8::1'],
    ['quoted', '"192.0.2.1"'],
    ['host name', 'proxy.example.com'],
    ['host name with port', 'localhost:80'],
    ['a list', '192.0.2.1,192.0.2.2'],
    ['CIDR', '192.0.2.0/24'],
    ['full-width digits', '１９２.0.2.1'],
  ])('%s: %j', (_why, text) => {
    expect(parseForwardedNode(text)).toBeUndefined();
  });
});

describe('parseForwardedNode properties', () => {
  it('accepts every IPv4 address with any valid port, and returns that address', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.option(fc.integer({ min: 1, max: 65535 })), (ip, port) => {
        const text = port === null ? ip : `${ip}:${port}`;
        expect(parseForwardedNode(text)?.toString()).toBe(ip);
      }),
    );
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        parseForwardedNode(text);
      }),
    );
  });
});
