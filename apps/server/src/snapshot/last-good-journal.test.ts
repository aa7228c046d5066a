/**
 * The journal of a last good copy: changes appended as checksummed records, replayed onto the base
 * on read, compacted into a new base now and then. What must hold: a copy read back (base + journal)
 * is exactly what a full copy of the same rules reads back; a journal cut short or damaged is used up
 * to its last whole record and never beyond (a state the store really was in); a node killed at any
 * moment while writing leaves a copy that reads back whole. Records mix whole units and entries added
 * to a tenant (what an `auto` batch writes), so all of that holds for both.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiRules, KeyRules, RuleEntry, RulesChunk, RulesDelta, TenantRules } from '../store/store.js';
import { HEADER_BYTES, LastGoodRefused } from './last-good-format.js';
import {
  additionLine,
  decodeAddition,
  deletionLine,
  encodeRecord,
  journalHead,
  journalLine,
  journalPath,
  readJournal,
} from './last-good-journal.js';
import { type LastGoodCopy, readLastGood, readLastGoodHeader } from './last-good-read.js';
import { createLastGoodWriter } from './last-good-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'ipgate-last-good-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `copy-${++n}`);
const LOCATION = 'sqlite:/srv/ipgate-data/ipgate.db';

/** Units by kind and id: the state of a store's rules, as a model. */
interface Model {
  readonly tenants: Map<string, TenantRules>;
  readonly apis: Map<string, ApiRules>;
  readonly keys: Map<string, KeyRules>;
}

const entry = (id: string, value: string) => ({
  id,
  name: `n ${id}`,
  type: 'ip' as const,
  value,
  expiresAt: null,
});
const tenant = (id: string, values: readonly string[]): TenantRules => ({
  tenant: { id, ipMode: 'manual' },
  entries: values.map((v, i) => entry(`ent_${id}_${i}`, v)),
});
const api = (id: string, values: readonly string[]): ApiRules => ({
  api: {
    id,
    name: id,
    host: `${id}.example.com`,
    pathPrefix: '/',
    stripPrefix: false,
    upstreamUrl: 'http://127.0.0.1:9',
    authHeader: 'x-api-key',
  },
  entries: values.map((v, i) => entry(`ent_${id}_${i}`, v)),
});
const key = (id: string, tenantId: string, values: readonly string[]): KeyRules => ({
  key: {
    id,
    tenantId,
    name: id,
    secretHash: 'a'.repeat(64),
    ipRestrictionEnabled: values.length > 0,
    domainRestrictionEnabled: false,
  },
  ipEntries: values.map((v, i) => entry(`ent_${id}_${i}`, v)),
  domains: [],
});

const chunkOf = (m: Model, version: number): RulesChunk => ({
  version,
  tenants: [...m.tenants.values()],
  apis: [...m.apis.values()],
  keys: [...m.keys.values()],
});

function apply(m: Model, d: RulesDelta): void {
  for (const [id, added] of d.tenantAdditions ?? []) {
    const before = m.tenants.get(id);
    if (before === undefined) throw new Error(`the model adds to ${id}, which it does not hold`);
    m.tenants.set(id, { ...before, entries: [...before.entries, ...added] });
  }
  for (const [id, rules] of d.tenants) {
    if (rules !== null) m.tenants.set(id, rules);
    else {
      m.tenants.delete(id);
      for (const [keyId, k] of m.keys) if (k.key.tenantId === id) m.keys.delete(keyId);
    }
  }
  for (const [id, rules] of d.apis) rules === null ? m.apis.delete(id) : m.apis.set(id, rules);
  for (const [id, rules] of d.keys) rules === null ? m.keys.delete(id) : m.keys.set(id, rules);
}

/** What a copy reads back as, in an order that does not depend on where each unit's line was. */
async function readBack(path: string): Promise<{ copy: LastGoodCopy; units: unknown }> {
  const chunks: RulesChunk[] = [];
  const copy = await readLastGood(path, { storeLocation: LOCATION }, (c) => chunks.push(c));
  return { copy, units: sortedUnits(chunks) };
}

function sortedUnits(chunks: readonly RulesChunk[]): unknown {
  const byId = <T>(list: T[], id: (u: T) => string) => list.sort((a, b) => (id(a) < id(b) ? -1 : 1));
  return {
    tenants: byId(
      chunks.flatMap((c) => c.tenants),
      (u) => u.tenant.id,
    ),
    apis: byId(
      chunks.flatMap((c) => c.apis),
      (u) => u.api.id,
    ),
    keys: byId(
      chunks.flatMap((c) => c.keys),
      (u) => u.key.id,
    ),
  };
}

async function writeFull(path: string, chunk: RulesChunk): Promise<void> {
  const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0 });
  const full = writer.beginFull();
  full.add(chunk);
  full.finish(chunk.version, 'sto_a');
  await writer.close();
}

/**
 * A base of version 1, then `records` journal records (version 2, 3, …), each changing one tenant:
 * at even versions by adding two entries to it, at odd ones by a whole new list.
 */
async function journalled(records: number): Promise<{ path: string; models: Map<number, unknown> }> {
  const path = freshPath();
  const model: Model = {
    tenants: new Map([0, 1, 2, 3].map((t) => [`ten_${t}`, tenant(`ten_${t}`, [`10.0.${t}.1`])])),
    apis: new Map([['api_1', api('api_1', ['192.0.2.0/24'])]]),
    keys: new Map([['key_1', key('key_1', 'ten_1', ['203.0.113.9'])]]),
  };
  const models = new Map<number, unknown>();
  // A base this small would be compacted at once at the usual share.
  const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0, journalShare: 1000 });
  const full = writer.beginFull();
  full.add(chunkOf(model, 1));
  full.finish(1, 'sto_a');
  await writer.flush();
  models.set(1, sortedUnits([chunkOf(model, 1)]));
  for (let v = 2; v < 2 + records; v++) {
    const id = `ten_${v % 4}`;
    const delta: RulesDelta =
      v % 2 === 0
        ? {
            version: v,
            tenants: new Map(),
            tenantAdditions: new Map([
              [id, [entry(`ent_add_${v}_0`, `10.3.${v}.1`), entry(`ent_add_${v}_1`, `10.4.${v}.1`)]],
            ]),
            apis: new Map(),
            keys: new Map(),
          }
        : {
            version: v,
            tenants: new Map([[id, tenant(id, [`10.1.${v}.1`, `10.2.${v}.0/24`])]]),
            apis: new Map(),
            keys: v === 3 ? new Map([['key_1', null]]) : new Map(),
          };
    apply(model, delta);
    writer.noteDelta(delta);
    await writer.flush();
    models.set(v, sortedUnits([chunkOf(model, v)]));
  }
  await writer.close();
  expect(writer.stats).toMatchObject({ journalRecords: records, compactions: 0, failures: 0 });
  return { path, models };
}

describe('the journal of a last good copy', () => {
  it('takes a change as one appended record, not a rewrite of the copy', async () => {
    const { path, models } = await journalled(3);
    const base = readLastGoodHeader(path);
    expect((await base).version).toBe(1);
    const journal = readFileSync(journalPath(path), 'latin1');
    expect(journal.startsWith(journalHead((await base).sha256).toString('latin1'))).toBe(true);
    expect(journal.match(/^r \d+ \d+ \d+ [0-9a-f]{64}$/gm)).toHaveLength(3);
    // The additions are written as the entries added, not as the tenant's list.
    expect(journal.match(/^\+ t ten_2 \[.*\]$/gm)).toHaveLength(1);
    expect(journal).not.toContain('10.0.2.1');
    const { copy, units } = await readBack(path);
    expect(copy).toMatchObject({ version: 4, journal: { records: 3, damage: undefined } });
    expect(units).toEqual(models.get(4));
  });

  it('replayed onto its base, reads back exactly as a full copy of the same rules (property)', async () => {
    // Whole units, deletions and entries added to tenants, in any mix, flushed and compacted anywhere.
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        t: fc.nat(5),
        values: fc.array(fc.nat(255), { minLength: 1, maxLength: 3 }),
      }),
      fc.record({
        kind: fc.constant('add' as const),
        t: fc.nat(5),
        values: fc.array(fc.nat(255), { minLength: 1, maxLength: 3 }),
      }),
      fc.record({
        kind: fc.constant('tenant' as const),
        t: fc.nat(5),
        values: fc.array(fc.nat(255), { maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('dropTenant' as const), t: fc.nat(5) }),
      fc.record({
        kind: fc.constant('key' as const),
        k: fc.nat(3),
        values: fc.array(fc.nat(255), { maxLength: 2 }),
      }),
      fc.record({ kind: fc.constant('dropKey' as const), k: fc.nat(3) }),
      fc.record({
        kind: fc.constant('api' as const),
        a: fc.nat(2),
        values: fc.array(fc.nat(255), { maxLength: 2 }),
      }),
      fc.record({ kind: fc.constant('dropApi' as const), a: fc.nat(2) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ op, flush: fc.boolean() }), { minLength: 1, maxLength: 25 }),
        fc.constantFrom(0, 0.2, 1000),
        async (steps, journalShare) => {
          const model: Model = {
            tenants: new Map([0, 1, 2].map((t) => [`ten_${t}`, tenant(`ten_${t}`, [`10.9.${t}.1`])])),
            apis: new Map([['api_0', api('api_0', ['192.0.2.1'])]]),
            keys: new Map([['key_0', key('key_0', 'ten_0', [])]]),
          };
          // Ids are never reused once deleted, as in a store.
          const gone = new Set<string>();
          const path = freshPath();
          await writeFull(path, chunkOf(model, 1));
          const writer = createLastGoodWriter({
            path,
            storeLocation: LOCATION,
            delayMs: 60_000,
            journalShare,
            compactionSpacing: 0,
          });
          writer.adopt(await readLastGoodHeader(path));
          let version = 1;
          for (const { op: o, flush } of steps) {
            const d = {
              tenants: new Map(),
              tenantAdditions: new Map(),
              apis: new Map(),
              keys: new Map(),
            } as {
              tenants: Map<string, TenantRules | null>;
              tenantAdditions: Map<string, RuleEntry[]>;
              apis: Map<string, ApiRules | null>;
              keys: Map<string, KeyRules | null>;
            };
            const ip = (v: number) => `10.${v}.0.0/16`;
            if (o.kind === 'add' && model.tenants.has(`ten_${o.t}`))
              d.tenantAdditions.set(
                `ten_${o.t}`,
                o.values.map((v, i) => entry(`ent_add_${version + 1}_${i}`, `10.${v}.${i}.1`)),
              );
            if (o.kind === 'tenant' && !gone.has(`ten_${o.t}`))
              d.tenants.set(`ten_${o.t}`, tenant(`ten_${o.t}`, o.values.map(ip)));
            if (o.kind === 'dropTenant' && model.tenants.has(`ten_${o.t}`)) {
              d.tenants.set(`ten_${o.t}`, null);
              gone.add(`ten_${o.t}`);
              for (const k of model.keys.values()) if (k.key.tenantId === `ten_${o.t}`) gone.add(k.key.id);
            }
            const owner = `ten_${o.kind === 'key' ? o.k % 3 : 0}`;
            if (o.kind === 'key' && !gone.has(`key_${o.k}`) && model.tenants.has(owner))
              d.keys.set(`key_${o.k}`, key(`key_${o.k}`, owner, o.values.map(ip)));
            if (o.kind === 'dropKey' && model.keys.has(`key_${o.k}`)) {
              d.keys.set(`key_${o.k}`, null);
              gone.add(`key_${o.k}`);
            }
            if (o.kind === 'api') d.apis.set(`api_${o.a}`, api(`api_${o.a}`, o.values.map(ip)));
            if (o.kind === 'dropApi' && model.apis.has(`api_${o.a}`)) d.apis.set(`api_${o.a}`, null);
            if (d.tenants.size + d.tenantAdditions.size + d.apis.size + d.keys.size === 0) continue;
            const delta: RulesDelta = { version: ++version, ...d };
            apply(model, delta);
            writer.noteDelta(delta);
            if (flush) await writer.flush();
          }
          await writer.close();
          expect(writer.stats.failures).toBe(0);
          const full = freshPath();
          await writeFull(full, chunkOf(model, version));
          const journalCopy = await readBack(path);
          expect(journalCopy.copy.version).toBe(version);
          expect(journalCopy.units).toEqual((await readBack(full)).units);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('an addition line reads back as the entries written (property); a malformed one is refused', () => {
    const text = fc.string({ maxLength: 12 });
    fc.assert(
      fc.property(
        fc.stringMatching(/^ten_[a-z0-9]{1,20}$/),
        fc.array(
          fc.record({
            id: fc.stringMatching(/^ent_[a-z0-9]{1,12}$/),
            name: text,
            type: fc.constantFrom('ip' as const, 'range' as const),
            value: text,
            expiresAt: fc.constant(null),
          }),
          { maxLength: 5 },
        ),
        (id, entries) => {
          const line = additionLine(id, entries).slice(0, -1);
          expect(journalLine(line)).toEqual({
            kind: 't',
            id,
            tenantId: undefined,
            deleted: false,
            added: true,
          });
          expect(decodeAddition(line)).toEqual({ tenantId: id, entries });
        },
      ),
    );
    for (const bad of [
      '+ a api_1 []',
      '+ t  []',
      '+ tten_1 []',
      '+ t ten_1',
      '+ t ten_1 {}',
      '+ t ten_1 [{"id":1}]',
    ])
      expect(() => decodeAddition(bad), bad).toThrow(LastGoodRefused);
  });

  it('entries added to a tenant the copy does not hold, or after its deletion, refuse the copy', async () => {
    for (const body of [
      additionLine('ten_9', [entry('ent_x', '10.0.0.9')]),
      deletionLine('t', 'ten_0') + additionLine('ten_0', [entry('ent_x', '10.0.0.9')]),
    ]) {
      const path = freshPath();
      await writeFull(path, { version: 1, tenants: [tenant('ten_0', ['10.0.0.1'])], apis: [], keys: [] });
      const base = await readLastGoodHeader(path);
      const record = encodeRecord({
        previous: base.sha256,
        version: 2,
        writtenAt: 1,
        body: Buffer.from(body),
      });
      writeFileSync(journalPath(path), Buffer.concat([journalHead(base.sha256), record.bytes]));
      await expect(readBack(path)).rejects.toMatchObject({
        name: 'LastGoodRefused',
        reason: 'corrupt',
        message: expect.stringMatching(/does not hold|after deleting/),
      });
    }
  });

  it('a journal cut short anywhere is used up to its last whole record, and says so', async () => {
    const { path, models } = await journalled(4);
    const good = readFileSync(journalPath(path));
    const ends = [...good.toString('latin1').matchAll(/^r (\d+) \d+ (\d+) [0-9a-f]{64}\n/gm)].map((m) => ({
      version: Number(m[1]),
      end: (m.index as number) + m[0].length + Number(m[2]),
    }));
    for (let cut = 0; cut <= good.length; cut += 7) {
      writeFileSync(journalPath(path), good.subarray(0, cut));
      const { copy, units } = await readBack(path);
      const whole = ends.filter((e) => e.end <= cut).at(-1);
      expect(copy.version).toBe(whole?.version ?? 1);
      expect(units).toEqual(models.get(copy.version));
      const atARecordEnd =
        cut === good.length || ends.some((e) => e.end === cut) || cut === journalHead('x'.repeat(64)).length;
      if (cut > 0 && !atARecordEnd)
        expect(copy.journal.damage ?? copy.journal.ignored).toMatch(/cut short|not its journal|another copy/);
    }
  });

  it("records larger than the reader's 1 MiB window, and records across its edges, read back whole", async () => {
    const path = freshPath();
    const model: Model = {
      tenants: new Map([['ten_0', tenant('ten_0', ['10.0.0.1'])]]),
      apis: new Map(),
      keys: new Map(),
    };
    const models = new Map<number, unknown>();
    const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0, journalShare: 1e9 });
    const full = writer.beginFull();
    full.add(chunkOf(model, 1));
    full.finish(1, 'sto_a');
    await writer.flush();
    models.set(1, sortedUnits([chunkOf(model, 1)]));
    // Lists of ~0.2 to ~2.5 MB: whole records past the window's size, and edges falling inside bodies
    // and inside headers as the records add up.
    const sizes = [3_000, 17_000, 5_000, 31_000, 2_000, 9_000, 1, 12_000];
    for (const [i, count] of sizes.entries()) {
      const v = i + 2;
      const values = Array.from({ length: count }, (_, k) => `10.${v}.${(k >> 8) & 255}.${k & 255}`);
      const delta: RulesDelta = {
        version: v,
        tenants: new Map([[`ten_${i % 3}`, tenant(`ten_${i % 3}`, values)]]),
        apis: new Map(),
        keys: new Map(),
      };
      apply(model, delta);
      writer.noteDelta(delta);
      await writer.flush();
      models.set(v, sortedUnits([chunkOf(model, v)]));
    }
    await writer.close();
    expect(writer.stats).toMatchObject({ journalRecords: sizes.length, compactions: 0, failures: 0 });
    const good = readFileSync(journalPath(path));
    expect(good.length).toBeGreaterThan(4 * 1024 * 1024);
    const { copy, units } = await readBack(path);
    expect(copy).toMatchObject({ version: 1 + sizes.length, journal: { damage: undefined } });
    expect(units).toEqual(models.get(1 + sizes.length));
    // Cut around each mebibyte edge and around each record's end: the whole records before the cut.
    const ends = [...good.toString('latin1').matchAll(/^r (\d+) \d+ (\d+) [0-9a-f]{64}\n/gm)].map((m) => ({
      version: Number(m[1]),
      end: (m.index as number) + m[0].length + Number(m[2]),
    }));
    const cuts = new Set<number>();
    for (let mib = 1; mib * 1024 * 1024 < good.length; mib++)
      for (const d of [-300, -1, 0, 1, 200]) cuts.add(mib * 1024 * 1024 + d);
    for (const e of ends) for (const d of [-1, 0, 1, 70]) cuts.add(e.end + d);
    for (const cut of [...cuts].filter((c) => c > 0 && c <= good.length).sort((a, b) => a - b)) {
      writeFileSync(journalPath(path), good.subarray(0, cut));
      const back = await readBack(path);
      const whole = ends.filter((e) => e.end <= cut).at(-1);
      expect(back.copy.version).toBe(whole?.version ?? 1);
      expect(back.units).toEqual(models.get(back.copy.version));
    }
  }, 120_000);

  it('reads the same records whatever its window, so no header or body edge is lost between reads', async () => {
    const { path } = await journalled(6);
    const base = await readLastGoodHeader(path);
    const good = readFileSync(journalPath(path));
    const readWith = async (bytes: number | undefined, until?: number) => {
      const records: string[] = [];
      const result = await readJournal(
        journalPath(path),
        base,
        (r) => records.push(`${r.version} ${r.writtenAt} ${r.bodyAt} ${r.body.toString('latin1')}`),
        until,
        bytes,
      );
      return { records, result };
    };
    const whole = await readWith(undefined);
    expect(whole.records).toHaveLength(6);
    expect(whole.result?.damage).toBeUndefined();
    // Every window from one byte up to past the longest record: each edge falls in every header and body.
    for (let bytes = 1; bytes <= 400; bytes++) expect(await readWith(bytes)).toEqual(whole);
    // Cut short: the same whole records and the same damage, whatever the window.
    for (const until of [good.length - 1, Math.floor(good.length / 2)]) {
      const cut = await readWith(undefined, until);
      expect(cut.result?.damage).toMatch(/cut short/);
      for (const bytes of [1, 7, 64, 255, 256, 257]) expect(await readWith(bytes, until)).toEqual(cut);
    }
  });

  it('a damaged byte in a record ends the journal before that record (property)', async () => {
    const { path, models } = await journalled(4);
    const good = readFileSync(journalPath(path));
    const head = journalHead((await readLastGoodHeader(path)).sha256).length;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: head, max: good.length - 1 }),
        fc.integer({ min: 0, max: 7 }),
        async (at, bit) => {
          const bytes = Buffer.from(good);
          bytes[at] = (bytes[at] as number) ^ (1 << bit);
          writeFileSync(journalPath(path), bytes);
          const { copy, units } = await readBack(path);
          // Never a mix: exactly the state as of a version the store was at, before the damaged record.
          expect(copy.version).toBeLessThan(5);
          expect(units).toEqual(models.get(copy.version));
          expect(copy.journal.damage).toMatch(
            /does not match its checksum|damaged header|cut short|goes back/,
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a journal of another copy (left by an interrupted compaction) is ignored', async () => {
    const { path, models } = await journalled(2);
    const journal = readFileSync(journalPath(path));
    await writeFull(path, { version: 1, tenants: [tenant('ten_0', ['10.0.0.1'])], apis: [], keys: [] });
    // The new base removed its predecessor's journal; put it back, as a crash between the two would.
    writeFileSync(journalPath(path), journal);
    const { copy, units } = await readBack(path);
    expect(copy.version).toBe(1);
    expect(copy.journal).toMatchObject({ records: 0, ignored: expect.stringMatching(/another copy/) });
    expect(units).not.toEqual(models.get(1));
    expect((units as { tenants: unknown[] }).tenants).toHaveLength(1);
  });

  it('is compacted into a new base once it outgrows its share of the base, and the base stays whole', async () => {
    const path = freshPath();
    const tenants = Array.from({ length: 20 }, (_, t) => tenant(`ten_${t}`, [`10.0.${t}.1`, `10.0.${t}.2`]));
    const model: Model = {
      tenants: new Map(tenants.map((t) => [t.tenant.id, t])),
      apis: new Map(),
      keys: new Map(),
    };
    const writer = createLastGoodWriter({
      path,
      storeLocation: LOCATION,
      delayMs: 0,
      journalShare: 0.3,
      compactionSpacing: 0,
    });
    const full = writer.beginFull();
    full.add(chunkOf(model, 1));
    full.finish(1, 'sto_a');
    await writer.flush();
    for (let v = 2; v < 40; v++) {
      const d: RulesDelta = {
        version: v,
        tenants: new Map([[`ten_${v % 20}`, tenant(`ten_${v % 20}`, [`10.${v}.0.1`])]]),
        apis: new Map(),
        keys: new Map(),
      };
      apply(model, d);
      writer.noteDelta(d);
      await writer.flush();
    }
    await writer.close();
    const { compactions, journalRecords } = writer.stats;
    expect(compactions).toBeGreaterThan(1);
    expect(journalRecords).toBeGreaterThan(compactions);
    // The journal never outgrows its share of the base by a record or more.
    const base = await readLastGoodHeader(path);
    expect(statSync(journalPath(path), { throwIfNoEntry: false })?.size ?? 0).toBeLessThan(0.3 * base.bytes);
    const { copy, units } = await readBack(path);
    expect(copy.version).toBe(39);
    expect(units).toEqual(sortedUnits([chunkOf(model, 39)]));
  });

  it('after a start from the copy, the first write compacts the journal the writer did not write', async () => {
    const { path, models } = await journalled(3);
    // A torn record at the end, as a crash leaves it.
    writeFileSync(
      journalPath(path),
      Buffer.concat([readFileSync(journalPath(path)), Buffer.from('r 9 1 500 ab')]),
    );
    const read = await readBack(path);
    expect(read.copy.version).toBe(4);
    const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0 });
    writer.adopt(read.copy);
    writer.noteDelta({ version: 5, tenants: new Map([['ten_3', null]]), apis: new Map(), keys: new Map() });
    await writer.close();
    expect(writer.stats).toMatchObject({ compactions: 1, journalRecords: 0, failures: 0 });
    expect(statSync(journalPath(path), { throwIfNoEntry: false })).toBeUndefined();
    const { copy, units } = await readBack(path);
    expect(copy).toMatchObject({ version: 5, journal: { records: 0 } });
    const expected = models.get(4) as { tenants: TenantRules[] };
    expect(units).toEqual({ ...expected, tenants: expected.tenants.filter((t) => t.tenant.id !== 'ten_3') });
  });

  it('changes whose write failed are written with the next ones, never left out of a later version', async () => {
    const path = freshPath();
    const model: Model = {
      tenants: new Map([0, 1, 2].map((t) => [`ten_${t}`, tenant(`ten_${t}`, [`10.0.${t}.1`])])),
      apis: new Map(),
      keys: new Map([['key_1', key('key_1', 'ten_1', ['203.0.113.9'])]]),
    };
    const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0, journalShare: 1000 });
    const full = writer.beginFull();
    full.add(chunkOf(model, 1));
    full.finish(1, 'sto_a');
    await writer.flush();
    // The journal cannot be created (a directory in its place): the record of version 2 fails.
    mkdirSync(journalPath(path));
    const revoked: RulesDelta = {
      version: 2,
      tenants: new Map([['ten_1', tenant('ten_1', [])]]),
      tenantAdditions: new Map([['ten_0', [entry('ent_first', '10.7.0.1')]]]),
      apis: new Map(),
      keys: new Map([['key_1', null]]),
    };
    apply(model, revoked);
    writer.noteDelta(revoked);
    await writer.flush();
    expect(writer.stats.failures).toBe(1);
    rmSync(journalPath(path), { recursive: true });
    // Entries added again: after the ones whose write failed, as in the store.
    const next: RulesDelta = {
      version: 3,
      tenants: new Map([['ten_2', tenant('ten_2', ['10.9.9.9'])]]),
      tenantAdditions: new Map([
        ['ten_0', [entry('ent_second', '10.7.0.2')]],
        ['ten_1', [entry('ent_third', '10.7.0.3')]],
      ]),
      apis: new Map(),
      keys: new Map(),
    };
    apply(model, next);
    writer.noteDelta(next);
    await writer.close();
    // A copy of version 3 that still held the revoked key and ten_1's old address would let them in
    // on a start from disk, and the node would never fetch version 2 from the store again.
    const { copy, units } = await readBack(path);
    expect(copy.version).toBe(3);
    expect(units).toEqual(sortedUnits([chunkOf(model, 3)]));
  });

  it('a node killed with SIGKILL at any moment while writing leaves a copy that reads back whole', async () => {
    // The built writer in a child process that writes a base, then records and compactions as fast as
    // it can; each is reported once written. Killed at a varying moment, mid-write more often than not.
    const writerModule = new URL('../../dist/snapshot/last-good-writer.js', import.meta.url).href;
    const child = (path: string) =>
      spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `
          const { createLastGoodWriter } = await import(${JSON.stringify(writerModule)});
          const stateAt = ${stateAt.toString()};
          const writer = createLastGoodWriter({ path: ${JSON.stringify(path)}, storeLocation: ${JSON.stringify(LOCATION)}, delayMs: 0, journalShare: 0.05, compactionSpacing: 0 });
          const full = writer.beginFull();
          full.add(stateAt(1));
          full.finish(1, 'sto_a');
          await writer.flush();
          process.stdout.write('1\\n');
          for (let v = 2; ; v++) {
            const id = 'ten_' + (v % 300);
            const changed = stateAt(v).tenants.find((t) => t.tenant.id === id);
            if (v % 7 !== 0 && v % 3 === 0 && changed !== undefined)
              writer.noteDelta({ version: v, tenants: new Map(), tenantAdditions: new Map([[id, changed.entries.slice(-1)]]), apis: new Map(), keys: new Map() });
            else
              writer.noteDelta({ version: v, tenants: new Map([[id, changed ?? null]]), apis: new Map(), keys: new Map() });
            await writer.flush();
            process.stdout.write(v + '\\n');
          }
          `,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
    for (const waitFor of [3, 17, 40, 71, 130]) {
      const path = freshPath();
      const proc = child(path);
      let written = 0;
      await new Promise<void>((resolve, reject) => {
        proc.once('exit', (code) => reject(new Error(`the writer exited with ${code} before it was killed`)));
        proc.stdout?.on('data', (b: Buffer) => {
          const last = b.toString().trim().split('\n').at(-1);
          written = Math.max(written, Number(last));
          if (written >= waitFor) {
            proc.removeAllListeners('exit');
            proc.kill('SIGKILL');
            proc.once('exit', () => resolve());
          }
        });
      });
      const { copy, units } = await readBack(path);
      // What was reported written is there; at most the write under way when it was killed is more.
      expect(copy.version).toBeGreaterThanOrEqual(written);
      expect(copy.version).toBeLessThanOrEqual(written + 1);
      expect(units).toEqual(sortedUnits([stateAt(copy.version) as RulesChunk]));
      expect(readFileSync(path).length).toBeGreaterThan(HEADER_BYTES);
    }
  }, 60_000);
});

/**
 * The rules as of version `v` in the killed writer's run (also run inside the child, from its source
 * text: self-contained): 300 tenants; at each version one tenant changes: every seventh version it
 * is deleted (a tenant deleted stays deleted), every third an entry is added to its list, otherwise
 * its list is replaced.
 */
function stateAt(v: number) {
  const tenants = [];
  for (let t = 0; t < 300; t++) {
    let whole = 1;
    let deleted = false;
    const added = [];
    for (let u = t; u <= v; u += 300) {
      if (u < 2 || deleted) continue;
      if (u % 7 === 0) deleted = true;
      else if (u % 3 === 0) added.push(u);
      else {
        whole = u;
        added.length = 0;
      }
    }
    if (deleted) continue;
    const entries = [];
    for (let e = 0; e < 20; e++)
      entries.push({
        id: `ent_${t}_${e}`,
        name: `entry ${e} of ${whole}`,
        type: 'ip',
        value: `10.${t % 250}.${whole % 250}.${e}`,
        expiresAt: null,
      });
    for (const u of added)
      entries.push({
        id: `ent_${t}_a${u}`,
        name: 'added',
        type: 'ip',
        value: `10.${t % 250}.${u % 250}.200`,
        expiresAt: null,
      });
    tenants.push({ tenant: { id: `ten_${t}`, ipMode: 'manual' }, entries });
  }
  return { version: v, tenants, apis: [], keys: [] };
}
