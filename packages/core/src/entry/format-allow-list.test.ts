import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAllowList } from './format-allow-list.js';
import { parseAllowList } from './parse-allow-list.js';
import { parseEntry } from './parse-entry.js';

describe('formatAllowList', () => {
  it('aligns names, writes notes as comments and a header', () => {
    const text = formatAllowList(
      [
        { value: '203.0.113.0/24', name: 'office' },
        { value: '10.0.0.1', name: '', note: 'disabled' },
        { value: '2001:db8::/48', name: 'v6 office', note: 'expires 2027-01-01T00:00:00.000Z' },
      ],
      { header: ['exported'] },
    );
    expect(text).toBe(
      '# exported\n203.0.113.0/24  office\n10.0.0.1        # disabled\n2001:db8::/48   v6 office  # expires 2027-01-01T00:00:00.000Z\n',
    );
    expect(parseAllowList(text).entries.map((e) => [e.value, e.name])).toEqual([
      ['203.0.113.0/24', 'office'],
      ['10.0.0.1', undefined],
      ['2001:db8::/48', 'v6 office'],
    ]);
  });

  it.each([['-dash'], ['#hash'], ['a #b'], ['10.0.0.2 second'], ['two\nlines']])(
    'refuses a name it cannot hold (%j), naming the entry',
    (bad) => {
      expect(() => formatAllowList([{ value: '10.0.0.1', name: bad }])).toThrow(
        expect.objectContaining({
          code: 'IPG_EXPORT_TEXT_UNSAFE',
          message: expect.stringContaining('10.0.0.1'),
        }),
      );
    },
  );

  it('round-trips any name it accepts', () => {
    const value = fc.ipV4().map((a) => parseEntry(a).canonical);
    const name = fc.string({ maxLength: 15 }).map((s) => s.trim());
    fc.assert(
      fc.property(fc.array(fc.record({ value, name }), { maxLength: 20 }), (rows) => {
        let text: string;
        try {
          text = formatAllowList(rows);
        } catch (e) {
          expect(e).toMatchObject({ code: 'IPG_EXPORT_TEXT_UNSAFE' });
          return;
        }
        const back = parseAllowList(text);
        expect(back.errors).toEqual([]);
        expect(back.entries.map((e) => ({ value: e.value, name: e.name ?? '' }))).toEqual(rows);
        expect(formatAllowList(rows)).toBe(text);
      }),
    );
  });
});

describe('parseAllowList on long names', () => {
  it('reads a name of 50,000 address characters without backtracking', () => {
    const name = `64:ff9b::192.0.2.1${'/'.repeat(50_000)}x`;
    const { entries } = parseAllowList(`192.0.2.1 ${name}`);
    expect(entries[0]?.name).toBe(name);
  });
});
