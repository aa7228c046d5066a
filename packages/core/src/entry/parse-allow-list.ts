import { IpGateError } from '../errors/ip-gate-error.js';
import { createEntryBounds, scanEntry } from './scan-entry.js';

/** Where an allow file came from, for messages. */
export interface ParseAllowListOptions {
  /** The file name that prefixes each error message (`allow.txt:3: …`). Without it, `line 3: …`. */
  readonly source?: string | undefined;
}

/** One entry of an allow file: the value as written, the name after it, and the 1-based line it is on. */
export interface AllowListLine {
  readonly value: string;
  readonly name: string | undefined;
  readonly line: number;
}

/** Every good line and every bad one of an allow file. */
export interface AllowList {
  readonly entries: AllowListLine[];
  readonly errors: IpGateError[];
}

const LINE_BREAK = /\r\n|\n|\r/;
const BOM = '\uFEFF';
// A `#` starts a comment at the start of a line or after white space; inside a word (`office#2`) it is text.
const COMMENT = /(?:^|\s)#/;
const DASH = 45;
const SPACE = /\s/;
// Only words made of address characters, with one of `.:/`, can be entries; testing others would build
// an error per name. Two linear tests: one pattern `^[…]*[.:/][…]*$` backtracks quadratically on a long
// word of address characters that ends in another (27 s for 50,000 characters).
const ENTRY_CHARS = /^[0-9A-Fa-f:./-]*$/;
const ENTRY_MARK = /[.:/]/;

/**
 * Reads the allow-file format shared by `ipgate check --allow-file` and the middlewares' file watcher.
 *
 * One entry per line, in any form of docs/architecture/entries.md#forms, optionally followed by a name:
 *
 * ```text
 * # office and branch
 * 203.0.113.0/24                 office
 * 203.0.113.5 - 203.0.113.9      branch office   # the dash range is one entry
 * 2001:db8::/48
 * ```
 *
 * How the name is told apart from the entry: an entry is one word, because no entry form contains
 * white space except the dash range. So the entry is the first word, extended over the next word when
 * a dash joins them (`a - b`, `a -b`, `a- b`); whatever follows is the name, trimmed, inner spacing
 * kept. A name therefore cannot start with `-`. A name whose first word is itself an entry
 * (`10.0.0.1 10.0.0.2`) is reported as two entries on one line rather than read as a name.
 *
 * Blank lines and comments are skipped: a `#` at the start of a line or after white space starts a
 * comment that runs to the end of the line. CRLF, lone CR and a leading UTF-8 byte-order mark are
 * tolerated. Every bad line is reported, none is dropped: each error keeps the code and hint of the
 * entry error, with the message prefixed by `source:line:`.
 *
 * @example
 * const { entries, errors } = parseAllowList('203.0.113.0/24 office\n10.0.0.1/8\n', { source: 'allow.txt' });
 * entries; // [{ value: '203.0.113.0/24', name: 'office', line: 1 }]
 * errors[0]?.message; // 'allow.txt:2: "10.0.0.1/8" has host bits set after /8.'
 */
export function parseAllowList(text: string, options: ParseAllowListOptions = {}): AllowList {
  const entries: AllowListLine[] = [];
  const errors: IpGateError[] = [];
  // The allocation-free scanner behind tryParseEntry: a file of a million entries builds no Entry objects.
  const bounds = createEntryBounds();
  const lines = (text.startsWith(BOM) ? text.slice(BOM.length) : text).split(LINE_BREAK);
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const raw = lines[index] as string;
    const comment = raw.includes('#') ? COMMENT.exec(raw) : null;
    const body = (comment === null ? raw : raw.slice(0, comment.index)).trim();
    if (body === '') continue;
    const { value, name } = splitEntryAndName(body);
    const error = scanEntry(value, bounds);
    if (error !== undefined) {
      errors.push(located(error, where(options.source, lineNumber)));
      continue;
    }
    const nameStart = name?.slice(0, wordEnd(name, 0));
    if (
      nameStart !== undefined &&
      ENTRY_CHARS.test(nameStart) &&
      ENTRY_MARK.test(nameStart) &&
      scanEntry(nameStart, bounds) === undefined
    ) {
      errors.push(
        new IpGateError(
          'IPG_ENTRY_LIST',
          `${where(options.source, lineNumber)} ${JSON.stringify(body)} holds more than one entry.`,
          {
            hint: `Put each entry on its own line; a name after an entry may not itself be an entry (${nameStart}).`,
            input: body,
          },
        ),
      );
      continue;
    }
    entries.push({ value, name, line: lineNumber });
  }
  return { entries, errors };
}

/** Splits a comment-free, trimmed line into the entry and the name after it (see {@link parseAllowList}). */
function splitEntryAndName(body: string): { value: string; name: string | undefined } {
  const firstEnd = wordEnd(body, 0);
  if (firstEnd === body.length) return { value: body, name: undefined };
  let end = firstEnd;
  if (body.charCodeAt(firstEnd - 1) === DASH) {
    end = wordEnd(body, firstEnd);
  } else {
    const secondEnd = wordEnd(body, firstEnd);
    const secondStart = skipSpace(body, firstEnd);
    if (body.charCodeAt(secondStart) === DASH) {
      end = secondEnd - secondStart === 1 ? wordEnd(body, secondEnd) : secondEnd;
    }
  }
  const name = body.slice(end).trim();
  return { value: body.slice(0, end), name: name === '' ? undefined : name };
}

/** Index just past the next word at or after `from`. */
function wordEnd(s: string, from: number): number {
  let i = skipSpace(s, from);
  while (i < s.length && !isSpace(s.charCodeAt(i))) i++;
  return i;
}

function skipSpace(s: string, from: number): number {
  let i = from;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || (c > 9 && c < 14) || (c > 127 && SPACE.test(String.fromCharCode(c)));
}

function where(source: string | undefined, line: number): string {
  return source === undefined ? `line ${line}:` : `${source}:${line}:`;
}

function located(error: IpGateError, where: string): IpGateError {
  return new IpGateError(error.code, `${where} ${error.message}`, {
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    ...(error.input === undefined ? {} : { input: error.input }),
    ...(error.field === undefined ? {} : { field: error.field }),
    cause: error,
  });
}
