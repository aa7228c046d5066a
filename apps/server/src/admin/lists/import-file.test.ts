import { isIpGateError } from '@ipgate/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readImportFile } from './import-file.js';

describe('readImportFile', () => {
  it('reads text: no name is an empty name; comments and blank lines are skipped', () => {
    const file = readImportFile('text', '# top\n10.0.0.0/8  vpn\n\n192.0.2.1\n');
    expect(file.errors).toEqual([]);
    expect(file.rows).toEqual([
      { line: 2, value: '10.0.0.0/8', canonical: '10.0.0.0/8', name: 'vpn' },
      { line: 4, value: '192.0.2.1', canonical: '192.0.2.1', name: '' },
    ]);
  });

  it('reads CSV: a column the file lacks stays undefined (the entry keeps it)', () => {
    const file = readImportFile('csv', 'value\n10.0.0.0/255.0.0.0\n');
    expect(file.rows).toEqual([{ line: 2, value: '10.0.0.0/255.0.0.0', canonical: '10.0.0.0/8' }]);
  });

  it('reports each bad line once, in line order, with its own code', () => {
    const file = readImportFile(
      'text',
      `10.0.0.1/8\n10.0.0.2 a\u202Eb\n10.0.0.0/8\n10.0.0.0/255.0.0.0 twin\n`,
    );
    expect(file.errors.map((e) => [e.line, e.error.code])).toEqual([
      [1, 'IPG_ENTRY_HOST_BITS'],
      [2, 'IPG_TEXT_INVALID'],
      [4, 'IPG_IMPORT_DUPLICATE'],
    ]);
    expect(file.rows.map((r) => r.line)).toEqual([3]);
  });

  it('throws only IpGateError, and every line it keeps parses, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('text', 'csv') as fc.Arbitrary<'text' | 'csv'>,
        fc.string({ maxLength: 400 }),
        (format, content) => {
          try {
            const file = readImportFile(format, content);
            for (const r of file.rows) expect(r.canonical.length).toBeGreaterThan(0);
            for (const e of file.errors) expect(e.error.message).toMatch(/^line \d+: /);
          } catch (e) {
            expect(isIpGateError(e)).toBe(true);
          }
        },
      ),
    );
  });
});
