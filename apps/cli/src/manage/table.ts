import { terminalText } from './terminal-text.js';

/** One column: its heading and how to get a row's cell. */
export interface Column<T> {
  readonly heading: string;
  readonly cell: (row: T) => unknown;
}

/**
 * Rows as an aligned table: a heading line, then one line per row, columns two spaces apart, every
 * cell made safe for the terminal. The last column is not padded, so lines end without spaces.
 *
 * @example
 * table([{ id: 'ten_1', name: 'Acme' }], [{ heading: 'ID', cell: (t) => t.id }, { heading: 'NAME', cell: (t) => t.name }]);
 * // ['ID     NAME', 'ten_1  Acme']
 */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string[] {
  const cells = rows.map((row) => columns.map((c) => terminalText(c.cell(row))));
  const widths = columns.map((c, i) => Math.max(c.heading.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.heading)), ...cells.map(line)];
}

/**
 * One entity as aligned `label  value` lines.
 *
 * @example
 * fields([['id', 'ten_1'], ['name', 'Acme']]); // ['id    ten_1', 'name  Acme']
 */
export function fields(pairs: readonly (readonly [string, unknown])[]): string[] {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${label.padEnd(width)}  ${terminalText(value)}`.trimEnd());
}

/** A yes/no cell. @example yesNo(true); // 'yes' */
export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

/** A time cell, or `-` for none. @example when(null); // '-' */
export function when(value: string | null | undefined): string {
  return value === null || value === undefined ? '-' : value;
}
