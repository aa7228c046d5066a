/**
 * A last good copy whose journal adds entries to a large tenant, record after record (what `auto`
 * batches leave between two compactions): read back and compacted at a cost linear in the copy and
 * the journal, not in their product.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { RuleEntry, RulesChunk, TenantRules } from '../store/store.js';
import { ExtendedTenants } from './extended-tenants.js';
import { additionLine, encodeRecord, journalHead, journalPath } from './last-good-journal.js';
import { readLastGood, readLastGoodHeader } from './last-good-read.js';
import { createLastGoodWriter } from './last-good-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'ipgate-extended-tenants-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const LOCATION = 'sqlite:/srv/ipgate-data/ipgate.db';

const entry = (k: number): RuleEntry => ({
  id: `ent_${k}`,
  name: '',
  type: 'ip',
  value: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`,
  expiresAt: null,
});
const tenant = (from: number, to: number): TenantRules => ({
  tenant: { id: 'ten_big', ipMode: 'auto' },
  entries: Array.from({ length: to - from }, (_, k) => entry(from + k)),
});

describe('ExtendedTenants', () => {
  it('a tenant ends as its last whole line plus what was added after it, in order (property)', () => {
    const step = fc.oneof(
      fc.record({ whole: fc.array(fc.nat(50), { maxLength: 4 }) }),
      fc.record({ added: fc.array(fc.nat(50), { maxLength: 4 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        const held = new ExtendedTenants();
        const given: { rules: TenantRules; ids: string[] }[] = [];
        let model: RuleEntry[] | undefined;
        for (const s of steps) {
          if ('whole' in s) {
            const rules = { tenant: { id: 'ten_1', ipMode: 'auto' as const }, entries: s.whole.map(entry) };
            given.push({ rules, ids: rules.entries.map((e) => e.id) });
            held.hold(rules);
            model = [...rules.entries];
          } else {
            expect(held.append('ten_1', s.added.map(entry))).toBe(model !== undefined);
            model?.push(...s.added.map(entry));
          }
        }
        expect([...held.values()].map((t) => t.entries)).toEqual(model === undefined ? [] : [model]);
        // The rules handed in are not changed: they may be a compiled snapshot's.
        for (const g of given) expect(g.rules.entries.map((e) => e.id)).toEqual(g.ids);
      }),
    );
  });

  it('does not change the list it was given', () => {
    const rules = tenant(0, 3);
    const held = new ExtendedTenants();
    held.hold(rules);
    held.append('ten_big', [entry(9)]);
    expect(rules.entries.map((e) => e.id)).toEqual(['ent_0', 'ent_1', 'ent_2']);
    expect([...held.values()][0]?.entries.map((e) => e.id)).toEqual(['ent_0', 'ent_1', 'ent_2', 'ent_9']);
  });
});

describe('a copy whose journal adds to a large tenant record by record', () => {
  const LARGE = 40_000;
  const SMALL = 1_000;
  const RECORDS = 1_500;

  /** A copy of a tenant's first `base` entries, and a journal adding the next RECORDS ones, `perRecord` a record. */
  async function copyWith(base: number, perRecord: number): Promise<string> {
    const path = join(dir, `copy-${++n}`);
    const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0 });
    const full = writer.beginFull();
    full.add({ version: 1, tenants: [tenant(0, base)], apis: [], keys: [] });
    full.finish(1, 'sto_a');
    await writer.close();
    const header = await readLastGoodHeader(path);
    const parts = [journalHead(header.sha256)];
    let previous = header.sha256;
    let version = 1;
    for (let k = base; k < base + RECORDS; k += perRecord) {
      const record = encodeRecord({
        previous,
        version: ++version,
        writtenAt: 1,
        body: Buffer.from(
          additionLine('ten_big', tenant(k, Math.min(k + perRecord, base + RECORDS)).entries),
        ),
      });
      parts.push(record.bytes);
      previous = record.sha256;
    }
    writeFileSync(journalPath(path), Buffer.concat(parts));
    return path;
  }

  const cpuMs = (used: NodeJS.CpuUsage) => (used.user + used.system) / 1000;

  async function read(path: string): Promise<{ ms: number; entries: readonly RuleEntry[] }> {
    const chunks: RulesChunk[] = [];
    const before = process.cpuUsage();
    await readLastGood(path, { storeLocation: LOCATION }, (c) => chunks.push(c));
    const ms = cpuMs(process.cpuUsage(before));
    return { ms, entries: chunks.flatMap((c) => c.tenants)[0]?.entries ?? [] };
  }

  async function compact(path: string): Promise<number> {
    const writer = createLastGoodWriter({
      path,
      storeLocation: LOCATION,
      delayMs: 0,
      journalShare: 0,
      compactionSpacing: 0,
    });
    writer.adopt(await readLastGoodHeader(path));
    const before = process.cpuUsage();
    writer.noteDelta({
      version: 10_000,
      tenants: new Map(),
      tenantAdditions: new Map([['ten_big', [entry(1_000_000)]]]),
      apis: new Map(),
      keys: new Map(),
    });
    await writer.flush();
    const ms = cpuMs(process.cpuUsage(before));
    await writer.close();
    expect(writer.stats).toMatchObject({ compactions: 1, failures: 0 });
    return ms;
  }

  /** The least of three runs after a warm-up: the machine may be busy with other work. */
  async function least(run: () => Promise<number>): Promise<number> {
    await run();
    return Math.min(await run(), await run(), await run());
  }

  // Linear: the large tenant's records cost what the small one's do, plus the large list read once.
  // A copy of the list per record costs another ~40,000 entries' worth per record (5 s and more).
  it('reads back in what the records and the list cost apart', { timeout: 120_000 }, async () => {
    const largeMany = await copyWith(LARGE, 1);
    const { entries } = await read(largeMany);
    expect(entries).toEqual(tenant(0, LARGE + RECORDS).entries);
    const many = await least(async () => (await read(largeMany)).ms);
    const smallMany = await copyWith(SMALL, 1);
    const records = await least(async () => (await read(smallMany)).ms);
    const largeOne = await copyWith(LARGE, RECORDS);
    const list = await least(async () => (await read(largeOne)).ms);
    expect(many).toBeLessThan(2 * (records + list) + 100);
  });

  it('compacts in what the records and the list cost apart', { timeout: 120_000 }, async () => {
    const many = await least(async () => compact(await copyWith(LARGE, 1)));
    expect((await read(join(dir, `copy-${n}`))).entries).toEqual([
      ...tenant(0, LARGE + RECORDS).entries,
      entry(1_000_000),
    ]);
    const records = await least(async () => compact(await copyWith(SMALL, 1)));
    const list = await least(async () => compact(await copyWith(LARGE, RECORDS)));
    expect(many).toBeLessThan(2 * (records + list) + 100);
  });
});

describe('entries whose write failed', () => {
  it('are not listed twice when the journal holds them already (a record whose fsync failed)', async () => {
    const path = join(dir, `copy-${++n}`);
    const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0, journalShare: 1000 });
    const full = writer.beginFull();
    full.add({ version: 1, tenants: [tenant(0, 3)], apis: [], keys: [] });
    full.finish(1, 'sto_a');
    await writer.flush();
    const added = (version: number, k: number) =>
      writer.noteDelta({
        version,
        tenants: new Map(),
        tenantAdditions: new Map([['ten_big', [entry(k)]]]),
        apis: new Map(),
        keys: new Map(),
      });
    // The record is written whole, then its fsync fails: the writer keeps the changes for its next
    // write, a compaction, which reads the journal's whole records, that one included.
    const probe = await open(path, 'r');
    const handle = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const sync = vi
      .spyOn(handle, 'datasync')
      .mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    try {
      added(2, 10);
      await writer.flush();
    } finally {
      sync.mockRestore();
    }
    expect(writer.stats.failures).toBe(1);
    added(3, 11);
    await writer.close();
    expect(writer.stats).toMatchObject({ compactions: 1, failures: 1 });
    const chunks: RulesChunk[] = [];
    const copy = await readLastGood(path, { storeLocation: LOCATION }, (c) => chunks.push(c));
    expect(copy.version).toBe(3);
    expect(chunks.flatMap((c) => c.tenants)[0]?.entries.map((e) => e.id)).toEqual([
      'ent_0',
      'ent_1',
      'ent_2',
      'ent_10',
      'ent_11',
    ]);
  });
});
