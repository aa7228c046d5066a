import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatEntryCsv, parseEntryCsv } from './entry-csv.js';
import { parseEntry } from './parse-entry.js';

describe('parseEntryCsv', () => {
  it('reads a header in any order, quoted fields and every column', () => {
    const { rows, errors } = parseEntryCsv(
      '\uFEFFname,value,enabled,expiresAt\r\n# a comment\r\n"office, 2nd floor",203.0.113.0/24,false,2027-01-01T00:00:00Z\r\n\r\n"say ""hi""", 2001:db8::/48 ,,\n',
    );
    expect(errors).toEqual([]);
    expect(rows).toEqual([
      {
        value: '203.0.113.0/24',
        name: 'office, 2nd floor',
        enabled: false,
        expiresAt: new Date('2027-01-01T00:00:00Z'),
        line: 3,
      },
      { value: '2001:db8::/48', name: 'say "hi"', enabled: undefined, expiresAt: null, line: 5 },
    ]);
  });

  it('reads positional rows without a header; missing columns stay undefined', () => {
    const { rows } = parseEntryCsv('10.0.0.0/8\n10.1.0.0/16,vpn\n');
    expect(rows).toEqual([
      { value: '10.0.0.0/8', name: undefined, expiresAt: undefined, enabled: undefined, line: 1 },
      { value: '10.1.0.0/16', name: 'vpn', expiresAt: undefined, enabled: undefined, line: 2 },
    ]);
  });

  it('tells an empty name (no name) from a missing name column (leave the name as it is)', () => {
    const { rows } = parseEntryCsv('10.0.0.0/8,,\n10.1.0.0/16\n');
    expect(rows.map((r) => r.name)).toEqual(['', undefined]);
  });

  it('reports every bad line with its number, code and field, and keeps the good ones', () => {
    const { rows, errors } = parseEntryCsv(
      [
        'value,name,expiresAt,enabled',
        '10.0.0.1/8,bad cidr',
        '"10.0.0.1,unclosed',
        '10.0.0.2,a,b,c,d',
        '10.0.0.3,x,tomorrow,',
        '10.0.0.4,x,,maybe',
        '10.0.0.5,x,2027-01-01T00:00:00,',
        '10.0.0.6,ok',
      ].join('\n'),
      { source: 'list.csv' },
    );
    expect(rows.map((r) => r.line)).toEqual([8]);
    expect(errors.map((e) => [e.code, e.field, e.message.split(' ')[0]])).toEqual([
      ['IPG_ENTRY_HOST_BITS', 'value', 'list.csv:2:'],
      ['IPG_CSV_INVALID', undefined, 'list.csv:3:'],
      ['IPG_CSV_INVALID', undefined, 'list.csv:4:'],
      ['IPG_CSV_INVALID', 'expiresAt', 'list.csv:5:'],
      ['IPG_CSV_INVALID', 'enabled', 'list.csv:6:'],
      ['IPG_CSV_INVALID', 'expiresAt', 'list.csv:7:'],
    ]);
    expect(errors[3]?.hint).toMatch(/RFC 3339/);
  });

  it('stops at a header it cannot use rather than misread every row', () => {
    const { rows, errors } = parseEntryCsv('value,nmae\n10.0.0.1,x\n');
    expect(rows).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/^line 1: .*unknown column "nmae"/);
  });
});

const name = fc.oneof(
  fc.constant(''),
  fc.string({ minLength: 1, maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, ' ').trim()),
  fc.constantFrom('office, 2nd', 'say "hi"', '#tag', ' x ', 'a,b,"c"'),
);
const value = fc
  .oneof(
    fc.ipV4().map((a) => parseEntry(a).canonical),
    fc.ipV6().map((a) => parseEntry(a).canonical),
    fc
      .tuple(fc.ipV4(), fc.integer({ min: 8, max: 32 }))
      .map(([a, n]) => parseEntry(`${a}/32`).canonical.replace('/32', `/${n}`)),
  )
  .filter((v) => {
    try {
      parseEntry(v);
      return true;
    } catch {
      return false;
    }
  });
const row = fc.record({
  value,
  name,
  expiresAt: fc.option(
    fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
    {
      nil: null,
    },
  ),
  enabled: fc.boolean(),
});

describe('formatEntryCsv', () => {
  it('round-trips: parse(format(rows)) gives the rows back, and format again gives the same text', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 30 }), (rows) => {
        const text = formatEntryCsv(rows);
        const back = parseEntryCsv(text);
        expect(back.errors).toEqual([]);
        const again = back.rows.map((r) => ({
          value: r.value,
          name: r.name ?? '',
          expiresAt: r.expiresAt ?? null,
          enabled: r.enabled ?? true,
        }));
        expect(again).toEqual(rows);
        expect(formatEntryCsv(again)).toBe(text);
      }),
    );
  });
});
