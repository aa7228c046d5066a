/**
 * Reads an import file — the text allow-list grammar or entry CSV, both parsed by core — into rows the
 * store can write, and every line that cannot be written, with its line number and its own code. The
 * checks are those of a single write: the entry parses, the name is plain text of at most 200
 * characters, an expiry is still to come; and, for a file, no two lines name the same addresses.
 */
import { IpGateError, isIpGateError, parseAllowList, parseEntry, parseEntryCsv } from '@ipgate/core';
import { duplicateLine, tooMany } from '../../store/ip-list-import.js';
import * as v from '../../store/validate.js';

/** The two file formats of an import and an export. */
export type ListFormat = 'text' | 'csv';

/** A line that can be written. Undefined properties are ones the file does not give. */
export interface FileRow {
  readonly line: number;
  readonly value: string;
  readonly canonical: string;
  readonly name?: string | undefined;
  readonly enabled?: boolean | undefined;
  readonly expiresAt?: Date | null | undefined;
}

/** A line that cannot be written: what it says, and why not. */
export interface FileLineError {
  readonly line: number;
  /** The entry as written, or the whole line when it could not be split. */
  readonly value: string;
  readonly error: IpGateError;
}

/** Every line of a file that holds an entry, good or bad, in file order. */
export interface ImportFile {
  readonly rows: readonly FileRow[];
  readonly errors: readonly FileLineError[];
}

/**
 * Reads `content`. More than 1,000 entry lines (good and bad together) is IPG_IMPORT_TOO_LARGE,
 * thrown before any line is judged. `now` decides whether an expiry has passed; `keepsExpiry` says
 * whether the list already holds that entry with exactly that expiry — re-importing an export that
 * holds an expired entry changes nothing, so it is not refused.
 *
 * @example
 * const file = readImportFile('text', '203.0.113.0/24 office\n10.0.0.1/8\n');
 * file.rows[0]?.name; // 'office'
 * file.errors[0]?.error.code; // 'IPG_ENTRY_HOST_BITS'
 */
export function readImportFile(
  format: ListFormat,
  content: string,
  options: {
    readonly now?: Date | undefined;
    readonly keepsExpiry?: ((canonical: string, expiresAt: Date) => boolean) | undefined;
  } = {},
): ImportFile {
  const now = options.now ?? new Date();
  const parsed = format === 'text' ? readText(content) : readCsv(content);
  if (parsed.rows.length + parsed.errors.length > 1_000) {
    throw tooMany(parsed.rows.length + parsed.errors.length);
  }
  const rows: FileRow[] = [];
  const errors: FileLineError[] = [...parsed.errors];
  const seen = new Map<string, number>();
  for (const raw of parsed.rows) {
    const at = `line ${raw.line}:`;
    let canonical: string;
    try {
      canonical = parseEntry(raw.value).canonical;
    } catch (e) {
      if (!isIpGateError(e)) throw e;
      errors.push({ line: raw.line, value: raw.value, error: located(e, at, 'value') });
      continue;
    }
    let name: string | undefined;
    try {
      // The store's own check (plain text, at most 200 characters), so preview and apply agree.
      name = raw.name === undefined ? undefined : v.text(raw.name, 'name', { allowEmpty: true });
    } catch (e) {
      if (!isIpGateError(e)) throw e;
      errors.push({ line: raw.line, value: raw.value, error: located(e, at, 'name') });
      continue;
    }
    const { expiresAt } = raw;
    if (
      expiresAt instanceof Date &&
      expiresAt.getTime() <= now.getTime() &&
      options.keepsExpiry?.(canonical, expiresAt) !== true
    ) {
      errors.push({
        line: raw.line,
        value: raw.value,
        error: new IpGateError(
          'IPG_VALIDATION_FAILED',
          `${at} expiresAt ${expiresAt.toISOString()} has passed: the entry would never be in force.`,
          {
            field: 'expiresAt',
            hint: 'Give a time still to come, or leave it empty for no expiry; to keep an entry out of force, set enabled to false.',
          },
        ),
      });
      continue;
    }
    const first = seen.get(canonical);
    if (first !== undefined) {
      errors.push({
        line: raw.line,
        value: raw.value,
        error: duplicateLine(canonical, first, raw.line, 'content'),
      });
      continue;
    }
    seen.set(canonical, raw.line);
    rows.push({ ...raw, canonical, ...(name === undefined ? {} : { name }) });
  }
  errors.sort((a, b) => a.line - b.line);
  return { rows, errors };
}

interface RawRow {
  readonly line: number;
  readonly value: string;
  readonly name?: string | undefined;
  readonly enabled?: boolean | undefined;
  readonly expiresAt?: Date | null | undefined;
}

function readText(content: string): { rows: RawRow[]; errors: FileLineError[] } {
  const { entries, errors } = parseAllowList(content);
  return {
    // The text format has a name column and nothing else: a line without a name says "no name".
    rows: entries.map((e) => ({ line: e.line, value: e.value, name: e.name ?? '' })),
    errors: errors.map((e) => ({ line: lineOf(e), value: e.input ?? '', error: e })),
  };
}

function readCsv(content: string): { rows: RawRow[]; errors: FileLineError[] } {
  const { rows, errors } = parseEntryCsv(content);
  return {
    rows: rows.map((r) => ({
      line: r.line,
      value: r.value,
      ...(r.name === undefined ? {} : { name: r.name }),
      ...(r.enabled === undefined ? {} : { enabled: r.enabled }),
      ...(r.expiresAt === undefined ? {} : { expiresAt: r.expiresAt }),
    })),
    errors: errors.map((e) => ({ line: lineOf(e), value: e.input ?? '', error: e })),
  };
}

/** Core's file errors start `line N:`. */
function lineOf(error: IpGateError): number {
  return Number(/^line (\d+):/.exec(error.message)?.[1] ?? 0);
}

function located(error: IpGateError, at: string, field: string): IpGateError {
  return new IpGateError(error.code, `${at} ${error.message}`, {
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    ...(error.input === undefined ? {} : { input: error.input }),
    field,
    cause: error,
  });
}
