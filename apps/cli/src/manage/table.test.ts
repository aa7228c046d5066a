import { describe, expect, it } from 'vitest';
import { fields, table } from './table.js';

describe('table', () => {
  const columns = [
    { heading: 'ID', cell: (r: { id: string; name: string }) => r.id },
    { heading: 'NAME', cell: (r: { id: string; name: string }) => r.name },
  ];

  it('aligns columns two spaces apart and ends lines without spaces', () => {
    expect(
      table(
        [
          { id: 'ten_1', name: 'Acme' },
          { id: 'ten_22222', name: '' },
        ],
        columns,
      ),
    ).toEqual(['ID         NAME', 'ten_1      Acme', 'ten_22222']);
  });

  it('measures escaped cells, so a control character cannot break the alignment', () => {
    const [heading, row] = table([{ id: 'a\nb', name: 'x' }], columns);
    expect(row).toBe('a\\u000ab  x');
    expect(heading?.indexOf('NAME')).toBe(row?.indexOf('x'));
  });
});

describe('fields', () => {
  it('aligns labels', () => {
    expect(
      fields([
        ['id', 'ten_1'],
        ['ip entry limit', 100],
      ]),
    ).toEqual(['id              ten_1', 'ip entry limit  100']);
  });
});
