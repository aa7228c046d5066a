/**
 * The journal of a last good copy: the units changed since the copy (its *base*, `last-good-format.ts`)
 * was written, appended as records, so that a change costs what it changes instead of a rewrite of
 * the whole copy. See docs/architecture/storage.md, "Last good rules on disk".
 *
 * Layout, next to the base (`<path>.journal`): a first line `ipgate-last-good-journal 1 <base sha256>`
 * naming the base it continues (a journal left behind by an earlier base is ignored), then records:
 *
 *     r <version> <writtenAt ms> <body bytes> <sha256>\n<body>
 *
 * The body is unit lines as in the base (`t …`, `a …`, `k …`), deletions (`- t <id>`, `- a <id>`,
 * `- k <id>`; a deleted tenant takes its keys) and additions (`+ t <id> <json list of entries>`: entries
 * appended to the tenant's list as the lines before left it — what an `auto` batch changes, written
 * as its own rows instead of the whole list). A journal with additions is refused whole as corrupt by
 * an ipgate from before them (an unknown line), rather than read without them. A record's SHA-256 covers the previous record's (the
 * first one's: the base's), its own header fields and its body, so a record cut short by a crash, a
 * damaged byte or a record out of place ends the journal there: what comes before it is a whole
 * state of the store (every record is every change up to its version), what comes after is not used.
 */
import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import type { RuleEntry } from '../store/store.js';
import { decodeEntries, LastGoodRefused, lineIds } from './last-good-format.js';

export const JOURNAL_FORMAT = 'ipgate-last-good-journal';
export const JOURNAL_FORMAT_VERSION = 1;

/** Where the journal of the copy at `path` is. */
export const journalPath = (path: string): string => `${path}.journal`;

/** The journal's first line, binding it to the base whose header checksum is `baseSha256`. */
export function journalHead(baseSha256: string): Buffer {
  return Buffer.from(`${JOURNAL_FORMAT} ${JOURNAL_FORMAT_VERSION} ${baseSha256}\n`);
}

/** A deleted unit's line in a record's body. */
export function deletionLine(kind: 't' | 'a' | 'k', id: string): string {
  return `- ${kind} ${id}\n`;
}

/**
 * The line of entries added to a tenant's list.
 *
 * @example additionLine('ten_1', [entry]); // '+ t ten_1 [{"id":"ent_1",…}]\n'
 */
export function additionLine(tenantId: string, entries: readonly RuleEntry[]): string {
  return `+ t ${tenantId} ${JSON.stringify(entries)}\n`;
}

/** The entries of an addition line; throws {@link LastGoodRefused}. */
export function decodeAddition(line: string): { readonly tenantId: string; readonly entries: RuleEntry[] } {
  const { id } = journalLine(line);
  let value: unknown;
  try {
    value = JSON.parse(line.slice(5 + id.length));
  } catch {
    throw new LastGoodRefused('corrupt', `the entries added to ${id} in the journal are not JSON`);
  }
  return {
    tenantId: id,
    entries: decodeEntries(
      value,
      (what) =>
        new LastGoodRefused('corrupt', `the entries added to ${id} in the journal have a bad ${what}`),
    ),
  };
}

function recordSha(previous: string, version: number, writtenAt: number, body: Buffer): string {
  return createHash('sha256')
    .update(`${previous} ${version} ${writtenAt} ${body.length}\n`)
    .update(body)
    .digest('hex');
}

/**
 * A record as its bytes, chained to the previous record's checksum (the base's for the first).
 *
 * @example
 * const { bytes, sha256 } = encodeRecord({ previous: base.sha256, version: 8, writtenAt: Date.now(), body });
 */
export function encodeRecord(r: {
  readonly previous: string;
  readonly version: number;
  readonly writtenAt: number;
  readonly body: Buffer;
}): { bytes: Buffer; sha256: string } {
  const sha256 = recordSha(r.previous, r.version, r.writtenAt, r.body);
  const head = Buffer.from(`r ${r.version} ${r.writtenAt} ${r.body.length} ${sha256}\n`);
  return { bytes: Buffer.concat([head, r.body]), sha256 };
}

/** The key a unit is known by across base and journal: `t:<id>`, `a:<id>`, `k:<id>`. */
export const unitKey = (kind: string, id: string): string => `${kind}:${id}`;

/** What a line of a record's body says: a unit's rules, that it was deleted, or entries added to it. */
export interface JournalLine {
  readonly kind: 't' | 'a' | 'k';
  readonly id: string;
  readonly tenantId: string | undefined;
  readonly deleted: boolean;
  /** Entries added to a tenant (kind `t`): its rules are the lines before this one plus these. */
  readonly added: boolean;
}

/** Throws {@link LastGoodRefused}: a line in a record whose checksum matched is ours and malformed. */
export function journalLine(line: string): JournalLine {
  if (line.startsWith('- ')) {
    const kind = line[2];
    const id = line.slice(4);
    if ((kind !== 't' && kind !== 'a' && kind !== 'k') || line[3] !== ' ' || id === '' || id.includes(' '))
      throw new LastGoodRefused('corrupt', 'a deletion in the journal is malformed');
    return { kind, id, tenantId: undefined, deleted: true, added: false };
  }
  if (line.startsWith('+ ')) {
    // Only tenants' lists are extended this way; the ids end before the JSON, within the line's start.
    const idEnd = line.indexOf(' ', 4);
    if (line[2] !== 't' || line[3] !== ' ' || idEnd <= 4)
      throw new LastGoodRefused('corrupt', 'an addition in the journal is malformed');
    return { kind: 't', id: line.slice(4, idEnd), tenantId: undefined, deleted: false, added: true };
  }
  return { ...lineIds(line), deleted: false, added: false };
}

/** What a scan of the journal found: the records that continue the base, up to the first bad one. */
export interface JournalScan {
  /** Whole records read, in order. */
  readonly records: number;
  /** Where the last whole record ends (file offset); the journal's own length when nothing is wrong. */
  readonly end: number;
  /** The last whole record's version and time (ms); undefined with no record. */
  readonly version: number | undefined;
  readonly writtenAt: number | undefined;
  /** The checksum the next record chains to. */
  readonly sha256: string;
  /** Every unit the records name, with the offset of its last line (its rules, or its deletion). */
  readonly last: Map<string, number>;
  /** Tenants deleted by the records: their keys go with them. */
  readonly deletedTenants: Set<string>;
  /**
   * Tenants with entries added after their last line (in the base, or a record's): their rules are
   * that line plus the additions that follow it (see {@link additionApplies}).
   */
  readonly extended: Set<string>;
  /** Why the journal ends before the end of the file (a record cut short, damaged, out of place). */
  readonly damage: string | undefined;
  /** Why the journal was not used at all (it belongs to an earlier base). */
  readonly ignored: string | undefined;
}

/** One whole record, as handed to a caller of {@link readJournal}. */
export interface JournalRecord {
  readonly version: number;
  readonly writtenAt: number;
  readonly body: Buffer;
  /** File offset of the body's first byte. */
  readonly bodyAt: number;
}

const READ_BYTES = 1 << 20;
const RECORD_HEAD = /^r (\d{1,15}) (\d{1,15}) (\d{1,12}) ([0-9a-f]{64})$/;

/**
 * Reads the journal at `path` record by record, checking each against the chain from the base's
 * checksum, and hands each whole record to `onRecord`; stops at the first record that is cut short
 * or does not check out, or at `until` (an offset a scan found). Resolves with what it read; with
 * `undefined` when there is no journal.
 */
export async function readJournal(
  path: string,
  base: { readonly sha256: string; readonly version: number },
  onRecord: (record: JournalRecord) => void,
  until = Number.POSITIVE_INFINITY,
  /** How much the reader asks the file for at a time (a parameter for tests of the window's edges). */
  windowBytes = READ_BYTES,
): Promise<Omit<JournalScan, 'last' | 'deletedTenants' | 'extended'> | undefined> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const size = Math.min((await file.stat()).size, until);
    const head = journalHead(base.sha256);
    const first = Buffer.alloc(head.length);
    const { bytesRead } = await file.read(first, 0, head.length, 0);
    const result = {
      records: 0,
      end: head.length,
      version: undefined as number | undefined,
      writtenAt: undefined as number | undefined,
      sha256: base.sha256,
      damage: undefined as string | undefined,
      ignored: undefined as string | undefined,
    };
    if (bytesRead < head.length && first.subarray(0, bytesRead).equals(head.subarray(0, bytesRead)))
      return { ...result, end: 0, damage: 'the journal is cut short in its first line' };
    if (bytesRead < head.length || !first.equals(head)) {
      const ours = first.subarray(0, bytesRead).toString('latin1').startsWith(`${JOURNAL_FORMAT} `);
      return {
        ...result,
        end: 0,
        ignored: ours
          ? 'the journal continues another copy than the one beside it (left by an interrupted rewrite)'
          : 'the file beside the copy is not its journal',
      };
    }
    let at = head.length;
    let lastVersion = base.version;
    // The file is read in windows of a mebibyte or more, not a header and a body per record: a
    // journal of many small records (an `auto` batch's few entries each) would otherwise cost two
    // reads through libuv's thread pool per record, twice per start (scan, then replay).
    let window = Buffer.alloc(0);
    let windowAt = at;
    /** Makes [from, from + need) readable in `window`, or as much of it as the file holds. */
    const ensure = async (from: number, need: number): Promise<void> => {
      if (from >= windowAt && from + need <= windowAt + window.length) return;
      const want = Math.min(Math.max(windowBytes, need), size - from);
      const next = Buffer.allocUnsafe(want);
      let got = 0;
      while (got < want) {
        const r = await file.read(next, got, want - got, from + got);
        if (r.bytesRead === 0) break;
        got += r.bytesRead;
      }
      window = next.subarray(0, got);
      windowAt = from;
    };
    while (at < size) {
      // A record header is short: 256 bytes hold it.
      await ensure(at, Math.min(256, size - at));
      const headAt = at - windowAt;
      const headEnd = Math.min(window.length, headAt + 256);
      const nl = window.subarray(headAt, headEnd).indexOf(10);
      if (nl === -1) {
        result.damage = `the record at byte ${at} is cut short (its header has no end)`;
        break;
      }
      const m = RECORD_HEAD.exec(window.toString('latin1', headAt, headAt + nl));
      if (m === null) {
        result.damage = `the record at byte ${at} has a damaged header`;
        break;
      }
      const version = Number(m[1]);
      const writtenAt = Number(m[2]);
      const length = Number(m[3]);
      const bodyAt = at + nl + 1;
      if (bodyAt + length > size) {
        result.damage = `the record at byte ${at} is cut short (${size - bodyAt} of ${length} bytes)`;
        break;
      }
      await ensure(bodyAt, length);
      if (bodyAt + length > windowAt + window.length) {
        result.damage = `the record at byte ${at} is cut short (the file ended while it was read)`;
        break;
      }
      // A copy: the caller may keep the body, and must not keep the window with it.
      const body = Buffer.from(window.subarray(bodyAt - windowAt, bodyAt - windowAt + length));
      if (recordSha(result.sha256, version, writtenAt, body) !== m[4]) {
        result.damage = `the record at byte ${at} does not match its checksum`;
        break;
      }
      if (version <= lastVersion) {
        result.damage = `the record at byte ${at} goes back to version ${version} after ${lastVersion}`;
        break;
      }
      onRecord({ version, writtenAt, body, bodyAt });
      lastVersion = version;
      result.records++;
      result.version = version;
      result.writtenAt = writtenAt;
      result.sha256 = m[4] as string;
      at = bodyAt + length;
      result.end = at;
    }
    return result;
  } finally {
    await file.close();
  }
}

/** Calls `onLine` for every line of a record's body with its file offset. */
export function forEachLine(
  record: JournalRecord,
  onLine: (line: JournalLine, start: number, end: number, offset: number) => void,
): void {
  const { body } = record;
  for (let start = 0; start < body.length; ) {
    let end = body.indexOf(10, start);
    if (end === -1) end = body.length;
    if (end > start) {
      // Kind and ids are ASCII and come first: 200 bytes hold them.
      const text = body.toString('latin1', start, Math.min(end, start + 200));
      onLine(
        journalLine(text.startsWith('- ') ? body.toString('latin1', start, end) : text),
        start,
        end,
        record.bodyAt + start,
      );
    }
    start = end + 1;
  }
}

/**
 * Scans the journal: which units its whole records name (and where each one's last line is), up to
 * the first bad record. Undefined when there is no journal.
 *
 * @example
 * const scan = await scanJournal(journalPath(path), header);
 * scan?.damage; // 'the record at byte 18231 is cut short (120 of 2048 bytes)'
 */
export async function scanJournal(
  path: string,
  base: { readonly sha256: string; readonly version: number },
): Promise<JournalScan | undefined> {
  const last = new Map<string, number>();
  const deletedTenants = new Set<string>();
  const extended = new Set<string>();
  /** Units whose last line so far is their deletion. */
  const gone = new Set<string>();
  const read = await readJournal(path, base, (record) =>
    forEachLine(record, (line, _start, _end, offset) => {
      const key = unitKey(line.kind, line.id);
      if (line.added) {
        // A writer never adds to a tenant it deleted: such a record is not ours as it stands.
        if (gone.has(key))
          throw new LastGoodRefused('corrupt', `the journal adds entries to ${line.id} after deleting it`);
        extended.add(line.id);
        return;
      }
      last.set(key, offset);
      if (line.kind === 't') extended.delete(line.id);
      if (line.deleted) gone.add(key);
      else gone.delete(key);
      if (line.deleted && line.kind === 't') deletedTenants.add(line.id);
    }),
  );
  return read === undefined ? undefined : { ...read, last, deletedTenants, extended };
}

/** Whether a line of the base stays, given what the journal changed after it. */
export function baseLineStays(
  scan: Pick<JournalScan, 'last' | 'deletedTenants'>,
  line: { readonly kind: string; readonly id: string; readonly tenantId: string | undefined },
): boolean {
  if (scan.last.has(unitKey(line.kind, line.id))) return false;
  return !(line.kind === 'k' && line.tenantId !== undefined && scan.deletedTenants.has(line.tenantId));
}

/** Whether a line of the journal is what its unit ends as: its last line, not a deletion, not a key of a deleted tenant. */
export function journalLineStays(
  scan: Pick<JournalScan, 'last' | 'deletedTenants'>,
  line: JournalLine,
  offset: number,
): boolean {
  if (line.deleted || line.added || scan.last.get(unitKey(line.kind, line.id)) !== offset) return false;
  return !(line.kind === 'k' && line.tenantId !== undefined && scan.deletedTenants.has(line.tenantId));
}

/**
 * Whether an addition line of the journal is part of what its tenant ends as: it comes after the
 * tenant's last line (a whole list or a deletion ends what came before it).
 */
export function additionApplies(
  scan: Pick<JournalScan, 'last' | 'extended'>,
  line: JournalLine,
  offset: number,
): boolean {
  return line.added && scan.extended.has(line.id) && (scan.last.get(unitKey('t', line.id)) ?? -1) < offset;
}
