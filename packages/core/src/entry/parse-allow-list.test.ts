import { describe, expect, it } from 'vitest';
import { IpGateError } from '../errors/ip-gate-error.js';
import { parseAllowList } from './parse-allow-list.js';

describe('parseAllowList', () => {
  it.each([
    ['a bare address', '203.0.113.7', '203.0.113.7', undefined],
    ['a CIDR with a name', '203.0.113.0/24 office', '203.0.113.0/24', 'office'],
    ['a name of several words', '203.0.113.0/24   head  office ', '203.0.113.0/24', 'head  office'],
    ['a spaced dash range', '203.0.113.5 - 203.0.113.9', '203.0.113.5 - 203.0.113.9', undefined],
    [
      'a spaced dash range with a name',
      '203.0.113.5 - 203.0.113.9 branch office',
      '203.0.113.5 - 203.0.113.9',
      'branch office',
    ],
    ['a dash glued to the start', '203.0.113.5- 203.0.113.9 branch', '203.0.113.5- 203.0.113.9', 'branch'],
    ['a dash glued to the end', '203.0.113.5 -203.0.113.9 branch', '203.0.113.5 -203.0.113.9', 'branch'],
    ['a short range with a name', '192.168.10.10-20 lab', '192.168.10.10-20', 'lab'],
    ['a netmask', '10.0.0.0/255.0.0.0 vpn', '10.0.0.0/255.0.0.0', 'vpn'],
    ['tabs between entry and name', '2001:db8::/32\tv6 office', '2001:db8::/32', 'v6 office'],
    ['a trailing comment', '203.0.113.0/24 office # since 2024', '203.0.113.0/24', 'office'],
    ['a trailing comment without a name', '203.0.113.0/24 # office', '203.0.113.0/24', undefined],
    ['a # inside a name', '203.0.113.0/24 office#2', '203.0.113.0/24', 'office#2'],
    ['a name that looks like hex', '2001:db8::1 cafe', '2001:db8::1', 'cafe'],
    ['leading white space', '   10.0.0.0/8 vpn', '10.0.0.0/8', 'vpn'],
  ])('reads %s', (_, line, value, name) => {
    const result = parseAllowList(line);
    expect(result.errors).toEqual([]);
    expect(result.entries).toEqual([{ value, name, line: 1 }]);
  });

  it('skips blank lines and comments and counts lines across CRLF, CR and a BOM', () => {
    const text =
      '\uFEFF# allow file\r\n\r\n203.0.113.0/24 office\r\n   # indented comment\r  \t\n2001:db8::/48\n';
    expect(parseAllowList(text)).toEqual({
      entries: [
        { value: '203.0.113.0/24', name: 'office', line: 3 },
        { value: '2001:db8::/48', name: undefined, line: 6 },
      ],
      errors: [],
    });
  });

  it('reads a BOM-prefixed first line as an entry', () => {
    expect(parseAllowList('\uFEFF10.0.0.0/8').entries).toEqual([
      { value: '10.0.0.0/8', name: undefined, line: 1 },
    ]);
  });

  it('returns nothing for an empty file', () => {
    expect(parseAllowList('')).toEqual({ entries: [], errors: [] });
    expect(parseAllowList('# only a comment\n\n')).toEqual({ entries: [], errors: [] });
  });

  it('reports every bad line, prefixed with file and line, and keeps the good ones', () => {
    const text = [
      '10.0.0.1/8 vpn',
      '203.0.113.0/24 office',
      '127.1',
      '203.0.113.9 - 203.0.113.5 reversed',
      '10.0.0.1 10.0.0.2',
      '10.0.0.0/8 10/8',
      '198.51.100.0/24, 192.0.2.0/24',
      '192.0.2.1 -',
      '2001:db8::1',
    ].join('\n');
    const { entries, errors } = parseAllowList(text, { source: 'allow.txt' });
    expect(entries).toEqual([
      { value: '203.0.113.0/24', name: 'office', line: 2 },
      { value: '2001:db8::1', name: undefined, line: 9 },
    ]);
    expect(errors.map((e) => [e.code, e.message.split(' ')[0]])).toEqual([
      ['IPG_ENTRY_HOST_BITS', 'allow.txt:1:'],
      ['IPG_ADDRESS_AMBIGUOUS_IPV4', 'allow.txt:3:'],
      ['IPG_ENTRY_RANGE_REVERSED', 'allow.txt:4:'],
      ['IPG_ENTRY_LIST', 'allow.txt:5:'],
      ['IPG_ENTRY_LIST', 'allow.txt:6:'],
      ['IPG_ENTRY_LIST', 'allow.txt:7:'],
      ['IPG_ENTRY_INVALID', 'allow.txt:8:'],
    ]);
    for (const e of errors) {
      expect(e).toBeInstanceOf(IpGateError);
      expect(e.hint).toBeTruthy();
    }
    expect(errors[0]?.message).toBe('allow.txt:1: "10.0.0.1/8" has host bits set after /8.');
    expect(errors[0]?.hint).toContain('10.0.0.0/8');
    expect(errors[3]?.message).toContain('10.0.0.1 10.0.0.2');
  });

  it('prefixes messages with the line alone when no source is given', () => {
    expect(parseAllowList('\n010.0.0.1').errors[0]?.message).toMatch(
      /^line 2: "010\.0\.0\.1" has a leading zero/,
    );
  });

  it('reads a name that starts with a dash as the end of a range, and says so', () => {
    const { entries, errors } = parseAllowList('203.0.113.5 -office');
    expect(entries).toEqual([]);
    expect(errors[0]?.code).toBe('IPG_ENTRY_INVALID');
    expect(errors[0]?.message).toContain('office');
  });

  it('reads a large file in one pass', () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24 n${i}`);
    const { entries, errors } = parseAllowList(lines.join('\n'));
    expect(errors).toEqual([]);
    expect(entries).toHaveLength(100_000);
    expect(entries[99_999]).toEqual({ value: '10.134.159.0/24', name: 'n99999', line: 100_000 });
  });
});
