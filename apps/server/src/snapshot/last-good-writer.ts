/**
 * Keeps a node's last good rules on disk (format: `last-good-format.ts`), following the rules it
 * applies: a full load streams every unit to a new copy (the base) as the store hands them over;
 * changes are collected and written together, at most once per `delayMs`, as one record appended to
 * the base's journal (`last-good-journal.ts`) and fsynced — what a change costs is what it changed:
 * a tenant whose changes only added entries (an `auto` batch) is written as those entries.
 * When the journal has grown to half the base, the next write compacts instead: the base is
 * rewritten with the journal's and the collected units' lines in place of their old ones (the other
 * lines copied as bytes, never parsed). A base is always written to a temporary file that is fsynced
 * and renamed over the copy, then the journal removed; a journal left beside a newer base names
 * another base and is ignored. Writes run one at a time, in the order the rules were applied.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type Logger, silentLogger } from '../log/logger.js';
import type { ApiRules, KeyRules, RuleEntry, RulesChunk, RulesDelta, TenantRules } from '../store/store.js';
import { ExtendedTenants } from './extended-tenants.js';
import { lastGoodBody } from './last-good-body.js';
import {
  decodeHeader,
  decodeUnit,
  encodeHeader,
  encodeUnit,
  HEADER_BYTES,
  headerChecksum,
  LAST_GOOD_FORMAT,
  LAST_GOOD_FORMAT_VERSION,
  type LastGoodHeader,
  lineIds,
  sealHeader,
} from './last-good-format.js';
import {
  additionApplies,
  additionLine,
  decodeAddition,
  deletionLine,
  encodeRecord,
  forEachLine,
  type JournalScan,
  journalHead,
  journalLineStays,
  journalPath,
  readJournal,
  scanJournal,
  unitKey,
} from './last-good-journal.js';
import { readLastGoodHeader } from './last-good-read.js';

/** Options of {@link createLastGoodWriter}. */
export interface LastGoodWriterOptions {
  readonly path: string;
  /** Where the store is, without credentials; written into the header, checked on load. */
  readonly storeLocation: string;
  /**
   * How long changes are collected before they are written (one journal record, one fsync); default
   * 2000 ms. A storm of changes costs one write per period, not one per change.
   */
  readonly delayMs?: number | undefined;
  /**
   * The journal is compacted into a new base once it would grow past this share of the base's size;
   * default 0.5. So a compaction (which copies the whole base) comes once per half a base's worth of
   * changed units — its cost spread over them — and a start from the copy reads at most one and a
   * half times the base. Each compaction also waits {@link REWRITE_SPACING} times as long as the
   * previous one took (the journal meanwhile grows further). 0 compacts at every write.
   */
  readonly journalShare?: number | undefined;
  /** {@link REWRITE_SPACING} unless given (tests give 0 to see compactions one after another). */
  readonly compactionSpacing?: number | undefined;
  readonly logger?: Logger | undefined;
}

/** Counters of the writer, for metrics, tests and benchmarks. */
export interface LastGoodWriterStats {
  /** Writes made: whole bases (a full load's, compactions) and journal records. */
  readonly writes: number;
  /** Of those, records appended to the journal. */
  readonly journalRecords: number;
  /** Of those, compactions (a new base from the old one, its journal and the collected changes). */
  readonly compactions: number;
  readonly failures: number;
  /** Duration of the last write, from its first byte to its rename (ms). */
  readonly lastWriteMs: number | undefined;
  /** Size of what was last written (bytes): the base, or the journal record. */
  readonly lastBytes: number | undefined;
  /** The change version of the copy on disk, once one was written or adopted. */
  readonly version: number | undefined;
}

/** A full load being written; nothing on disk changes until {@link FullCopy.finish}. */
export interface FullCopy {
  /**
   * Writes a part; resolves at once, or — when the file lags the parts handed over by more than a
   * few megabytes — once it has caught up, so a caller that awaits it never holds the copy in memory.
   */
  add(chunk: RulesChunk): Promise<void> | undefined;
  /** Queues the copy to replace the one on disk. */
  finish(version: number, storeId: string): void;
  /** Drops the copy (the load failed). */
  abandon(): void;
}

/** See the module comment. */
export interface LastGoodWriter {
  beginFull(): FullCopy;
  /** Notes the units of an applied delta; written within `delayMs`. */
  noteDelta(delta: RulesDelta): void;
  /**
   * Declares the copy on disk (read at start) the one that changes are written onto; the first write
   * then compacts it (its journal's tail is not known to this writer).
   */
  adopt(header: Pick<LastGoodHeader, 'storeId' | 'version'>): void;
  /**
   * True when a rewrite found no usable copy to start from (deleted, damaged): the next refresh
   * should load everything, which writes a whole copy.
   */
  readonly needsFull: boolean;
  readonly stats: LastGoodWriterStats;
  /** Writes what is collected now; resolves when every queued write is done. */
  flush(): Promise<void>;
  /** Flushes and stops. */
  close(): Promise<void>;
}

interface Pending {
  version: number;
  readonly tenants: Map<string, TenantRules | null>;
  readonly apis: Map<string, ApiRules | null>;
  readonly keys: Map<string, KeyRules | null>;
  /**
   * Entries added to tenants not in `tenants` (whose lines on disk they extend), oldest first. A
   * tenant's whole rules arriving later replace them; entries added to a tenant in `tenants` are
   * appended to its rules there.
   */
  readonly additions: Map<string, RuleEntry[]>;
}

/**
 * A compaction starts no sooner than this many times the previous one's duration after it. A
 * compaction copies the whole base (at 1,000,000 entries ~200 MB, read, written and fsynced in about
 * a second), so however fast changes come the node spends at most ~1 % of its time on it; the
 * journal takes the changes meanwhile, so the copy never lags by more than `delayMs`.
 */
export const REWRITE_SPACING = 100;

/** The least wait before a failed write is tried again (ms). */
const RETRY_MS = 1000;

interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  /** Changes with any write to the file, and unlike mtime cannot be set back by a program. */
  readonly ctimeMs: number;
}

const fileIdentity = (s: Stats): FileIdentity => ({
  dev: s.dev,
  ino: s.ino,
  size: s.size,
  mtimeMs: s.mtimeMs,
  ctimeMs: s.ctimeMs,
});

const sameFile = (a: FileIdentity, b: FileIdentity): boolean =>
  a.dev === b.dev &&
  a.ino === b.ino &&
  a.size === b.size &&
  a.mtimeMs === b.mtimeMs &&
  a.ctimeMs === b.ctimeMs;

/**
 * How long to wait before the next compaction: the collecting delay, or longer after a slow one.
 *
 * @example
 * rewriteDelay({ delayMs: 2000, lastWriteMs: 400, lastRewriteEnd: 0, now: 1_000 }); // 7000
 */
export function rewriteDelay(p: {
  readonly delayMs: number;
  readonly lastWriteMs: number | undefined;
  readonly lastRewriteEnd: number;
  readonly now: number;
  readonly spacing?: number | undefined;
}): number {
  const spaced = p.lastRewriteEnd + (p.spacing ?? REWRITE_SPACING) * (p.lastWriteMs ?? 0) - p.now;
  return Math.max(p.delayMs, spaced);
}

const emptyPending = (): Pending => ({
  version: -1,
  tenants: new Map(),
  apis: new Map(),
  keys: new Map(),
  additions: new Map(),
});

/** A tenant's rules with entries added at the end of its list. */
const extended = (rules: TenantRules, added: readonly RuleEntry[]): TenantRules => ({
  ...rules,
  entries: [...rules.entries, ...added],
});

/** Whether the journal or the collected changes add entries to the tenant after its last line. */
const isExtended = (id: string, changes: Pending, journal: JournalScan | undefined): boolean =>
  changes.additions.has(id) || journal?.extended.has(id) === true;

/** A tenant's rules from its line (the line of a unit the copy holds; anything else is damage). */
function tenantOf(line: string): TenantRules {
  const unit = decodeUnit(line);
  if (unit.kind !== 't') throw new Error(`the line of ${unit.kind} unit where a tenant's was expected`);
  return unit.rules;
}

/** Entries added to a tenant the copy does not hold: damage, and the compaction stops. */
function notHeld(id: string): Error {
  return new Error(`entries were added to tenant ${id}, which the copy does not hold`);
}

/**
 * @example
 * const writer = createLastGoodWriter({ path: 'data/last-good-rules', storeLocation: 'sqlite:/srv/data/ipgate.db' });
 * const full = writer.beginFull();
 * const version = await store.loadRules((chunk) => full.add(chunk));
 * full.finish(version, await store.storeId());
 * writer.noteDelta(await store.rulesSince(version)); // rewritten within delayMs
 */
export function createLastGoodWriter(options: LastGoodWriterOptions): LastGoodWriter {
  const { path, storeLocation } = options;
  const delayMs = options.delayMs ?? 2000;
  const logger = options.logger ?? silentLogger;
  let tail: Promise<void> = Promise.resolve();
  let pending = emptyPending();
  let timer: NodeJS.Timeout | undefined;
  let storeId: string | undefined;
  let needsFull = false;
  let closed = false;
  let seq = 0;
  /** Full loads finished: a write that fails after one need not keep its changes for the next. */
  let fullLoads = 0;
  /**
   * The copy this writer last put on disk, as the file system identifies it: a rewrite that finds
   * that very file (same inode, size, modification and change times, and the header it wrote) skips
   * checking the old body's checksum, which it computed itself while writing — half of a rewrite's
   * CPU at platform size. Any other file (adopted at start, replaced, touched) is checked.
   */
  let ownCopy: (FileIdentity & { readonly sha256: string }) | undefined;
  /** When the last compaction ended (ms) and how long it took; when the next may start. */
  let lastRewriteEnd = 0;
  let lastCompactionMs: number | undefined;
  const journalShare = options.journalShare ?? 0.5;
  /**
   * The base this writer last put on disk, and its journal as this writer wrote it (opened on the
   * first record). Undefined when the copy on disk was not written by this writer or a write failed
   * part way: the next write compacts, which reads the journal's whole records back first.
   */
  let chain:
    | {
        readonly baseSha256: string;
        readonly baseBytes: number;
        file: FileHandle | undefined;
        /** Where the next record goes, and the checksum it chains to. */
        end: number;
        sha256: string;
      }
    | undefined;
  const stats = {
    writes: 0,
    journalRecords: 0,
    compactions: 0,
    failures: 0,
    lastWriteMs: undefined as number | undefined,
    lastBytes: undefined as number | undefined,
    version: undefined as number | undefined,
  };

  // Unique across processes and writers: two nodes (or tests) may share a data directory.
  const tempPath = (): string =>
    join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.${++seq}.tmp`);

  function enqueue(job: () => Promise<void>): Promise<void> {
    tail = tail.then(job).catch((e: unknown) => {
      stats.failures++;
      logger.error(
        { err: e, path },
        'cannot write the last good rules to disk; the changes are kept and written at the next try',
      );
    });
    return tail;
  }

  /** Writes the header in place, fsyncs the file, renames it over the copy and fsyncs the directory. */
  async function commit(temp: string, header: LastGoodHeader, started: number): Promise<void> {
    const file = await open(temp, 'r+');
    let written: Stats;
    try {
      await file.write(encodeHeader(header), 0, HEADER_BYTES, 0);
      await file.sync();
      written = await file.stat();
    } finally {
      await file.close();
    }
    await rename(temp, path);
    ownCopy = { ...fileIdentity(written), sha256: header.sha256 };
    await syncDir(path);
    await startJournal(header);
    stats.writes++;
    stats.lastWriteMs = Date.now() - started;
    stats.lastBytes = HEADER_BYTES + header.bytes;
    stats.version = header.version;
    needsFull = false;
    logger.info(
      { path, version: header.version, bytes: stats.lastBytes, ms: stats.lastWriteMs },
      'last good rules written',
    );
  }

  /**
   * The base just written starts with an empty journal: the old one goes (after the base's rename is
   * durable; if the node dies in between, the old journal names the old base and is ignored).
   */
  async function startJournal(base: LastGoodHeader): Promise<void> {
    const old = chain?.file;
    chain = undefined;
    await old?.close();
    await unlink(journalPath(path)).catch((e: unknown) => {
      if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
    });
    chain = { baseSha256: base.sha256, baseBytes: base.bytes, file: undefined, end: 0, sha256: base.sha256 };
  }

  /** The collected changes as a journal record's body: unit lines, and deletions. */
  function recordBody(changes: Pending): Buffer {
    const lines: string[] = [];
    for (const [id, rules] of changes.tenants)
      lines.push(rules === null ? deletionLine('t', id) : encodeUnit({ kind: 't', rules }));
    for (const [id, rules] of changes.apis)
      lines.push(rules === null ? deletionLine('a', id) : encodeUnit({ kind: 'a', rules }));
    for (const [id, rules] of changes.keys) {
      // A deleted tenant's deletion takes its keys with it.
      if (rules !== null && changes.tenants.get(rules.key.tenantId) === null) continue;
      lines.push(rules === null ? deletionLine('k', id) : encodeUnit({ kind: 'k', rules }));
    }
    for (const [id, entries] of changes.additions) lines.push(additionLine(id, entries));
    return Buffer.from(lines.join(''));
  }

  /**
   * Appends the changes to the journal as one record and fsyncs it; false when the journal is due
   * for compaction instead (or this writer does not know its end).
   */
  async function append(changes: Pending): Promise<boolean> {
    const at = chain;
    if (at === undefined) return false;
    const started = Date.now();
    const body = recordBody(changes);
    const record = encodeRecord({
      previous: at.sha256,
      version: changes.version,
      writtenAt: started,
      body,
    });
    const compactionAllowed =
      rewriteDelay({
        delayMs: 0,
        lastWriteMs: lastCompactionMs,
        lastRewriteEnd,
        now: started,
        spacing: options.compactionSpacing,
      }) === 0;
    if (compactionAllowed && at.end + record.bytes.length > journalShare * at.baseBytes) return false;
    try {
      if (at.file === undefined) {
        // A new journal: its first line names the base; the directory is synced for its name.
        const file = await open(journalPath(path), 'w', 0o600);
        at.file = file;
        const head = journalHead(at.baseSha256);
        await file.write(head, 0, head.length, 0);
        at.end = head.length;
        await file.sync();
        await syncDir(path);
      }
      await at.file.write(record.bytes, 0, record.bytes.length, at.end);
      // One fsync per record (at most one per delayMs): a record the writer reports written survives
      // a power cut; one cut short by a crash is left out by the reader, with the records before it.
      await at.file.datasync();
    } catch (e) {
      // The journal's end is not known any more: the next write compacts (whole records only).
      chain = undefined;
      await at.file?.close().catch(() => {});
      throw e;
    }
    at.end += record.bytes.length;
    at.sha256 = record.sha256;
    stats.writes++;
    stats.journalRecords++;
    stats.lastWriteMs = Date.now() - started;
    stats.lastBytes = record.bytes.length;
    stats.version = changes.version;
    needsFull = false;
    return true;
  }

  function header(
    version: number,
    id: string,
    units: number,
    body: { bytes: number; sha256: string },
  ): LastGoodHeader {
    return sealHeader(
      {
        format: LAST_GOOD_FORMAT,
        formatVersion: LAST_GOOD_FORMAT_VERSION,
        storeId: id,
        storeLocation,
        version,
        writtenAt: new Date().toISOString(),
        units,
        bytes: body.bytes,
      },
      body.sha256,
    );
  }

  async function syncDir(of: string): Promise<void> {
    const dir = await open(dirname(of), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  function beginFull(): FullCopy {
    const started = Date.now();
    const temp = tempPath();
    const body = lastGoodBody(temp, HEADER_BYTES);
    let units = 0;
    let done = false;
    return {
      add(chunk) {
        if (done) return undefined;
        for (const rules of chunk.tenants) body.write(encodeUnit({ kind: 't', rules }));
        for (const rules of chunk.apis) body.write(encodeUnit({ kind: 'a', rules }));
        for (const rules of chunk.keys) body.write(encodeUnit({ kind: 'k', rules }));
        units += chunk.tenants.length + chunk.apis.length + chunk.keys.length;
        return body.drained();
      },
      finish(version, id) {
        if (done) return;
        done = true;
        storeId = id;
        // The load holds every change up to its version, the ones collected before it included.
        pending = emptyPending();
        fullLoads++;
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        const ended = body.end();
        ended.catch(() => {}); // reported by the queued job
        void enqueue(async () => {
          try {
            const body = await ended;
            // A restart with nothing changed loads what the copy holds already: keep that one.
            const onDisk = await readLastGoodHeader(path).catch(() => undefined);
            if (
              onDisk !== undefined &&
              onDisk.version === version &&
              onDisk.storeId === id &&
              onDisk.storeLocation === storeLocation &&
              onDisk.units === units &&
              onDisk.bytes === body.bytes &&
              onDisk.sha256 === headerChecksum({ ...onDisk }, body.sha256)
            ) {
              await unlink(temp);
              // What was loaded is the base alone: a journal beside it is of changes the store no
              // longer holds (restored to this version), or of an earlier base.
              await startJournal(onDisk);
              stats.version = version;
              needsFull = false;
              return;
            }
            await commit(temp, header(version, id, units, body), started);
          } catch (e) {
            await unlink(temp).catch(() => {});
            needsFull = true;
            throw e;
          }
        });
      },
      abandon() {
        if (done) return;
        done = true;
        body.out.destroy();
        void unlink(temp).catch(() => {});
      },
    };
  }

  /** Whether a unit's line stays: the collected changes do not replace or delete it. */
  function notChanged(
    ids: { readonly kind: string; readonly id: string; readonly tenantId: string | undefined },
    changes: Pending,
  ): boolean {
    if (ids.kind === 't') return !changes.tenants.has(ids.id);
    if (ids.kind === 'a') return !changes.apis.has(ids.id);
    if (changes.keys.has(ids.id)) return false;
    // A deleted tenant took its keys with it.
    return !(ids.tenantId !== undefined && changes.tenants.get(ids.tenantId) === null);
  }

  /**
   * Whether the base's line at `start`..`end` of `bytes` stays as it is: neither journal nor changes
   * touch its unit. A tenant they only add entries to is put in `held` instead, to be extended.
   */
  function keepLine(
    bytes: Buffer,
    start: number,
    end: number,
    changes: Pending,
    journal: JournalScan | undefined,
    held: ExtendedTenants,
  ): boolean {
    // Kind and ids are ASCII and come first; 200 bytes hold them (ids are a few dozen characters).
    const ids = lineIds(bytes.toString('latin1', start, Math.min(end, start + 200)));
    if (journal !== undefined) {
      if (journal.last.has(unitKey(ids.kind, ids.id))) return false;
      if (ids.kind === 'k' && ids.tenantId !== undefined && journal.deletedTenants.has(ids.tenantId))
        return false;
    }
    if (!notChanged(ids, changes)) return false;
    if (ids.kind === 't' && isExtended(ids.id, changes, journal)) {
      held.hold(tenantOf(bytes.toString('utf8', start, end)));
      return false;
    }
    return true;
  }

  /**
   * Writes the collected changes: a journal record, or a compaction when one is due. When that fails,
   * the changes are kept for the next write: a later record or compaction without them would carry
   * a later version, so a start from the copy would serve their units as they were before (a deleted
   * key, a removed address) and the node would never read those changes from the store again.
   */
  async function write(changes: Pending): Promise<void> {
    if (changes.version < 0) return;
    if (storeId === undefined) {
      needsFull = true;
      return;
    }
    const loadsBefore = fullLoads;
    try {
      if (await append(changes)) return;
      const started = Date.now();
      try {
        await rewrite(changes, storeId, started);
      } finally {
        lastRewriteEnd = Date.now();
        lastCompactionMs = lastRewriteEnd - started;
      }
    } catch (e) {
      // A full load finished meanwhile holds these changes (and more): nothing to keep then.
      if (fullLoads === loadsBefore) keepForNextWrite(changes);
      throw e;
    }
  }

  /** Puts changes whose write failed back under the ones collected since (which are newer). */
  function keepForNextWrite(changes: Pending): void {
    // Additions apply to what came before them: the failed changes' go under the newer ones'.
    for (const [id, entries] of changes.additions) {
      if (pending.tenants.has(id)) continue;
      pending.additions.set(id, [...entries, ...(pending.additions.get(id) ?? [])]);
    }
    for (const [id, rules] of changes.tenants) {
      if (pending.tenants.has(id)) continue;
      const added = pending.additions.get(id);
      pending.additions.delete(id);
      pending.tenants.set(id, added === undefined || rules === null ? rules : extended(rules, added));
    }
    for (const [id, rules] of changes.apis) if (!pending.apis.has(id)) pending.apis.set(id, rules);
    for (const [id, rules] of changes.keys) if (!pending.keys.has(id)) pending.keys.set(id, rules);
    pending.version = Math.max(pending.version, changes.version);
    // Tried again without waiting for another change; not at once, so a lasting failure (a full
    // disk) logs once per attempt at most every second.
    scheduleRewrite(Math.max(delayMs, RETRY_MS));
  }

  /** Rewrites the base with the journal's and the collected units' lines in place of their old ones. */
  async function rewrite(changes: Pending, storeId: string, started: number): Promise<void> {
    let source: Awaited<ReturnType<typeof open>>;
    try {
      source = await open(path, 'r');
    } catch (e) {
      needsFull = true;
      logger.warn(
        { err: e, path },
        'no last good rules to update on disk; the next refresh writes a whole copy',
      );
      return;
    }
    const temp = tempPath();
    try {
      const raw = Buffer.alloc(HEADER_BYTES);
      await source.read(raw, 0, HEADER_BYTES, 0);
      const old = decodeHeader(raw);
      if (old.storeId !== storeId || old.storeLocation !== storeLocation)
        throw new Error('the copy on disk is of another store');
      const scanned = await scanJournal(journalPath(path), old);
      if (scanned?.damage !== undefined)
        logger.warn(
          { path: journalPath(path), damage: scanned.damage, records: scanned.records },
          'the journal of the last good rules ends in a damaged record; compacting the whole records before it',
        );
      const journal = scanned !== undefined && scanned.ignored === undefined ? scanned : undefined;
      const body = lastGoodBody(temp, HEADER_BYTES);
      /** Tenants the journal or the changes add entries to, as their last line left them. */
      const held = new ExtendedTenants();
      const identity = fileIdentity(await source.stat());
      const trusted = ownCopy !== undefined && sameFile(ownCopy, identity) && ownCopy.sha256 === old.sha256;
      const check = trusted ? undefined : createHash('sha256');
      let units = 0;
      const input = createReadStream('', {
        fd: source.fd,
        start: HEADER_BYTES,
        autoClose: false,
        highWaterMark: 1 << 20,
      });
      // Lines are copied as bytes, a run of kept lines in one write; only each line's first bytes
      // (its kind and ids, ASCII) are decoded. Decoding and re-encoding every line of a large copy
      // cost several times more than the copy itself.
      let carry: Buffer | undefined;
      for await (const part of input as AsyncIterable<Buffer>) {
        check?.update(part);
        let at = 0;
        if (carry !== undefined) {
          // The line cut by the previous read: joined with its end alone, not with the whole part.
          const nl = part.indexOf(10);
          if (nl === -1) {
            carry = Buffer.concat([carry, part]);
            continue;
          }
          const line = Buffer.concat([carry, part.subarray(0, nl + 1)]);
          carry = undefined;
          if (line.length > 1 && keepLine(line, 0, line.length - 1, changes, journal, held)) {
            body.writeBytes(line);
            units++;
          }
          at = nl + 1;
        }
        let keepFrom = at;
        for (let nl = part.indexOf(10, at); nl !== -1; nl = part.indexOf(10, at)) {
          const drop = nl === at || !keepLine(part, at, nl, changes, journal, held);
          if (drop) {
            if (keepFrom < at) body.writeBytes(part.subarray(keepFrom, at));
            keepFrom = nl + 1;
          } else {
            units++;
          }
          at = nl + 1;
        }
        if (keepFrom < at) body.writeBytes(part.subarray(keepFrom, at));
        if (at < part.length) carry = Buffer.from(part.subarray(at));
        // Reading is faster than writing: wait for the disk rather than queue the copy in memory.
        await body.drained();
      }
      if (carry !== undefined) {
        // The last line of a copy ends with a line break; one without is kept as it was read.
        if (keepLine(carry, 0, carry.length, changes, journal, held)) {
          body.writeBytes(carry);
          body.write('\n');
          units++;
        }
      }
      if (check !== undefined && headerChecksum(old, check.digest('hex')) !== old.sha256)
        throw new Error('the copy on disk does not match its checksum');
      if (journal !== undefined && journal.records > 0) {
        // Each unit the journal names, as its last whole record left it, unless changed again since.
        const again = await readJournal(
          journalPath(path),
          old,
          (record) =>
            forEachLine(record, (line, start, end, offset) => {
              if (!notChanged(line, changes)) return;
              if (additionApplies(journal, line, offset)) {
                const { entries } = decodeAddition(record.body.toString('utf8', start, end));
                if (!held.append(line.id, entries)) throw notHeld(line.id);
                return;
              }
              if (!journalLineStays(journal, line, offset)) return;
              if (line.kind === 't' && isExtended(line.id, changes, journal)) {
                held.hold(tenantOf(record.body.toString('utf8', start, end)));
                return;
              }
              body.writeBytes(record.body.subarray(start, end + 1));
              units++;
            }),
          journal.end,
        );
        if (again === undefined || again.sha256 !== journal.sha256)
          throw new Error('the journal of the copy changed while it was compacted');
        await body.drained();
      }
      // Changes kept after a failed write may be on disk already: their entries are not listed twice.
      for (const [id, entries] of changes.additions) if (!held.appendMissing(id, entries)) throw notHeld(id);
      for (const rules of held.values()) {
        body.write(encodeUnit({ kind: 't', rules }));
        units++;
      }
      for (const rules of changes.tenants.values())
        if (rules !== null) {
          body.write(encodeUnit({ kind: 't', rules }));
          units++;
        }
      for (const rules of changes.apis.values())
        if (rules !== null) {
          body.write(encodeUnit({ kind: 'a', rules }));
          units++;
        }
      for (const rules of changes.keys.values())
        if (rules !== null && changes.tenants.get(rules.key.tenantId) !== null) {
          body.write(encodeUnit({ kind: 'k', rules }));
          units++;
        }
      await commit(temp, header(changes.version, storeId, units, await body.end()), started);
      stats.compactions++;
    } catch (e) {
      await unlink(temp).catch(() => {});
      needsFull = true;
      throw e;
    } finally {
      await source.close();
    }
  }

  function scheduleRewrite(after = delayMs): void {
    if (timer !== undefined || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      const changes = pending;
      pending = emptyPending();
      void enqueue(() => write(changes));
    }, after);
    timer.unref();
  }

  return {
    beginFull,
    noteDelta(delta) {
      const additions = delta.tenantAdditions ?? new Map<string, readonly RuleEntry[]>();
      // Changes of principals (admin tokens) name no unit: nothing on disk would change.
      if (delta.tenants.size + delta.apis.size + delta.keys.size + additions.size === 0) return;
      for (const [id, added] of additions) {
        const whole = pending.tenants.get(id);
        // A deleted tenant stays deleted (the engine never extends a tenant it does not hold).
        if (whole === null) continue;
        if (whole !== undefined) pending.tenants.set(id, extended(whole, added));
        else pending.additions.set(id, [...(pending.additions.get(id) ?? []), ...added]);
      }
      for (const [id, rules] of delta.tenants) {
        pending.additions.delete(id);
        pending.tenants.set(id, rules);
        if (rules === null)
          for (const [keyId, key] of pending.keys) if (key?.key.tenantId === id) pending.keys.delete(keyId);
      }
      for (const [id, rules] of delta.apis) pending.apis.set(id, rules);
      for (const [id, rules] of delta.keys) pending.keys.set(id, rules);
      pending.version = Math.max(pending.version, delta.version);
      scheduleRewrite();
    },
    adopt(h) {
      storeId = h.storeId;
      stats.version = h.version;
      // Not written by this writer: its journal's tail is read back by the first write's compaction.
      chain = undefined;
    },
    get needsFull() {
      return needsFull;
    },
    get stats() {
      return { ...stats };
    },
    flush() {
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
        const changes = pending;
        pending = emptyPending();
        void enqueue(() => write(changes));
      }
      return tail;
    },
    async close() {
      await this.flush();
      closed = true;
      // A retry of a failed write, scheduled while flushing, is not made after the writer is closed.
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const file = chain?.file;
      if (chain !== undefined) chain.file = undefined;
      await file?.close();
    },
  };
}
