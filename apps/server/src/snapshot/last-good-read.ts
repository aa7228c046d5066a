/**
 * Reads a node's last good rules back from disk, for a start while the store is unreachable. The copy
 * (its base) is checked whole — header, store location, length and SHA-256 of the body — and its
 * journal scanned record by record (`last-good-journal.ts`) before one unit is handed over, and every
 * unit is checked as it is parsed; the caller compiles into a load that only swaps in when every unit
 * was read (`CompiledRules.beginLoad`), so a bad copy is refused, never half-used. A journal whose
 * tail is cut short or damaged is used up to its last whole record (a whole earlier state of the
 * store), and the result says so for the log.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { ApiRules, KeyRules, RulesChunk, TenantRules } from '../store/store.js';
import { ExtendedTenants } from './extended-tenants.js';
import {
  decodeHeader,
  decodeUnit,
  HEADER_BYTES,
  headerChecksum,
  type LastGoodHeader,
  LastGoodRefused,
  type LastGoodUnit,
  type LineIds,
  lineIds,
} from './last-good-format.js';
import {
  additionApplies,
  baseLineStays,
  decodeAddition,
  forEachLine,
  type JournalScan,
  journalLineStays,
  journalPath,
  readJournal,
  scanJournal,
} from './last-good-journal.js';

/**
 * A copy read back: its base's header with the version and time of the state read (the journal's
 * last whole record's, when it has one), and what became of the journal.
 */
export interface LastGoodCopy extends LastGoodHeader {
  readonly journal: {
    /** Records replayed onto the base. */
    readonly records: number;
    /** Why the journal's tail was left out (cut short by a crash, damaged); undefined when whole. */
    readonly damage: string | undefined;
    /** Why the journal beside the base was not used at all (it continues another base). */
    readonly ignored: string | undefined;
  };
}

/** Units per chunk handed to the caller: small parts, as a load from the store hands them. */
const UNITS_PER_CHUNK = 500;

/**
 * Checks the copy at `path` and hands its units over in chunks; resolves with its header. Throws
 * {@link LastGoodRefused} (missing, unreadable, foreign, another format, corrupt or truncated).
 *
 * @example
 * const load = rules.beginLoad(Date.now());
 * const header = await readLastGood(path, { storeLocation }, (chunk) => load.add(chunk));
 * load.finish(header.version);
 */
export async function readLastGood(
  path: string,
  expect: { readonly storeLocation: string },
  onChunk: (chunk: RulesChunk) => void,
): Promise<LastGoodCopy> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT') throw new LastGoodRefused('missing', `there is no copy at ${path}`);
    throw new LastGoodRefused('unreadable', `the copy at ${path} cannot be opened: ${(e as Error).message}`);
  }
  try {
    const header = await readHeader(file);
    if (header.storeLocation !== expect.storeLocation)
      throw new LastGoodRefused(
        'foreign',
        `the copy was made for the store at ${header.storeLocation}, not ${expect.storeLocation}`,
      );
    const { size } = await file.stat();
    if (size !== HEADER_BYTES + header.bytes)
      throw new LastGoodRefused(
        'corrupt',
        `the copy is ${size} bytes where its header says ${HEADER_BYTES + header.bytes} (truncated or appended to)`,
      );
    const hash = createHash('sha256');
    for await (const part of createReadStream('', { fd: file.fd, start: HEADER_BYTES, autoClose: false }))
      hash.update(part as Buffer);
    if (headerChecksum(header, hash.digest('hex')) !== header.sha256)
      throw new LastGoodRefused('corrupt', 'the checksum of the copy does not match its header');
    const scan = await scanJournal(journalPath(path), header).catch((e: unknown) => {
      if (e instanceof LastGoodRefused) throw e;
      throw new LastGoodRefused(
        'unreadable',
        `the journal of the copy cannot be read: ${(e as Error).message}`,
      );
    });
    const used = scan !== undefined && scan.ignored === undefined && scan.records > 0 ? scan : undefined;
    const chunks = chunker(header.version, onChunk);
    // Tenants the journal adds entries to are held back until their additions are read.
    const held = new ExtendedTenants();
    const units = await handOver(
      file,
      chunks,
      (ids) => used === undefined || baseLineStays(used, ids),
      (unit) => hold(used, unit, held),
    );
    if (units !== header.units)
      throw new LastGoodRefused(
        'corrupt',
        `the copy holds ${units} units where its header says ${header.units}`,
      );
    if (used !== undefined) await replay(path, header, used, chunks, held);
    for (const rules of held.values()) chunks.add({ kind: 't', rules });
    chunks.flush();
    return {
      ...header,
      version: used?.version ?? header.version,
      writtenAt: used?.writtenAt === undefined ? header.writtenAt : new Date(used.writtenAt).toISOString(),
      journal: { records: used?.records ?? 0, damage: scan?.damage, ignored: scan?.ignored },
    };
  } finally {
    await file.close();
  }
}

/**
 * The header of the copy at `path` (checked as {@link readLastGood} does, body not read).
 *
 * @example (await readLastGoodHeader(path)).version;
 */
export async function readLastGoodHeader(path: string): Promise<LastGoodHeader> {
  const file = await open(path, 'r');
  try {
    return await readHeader(file);
  } finally {
    await file.close();
  }
}

async function readHeader(file: FileHandle): Promise<LastGoodHeader> {
  const raw = Buffer.alloc(HEADER_BYTES);
  const { bytesRead } = await file.read(raw, 0, HEADER_BYTES, 0);
  return decodeHeader(raw.subarray(0, bytesRead));
}

/** Units gathered into chunks of {@link UNITS_PER_CHUNK}, handed over as they fill. */
function chunker(version: number, onChunk: (chunk: RulesChunk) => void) {
  let tenants: TenantRules[] = [];
  let apis: ApiRules[] = [];
  let keys: KeyRules[] = [];
  const flush = (): void => {
    if (tenants.length + apis.length + keys.length === 0) return;
    onChunk({ version, tenants, apis, keys });
    tenants = [];
    apis = [];
    keys = [];
  };
  return {
    add(unit: LastGoodUnit): void {
      if (unit.kind === 't') tenants.push(unit.rules);
      else if (unit.kind === 'a') apis.push(unit.rules);
      else keys.push(unit.rules);
      if (tenants.length + apis.length + keys.length >= UNITS_PER_CHUNK) flush();
    },
    flush,
  };
}

/** Keeps a tenant the journal extends in `held` (true), or leaves the unit to be handed over (false). */
function hold(scan: JournalScan | undefined, unit: LastGoodUnit, held: ExtendedTenants): boolean {
  if (scan === undefined || unit.kind !== 't' || !scan.extended.has(unit.rules.tenant.id)) return false;
  held.hold(unit.rules);
  return true;
}

/** Hands over the base's units that `stays` keeps and `hold` does not; resolves with how many units the base holds. */
async function handOver(
  file: FileHandle,
  chunks: ReturnType<typeof chunker>,
  stays: (ids: LineIds) => boolean,
  hold: (unit: LastGoodUnit) => boolean,
): Promise<number> {
  const stream = createReadStream('', {
    fd: file.fd,
    start: HEADER_BYTES,
    autoClose: false,
    encoding: 'utf8',
  });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let units = 0;
  for await (const line of lines) {
    if (line === '') continue;
    units++;
    if (!stays(lineIds(line))) continue;
    const unit = decodeUnit(line);
    if (!hold(unit)) chunks.add(unit);
  }
  return units;
}

/**
 * Hands over the journal's units as its whole records leave them (each unit's last line), and adds
 * to the `held` tenants the entries added after their last line.
 */
async function replay(
  path: string,
  header: LastGoodHeader,
  scan: JournalScan,
  chunks: ReturnType<typeof chunker>,
  held: ExtendedTenants,
): Promise<void> {
  const again = await readJournal(
    journalPath(path),
    header,
    (record) =>
      forEachLine(record, (line, start, end, offset) => {
        if (additionApplies(scan, line, offset)) {
          const { entries } = decodeAddition(record.body.toString('utf8', start, end));
          // Fail closed: entries added to a tenant the copy does not hold are not a state of the store.
          if (!held.append(line.id, entries))
            throw new LastGoodRefused(
              'corrupt',
              `the journal adds entries to ${line.id}, which the copy does not hold`,
            );
        } else if (journalLineStays(scan, line, offset)) {
          const unit = decodeUnit(record.body.toString('utf8', start, end));
          if (!hold(scan, unit, held)) chunks.add(unit);
        }
      }),
    scan.end,
  );
  // The same bytes as scanned, checked again: a journal changed between the two reads is refused.
  if (again === undefined || again.records !== scan.records || again.sha256 !== scan.sha256)
    throw new LastGoodRefused('corrupt', 'the journal of the copy changed while it was read');
}
