import { IpGateError } from '../errors/ip-gate-error.js';
import { createEntryBounds, scanEntry } from './scan-entry.js';

/**
 * One row of an entry CSV file. A column the file does not have is undefined: an import leaves that
 * property of an entry it already holds as it is, and gives a new entry the default (enabled, no expiry).
 */
export interface EntryCsvRow {
  readonly value: string;
  /** '' when the row has the column and it is empty (no name); undefined when the row lacks it. */
  readonly name: string | undefined;
  /** null: the file says "no expiry" (an empty field). */
  readonly expiresAt: Date | null | undefined;
  readonly enabled: boolean | undefined;
  /** 1-based line of the file. */
  readonly line: number;
}

/** Every good row and every bad one of an entry CSV file. */
export interface EntryCsv {
  readonly rows: EntryCsvRow[];
  readonly errors: IpGateError[];
}

/** The columns, in the order an export writes them and a header-less file is read. */
export const ENTRY_CSV_COLUMNS = ['value', 'name', 'expiresAt', 'enabled'] as const;
type Column = (typeof ENTRY_CSV_COLUMNS)[number];

const LINE_BREAK = /\r\n|\n|\r/;
/** Longer lines are refused unread: an entry is at most a few dozen characters and a name 200. */
const MAX_LINE = 2_000;
const BOM = '\uFEFF';
// RFC 3339 date-time with a zone: what `Date#toISOString` writes, and nothing a reader could take for local time.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads an entry CSV file: `value,name,expiresAt,enabled`, one entry per line, RFC 4180 quoting
 * (`"office, 2nd floor"`, `""` for a quote; a quoted field may not span lines).
 *
 * - An optional header row (the first row, when its first field is no entry and some field is a
 *   column's name) names the columns, in any order; `value` is required, the others optional. Without a header the columns are positional, and a row may stop
 *   after any of them.
 * - `expiresAt` is an RFC 3339 date-time with a zone (`2027-01-01T00:00:00Z`), or empty for none;
 *   `enabled` is `true` or `false`, or empty for the default.
 * - Blank lines are skipped; a line whose first character is `#` is a comment. Fields are trimmed
 *   outside quotes. CRLF, lone CR and a UTF-8 byte-order mark are tolerated.
 * - Every bad line is reported with its line number (`line 3: …`, or `source:3: …`), none dropped:
 *   malformed CSV and bad columns are IPG_CSV_INVALID (with `field`), bad entries keep their own code.
 *
 * @example
 * const { rows, errors } = parseEntryCsv('value,name\n203.0.113.0/24,office\n');
 * rows; // [{ value: '203.0.113.0/24', name: 'office', expiresAt: undefined, enabled: undefined, line: 2 }]
 */
export function parseEntryCsv(
  text: string,
  options: { readonly source?: string | undefined } = {},
): EntryCsv {
  const rows: EntryCsvRow[] = [];
  const errors: IpGateError[] = [];
  const bounds = createEntryBounds();
  let columns: readonly Column[] | undefined;
  const lines = (text.startsWith(BOM) ? text.slice(BOM.length) : text).split(LINE_BREAK);
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const raw = lines[index] as string;
    const at = options.source === undefined ? `line ${lineNumber}:` : `${options.source}:${lineNumber}:`;
    const fail = (message: string, hint: string, field?: string): void => {
      errors.push(
        new IpGateError('IPG_CSV_INVALID', `${at} ${message}`, {
          hint,
          input: raw,
          ...(field === undefined ? {} : { field }),
        }),
      );
    };
    if (raw.length > MAX_LINE) {
      fail(
        `the line is longer than ${MAX_LINE} characters.`,
        'Put one entry per line: value,name,expiresAt,enabled.',
      );
      continue;
    }
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const fields = splitCsvLine(raw);
    if (typeof fields === 'string') {
      fail(fields, 'Close every quoted field on its line, and write a quote inside one as "".');
      continue;
    }
    if (columns === undefined && rows.length === 0 && looksLikeHeader(fields, bounds)) {
      const header = readHeader(fields);
      if (typeof header === 'string') {
        fail(header, `Name the columns ${ENTRY_CSV_COLUMNS.join(', ')} (value first), each once.`);
        // Without usable columns no row can be read right: stop rather than misread every line.
        return { rows, errors };
      }
      columns = header;
      continue;
    }
    const cols = columns ?? ENTRY_CSV_COLUMNS;
    if (fields.length > cols.length) {
      fail(
        `${fields.length} fields, but the file has ${cols.length} columns (${cols.join(', ')}).`,
        'Quote a name that holds a comma: "office, 2nd floor".',
      );
      continue;
    }
    const get = (c: Column): string | undefined => {
      const i = cols.indexOf(c);
      return i === -1 ? undefined : fields[i];
    };
    const value = get('value') ?? '';
    const error = scanEntry(value, bounds);
    if (error !== undefined) {
      errors.push(
        new IpGateError(error.code, `${at} ${error.message}`, {
          ...(error.hint === undefined ? {} : { hint: error.hint }),
          input: value,
          field: 'value',
          cause: error,
        }),
      );
      continue;
    }
    const name = get('name');
    const expiresText = get('expiresAt');
    let expiresAt: Date | null | undefined;
    if (expiresText !== undefined) {
      if (expiresText === '') expiresAt = null;
      else {
        const t = DATE_TIME.test(expiresText) ? Date.parse(expiresText) : Number.NaN;
        if (Number.isNaN(t)) {
          fail(
            `expiresAt ${JSON.stringify(expiresText)} is not a date-time with a zone.`,
            'Write it as 2027-01-01T00:00:00Z (RFC 3339), or leave it empty for no expiry.',
            'expiresAt',
          );
          continue;
        }
        expiresAt = new Date(t);
      }
    }
    const enabledText = get('enabled')?.toLowerCase();
    if (
      enabledText !== undefined &&
      enabledText !== '' &&
      enabledText !== 'true' &&
      enabledText !== 'false'
    ) {
      fail(
        `enabled ${JSON.stringify(get('enabled'))} is not true or false.`,
        'Write true or false, or leave it empty.',
        'enabled',
      );
      continue;
    }
    rows.push({
      value,
      // An empty name field says "no name", which an import must be able to write (a replace that
      // clears a name); only a missing column leaves the stored name as it is.
      name,
      expiresAt,
      enabled: enabledText === undefined || enabledText === '' ? undefined : enabledText === 'true',
      line: lineNumber,
    });
  }
  return { rows, errors };
}

/**
 * Writes an entry CSV file that {@link parseEntryCsv} reads back as the same rows: a header, then one
 * row per entry with every column; fields quoted when they hold a comma, a quote or outer spaces.
 *
 * @example
 * formatEntryCsv([{ value: '10.0.0.0/8', name: 'vpn, old', expiresAt: null, enabled: true }]);
 * // 'value,name,expiresAt,enabled\n10.0.0.0/8,"vpn, old",,true\n'
 */
export function formatEntryCsv(
  rows: readonly { value: string; name: string; expiresAt: Date | null; enabled: boolean }[],
): string {
  let out = `${ENTRY_CSV_COLUMNS.join(',')}\n`;
  for (const r of rows) {
    out += `${quote(r.value)},${quote(r.name)},${r.expiresAt === null ? '' : r.expiresAt.toISOString()},${r.enabled}\n`;
  }
  return out;
}

function quote(field: string): string {
  if (field === '') return '';
  const needs = /[",\r\n]/.test(field) || field.trim() !== field || field.startsWith('#');
  return needs ? `"${field.replaceAll('"', '""')}"` : field;
}

/** A first row that names columns: its first field is no entry, and some field is a column's name. */
function looksLikeHeader(fields: readonly string[], bounds: ReturnType<typeof createEntryBounds>): boolean {
  const first = fields[0] ?? '';
  if (scanEntry(first, bounds) === undefined) return false;
  return fields.some((f) => ENTRY_CSV_COLUMNS.some((c) => c.toLowerCase() === f.toLowerCase()));
}

function readHeader(fields: readonly string[]): readonly Column[] | string {
  const seen: Column[] = [];
  for (const f of fields) {
    const c = ENTRY_CSV_COLUMNS.find((k) => k.toLowerCase() === f.toLowerCase());
    if (c === undefined) return `the header names an unknown column ${JSON.stringify(f)}.`;
    if (seen.includes(c)) return `the header names the column ${c} twice.`;
    seen.push(c);
  }
  if (!seen.includes('value')) return 'the header has no value column.';
  return seen;
}

/** The fields of one line, or what is wrong with its quoting. */
function splitCsvLine(line: string): string[] | string {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
    if (line[i] === '"') {
      let field = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) return 'a quoted field is not closed.';
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
      fields.push(field);
      if (i === line.length) return fields;
      if (line[i] !== ',') return `text after a quoted field (column ${i + 1}).`;
      i++;
      continue;
    }
    const comma = line.indexOf(',', i);
    const end = comma === -1 ? line.length : comma;
    const field = line.slice(i, end).trim();
    if (field.includes('"')) return `a quote inside an unquoted field (${JSON.stringify(field)}).`;
    fields.push(field);
    if (comma === -1) return fields;
    i = comma + 1;
  }
}
