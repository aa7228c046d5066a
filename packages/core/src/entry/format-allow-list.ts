import { IpGateError } from '../errors/ip-gate-error.js';
import { parseAllowList } from './parse-allow-list.js';

/** One line of an allow file to write. */
export interface AllowListRow {
  readonly value: string;
  /** '' for none. */
  readonly name: string;
  /** A comment after the line (`# disabled`), for people; reading the file ignores it. */
  readonly note?: string | undefined;
}

/**
 * Writes an allow file (the format {@link parseAllowList} reads) whose entries and names read back
 * exactly: values aligned in a column, the name after, an optional comment after that, and optional
 * comment lines on top. A name the format cannot hold — one that starts with `-` or `#`, holds ` #`,
 * a line break, or starts with a word that is itself an entry — is refused with
 * IPG_EXPORT_TEXT_UNSAFE naming the entry, never written so that it would read back as something else.
 *
 * @example
 * formatAllowList([{ value: '203.0.113.0/24', name: 'office' }, { value: '2001:db8::/48', name: '' }]);
 * // '203.0.113.0/24  office\n2001:db8::/48\n'
 */
export function formatAllowList(
  rows: readonly AllowListRow[],
  options: { readonly header?: readonly string[] } = {},
): string {
  const width = rows.reduce((w, r) => (r.name === '' ? w : Math.max(w, r.value.length)), 0);
  let out = '';
  for (const h of options.header ?? []) out += h === '' ? '#\n' : `# ${h.replace(/[\r\n]+/g, ' ')}\n`;
  for (const r of rows) {
    let line = r.name === '' ? r.value : `${r.value.padEnd(width)}  ${r.name}`;
    // No stored name comes near this length; a longer one is refused rather than scanned.
    const read = r.name.length > 2_000 ? undefined : parseAllowList(line);
    const back = read?.entries[0];
    if (
      read === undefined ||
      read.errors.length > 0 ||
      read.entries.length !== 1 ||
      back?.value !== r.value ||
      (back.name ?? '') !== r.name
    ) {
      throw new IpGateError(
        'IPG_EXPORT_TEXT_UNSAFE',
        `The entry ${r.value} has a name the text format cannot hold as it is: ${JSON.stringify(r.name)}.`,
        {
          hint: 'Export as CSV, which holds any name, or rename the entry (a name may not start with - or #, hold " #", or start with an address).',
          input: r.name,
        },
      );
    }
    if (r.note !== undefined && r.note !== '')
      line += `${r.name === '' ? ' '.repeat(Math.max(0, width - r.value.length)) : ''}  # ${r.note.replace(/[\r\n]+/g, ' ')}`;
    out += `${line}\n`;
  }
  return out;
}
