import { createHash } from 'node:crypto';
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../secrets/secrets.js';
import type { RulesChunk, RulesDelta, TenantRules } from '../store/store.js';
import { CompiledRules, compileAll } from './compiled-rules.js';
import {
  encodeHeader,
  HEADER_BYTES,
  type LastGoodHeader,
  LastGoodRefused,
  sealHeader,
} from './last-good-format.js';
import { readLastGood, readLastGoodHeader } from './last-good-read.js';
import { createLastGoodWriter, REWRITE_SPACING, rewriteDelay } from './last-good-writer.js';
import { fixtureRules } from './rules-fixture.test-support.js';

const dir = mkdtempSync(join(tmpdir(), 'ipgate-last-good-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `copy-${++n}`);
const LOCATION = 'sqlite:/srv/ipgate-data/ipgate.db';

/** Rules with two tenants (the second with a key), one API and an expiring entry. */
function rules(version = 5): RulesChunk {
  const base = fixtureRules({
    version,
    tenantEntries: [
      { value: '203.0.113.0/24', name: 'office' },
      { value: '198.51.100.7', expiresAt: new Date('2099-01-01T00:00:00Z') },
    ],
    apiEntries: [{ value: '192.0.2.0/24' }],
    keys: [
      { secret: 'ipg_live_one', ipRestrictionEnabled: true },
      { secret: 'ipg_live_two', tenantId: 'ten_2' },
    ],
    keyIps: [{ value: '203.0.113.9' }],
    keyDomains: [{ value: 'app.example.com' }],
  });
  return {
    ...base,
    tenants: [...base.tenants, { tenant: { id: 'ten_2', ipMode: 'off' }, entries: [] }],
  };
}

async function writeFull(path: string, chunk: RulesChunk, storeId = 'sto_a'): Promise<void> {
  const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0 });
  const full = writer.beginFull();
  full.add({ ...chunk, apis: [] });
  full.add({ ...chunk, tenants: [], keys: [] });
  full.finish(chunk.version, storeId);
  await writer.close();
  expect(writer.stats.writes).toBe(1);
}

async function readBack(
  path: string,
  location = LOCATION,
): Promise<{ header: LastGoodHeader; chunks: RulesChunk[] }> {
  const chunks: RulesChunk[] = [];
  const header = await readLastGood(path, { storeLocation: location }, (c) => chunks.push(c));
  return { header, chunks };
}

function merged(chunks: readonly RulesChunk[], version: number): RulesChunk {
  return {
    version,
    tenants: chunks.flatMap((c) => c.tenants),
    apis: chunks.flatMap((c) => c.apis),
    keys: chunks.flatMap((c) => c.keys),
  };
}

/** What a snapshot decides, in a form to compare: every unit's compiled answer to probe addresses. */
function decisions(chunk: RulesChunk): unknown {
  const snapshot = compileAll(chunk, Date.parse('2030-01-01T00:00:00Z')).snapshot;
  const probes = ['203.0.113.5', '198.51.100.7', '192.0.2.1', '203.0.113.9', '10.0.0.1'];
  return {
    version: snapshot.version,
    tenants: [...snapshot.tenants.values()]
      .map((t) => [t.id, t.restriction.mode, probes.map((p) => t.restriction.list.has(p))])
      .sort(),
    apis: [...snapshot.apis.values()].map((a) => [a.id, probes.map((p) => a.allowlist.has(p))]).sort(),
    keys: [...snapshot.keysById.values()]
      .map((k) => [
        k.id,
        k.tenantId,
        k.secretHash,
        k.restrictions.ips.enabled,
        probes.map((p) => k.restrictions.ips.list.has(p)),
      ])
      .sort(),
  };
}

describe('last good rules on disk', () => {
  it('reads back what was written: same units, same decisions, version and store in the header', async () => {
    const path = freshPath();
    const chunk = rules();
    await writeFull(path, chunk);
    const { header, chunks } = await readBack(path);
    expect(header).toMatchObject({
      version: 5,
      storeId: 'sto_a',
      storeLocation: LOCATION,
      units: 5,
      formatVersion: 1,
    });
    const back = merged(chunks, header.version);
    expect(back.tenants).toEqual(chunk.tenants);
    expect(back.apis).toEqual(chunk.apis);
    expect(back.keys).toEqual(chunk.keys);
    // Expiry comes back as a Date, so the compiled copy expires the entry as the store's would.
    expect(back.tenants[0]?.entries[1]?.expiresAt).toEqual(new Date('2099-01-01T00:00:00Z'));
    expect(decisions(back)).toEqual(decisions(chunk));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('rewrites only the changed units: replaced, added, deleted (a deleted tenant takes its keys)', async () => {
    const path = freshPath();
    await writeFull(path, rules(5));
    const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 10_000 });
    writer.adopt(await readLastGoodHeader(path));
    const before = rules(5);
    const newTenant: TenantRules = { tenant: { id: 'ten_3', ipMode: 'manual' }, entries: [] };
    const deltas: RulesDelta[] = [
      {
        version: 6,
        tenants: new Map<string, TenantRules>([
          ['ten_1', { ...before.tenants[0]!, entries: [before.tenants[0]!.entries[0]!] }],
          ['ten_3', newTenant],
        ]),
        apis: new Map([['api_1', null]]),
        keys: new Map(),
      },
      { version: 7, tenants: new Map([['ten_2', null]]), apis: new Map(), keys: new Map() },
    ];
    for (const d of deltas) writer.noteDelta(d);
    // Collected, not written yet: the delay has not passed.
    expect(writer.stats.writes).toBe(0);
    await writer.flush();
    expect(writer.stats.writes).toBe(1);
    const { header, chunks } = await readBack(path);
    const back = merged(chunks, header.version);
    expect(header.version).toBe(7);
    expect(back.tenants.map((t) => t.tenant.id).sort()).toEqual(['ten_1', 'ten_3']);
    expect(back.tenants.find((t) => t.tenant.id === 'ten_1')?.entries.map((e) => e.value)).toEqual([
      '203.0.113.0/24',
    ]);
    expect(back.apis).toEqual([]);
    expect(back.keys.map((k) => k.key.id)).toEqual(['key_1']);
    expect(writer.needsFull).toBe(false);
  });

  it('a restart that loads what the copy holds already does not rewrite it', async () => {
    const path = freshPath();
    await writeFull(path, rules(5));
    const before = statSync(path).mtimeMs;
    const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0 });
    const full = writer.beginFull();
    // In the order writeFull handed them over: the same bytes.
    full.add({ ...rules(5), apis: [] });
    full.add({ ...rules(5), tenants: [], keys: [] });
    full.finish(5, 'sto_a');
    await writer.close();
    expect(writer.stats).toMatchObject({ writes: 0, version: 5 });
    expect(statSync(path).mtimeMs).toBe(before);
  });

  it('a storm of changes within the delay is one rewrite', async () => {
    const path = freshPath();
    await writeFull(path, rules(5));
    const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 50 });
    writer.adopt(await readLastGoodHeader(path));
    for (let v = 6; v < 206; v++) {
      writer.noteDelta({
        version: v,
        tenants: new Map([[`ten_s${v}`, { tenant: { id: `ten_s${v}`, ipMode: 'manual' }, entries: [] }]]),
        apis: new Map(),
        keys: new Map(),
      });
    }
    await new Promise((r) => setTimeout(r, 150));
    await writer.close();
    expect(writer.stats.writes).toBe(1);
    expect((await readLastGoodHeader(path)).units).toBe(205);
  });

  it('a slow rewrite spaces the next one out, so a large copy costs a bounded share of the node', () => {
    // Fast rewrites: the collecting delay alone.
    expect(rewriteDelay({ delayMs: 2000, lastWriteMs: 5, lastRewriteEnd: 10_000, now: 10_001 })).toBe(2000);
    // A rewrite that took 400 ms: the next starts REWRITE_SPACING × 400 ms after it ended, not sooner.
    expect(rewriteDelay({ delayMs: 2000, lastWriteMs: 400, lastRewriteEnd: 10_000, now: 11_000 })).toBe(
      10_000 + REWRITE_SPACING * 400 - 11_000,
    );
    // Long after it: the collecting delay again.
    expect(rewriteDelay({ delayMs: 2000, lastWriteMs: 400, lastRewriteEnd: 0, now: 60_000 })).toBe(2000);
    expect(rewriteDelay({ delayMs: 0, lastWriteMs: undefined, lastRewriteEnd: 0, now: 5 })).toBe(0);
  });

  it('a rewrite of a copy larger than one read copies every other line byte for byte', async () => {
    // 3,000 tenants of 40 entries: ~4 MB, read in 1 MB parts, so lines cross part boundaries.
    const tenants: TenantRules[] = [];
    for (let t = 0; t < 3000; t++) {
      const entries = [];
      for (let e = 0; e < 40; e++)
        entries.push({
          id: `ent_${t}_${e}`,
          name: `büro ${t}/${e} — 東京`,
          type: 'ip' as const,
          value: `10.${t >> 8}.${t & 255}.${e}`,
          expiresAt: null,
        });
      tenants.push({ tenant: { id: `ten_big${t}`, ipMode: 'manual' }, entries } as TenantRules);
    }
    const path = freshPath();
    await writeFull(path, { version: 5, tenants, apis: [], keys: [] });
    const before = readFileSync(path).subarray(HEADER_BYTES).toString('utf8').split('\n');
    expect(statSync(path).size).toBeGreaterThan(3 * (1 << 20));
    const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0 });
    writer.adopt(await readLastGoodHeader(path));
    const changed: TenantRules = { tenant: { id: 'ten_big1500', ipMode: 'off' }, entries: [] } as TenantRules;
    writer.noteDelta({
      version: 6,
      tenants: new Map<string, TenantRules | null>([
        ['ten_big1500', changed],
        ['ten_big7', null],
      ]),
      apis: new Map(),
      keys: new Map(),
    });
    await writer.close();
    expect(writer.stats.failures).toBe(0);
    const after = readFileSync(path).subarray(HEADER_BYTES).toString('utf8').split('\n');
    const expected = before.filter((l) => !l.startsWith('t ten_big1500 ') && !l.startsWith('t ten_big7 '));
    // Every untouched line as it was, in its order; the changed tenant at the end; the deleted gone.
    expect(after.slice(0, expected.length - 1)).toEqual(expected.slice(0, -1));
    expect(after.at(-2)).toBe(`t ten_big1500 ${JSON.stringify(changed)}`);
    const { header, chunks } = await readBack(path);
    expect(header.units).toBe(2999);
    expect(merged(chunks, 6).tenants.find((t) => t.tenant.id === 'ten_big1500')?.tenant.ipMode).toBe('off');
  });

  it('rewrites of the copy a writer wrote itself stay whole and readable, one after another', async () => {
    const path = freshPath();
    const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0 });
    const full = writer.beginFull();
    full.add(rules(5));
    full.finish(5, 'sto_a');
    await writer.flush();
    for (let v = 6; v < 9; v++) {
      writer.noteDelta({
        version: v,
        tenants: new Map([[`ten_n${v}`, { tenant: { id: `ten_n${v}`, ipMode: 'manual' }, entries: [] }]]),
        apis: new Map(),
        keys: new Map(),
      });
      await writer.flush();
    }
    await writer.close();
    expect(writer.stats).toMatchObject({ writes: 4, failures: 0, version: 8 });
    const { header, chunks } = await readBack(path);
    expect(header.version).toBe(8);
    expect(merged(chunks, 8).tenants.map((t) => t.tenant.id)).toEqual([
      'ten_1',
      'ten_2',
      'ten_n6',
      'ten_n7',
      'ten_n8',
    ]);
  });

  it('a full copy that lags the load makes the load wait, instead of holding the copy in memory', async () => {
    const path = freshPath();
    const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0 });
    const full = writer.beginFull();
    const tenant = (t: number): TenantRules =>
      ({
        tenant: { id: `ten_w${t}`, ipMode: 'manual' },
        entries: Array.from({ length: 100 }, (_, e) => ({
          id: `ent_${t}_${e}`,
          name: 'x'.repeat(60),
          type: 'ip' as const,
          value: `10.0.${t & 255}.${e}`,
          expiresAt: null,
        })),
      }) as TenantRules;
    // A small part queues little: nothing to wait for.
    expect(full.add({ version: 9, tenants: [tenant(0)], apis: [], keys: [] })).toBeUndefined();
    // ~12 MB in one part: more than may wait in memory, so the caller is asked to wait.
    const big = Array.from({ length: 1000 }, (_, t) => tenant(t + 1));
    const waited = full.add({ version: 9, tenants: big, apis: [], keys: [] });
    expect(waited).toBeInstanceOf(Promise);
    await waited;
    full.finish(9, 'sto_a');
    await writer.close();
    const { header } = await readBack(path);
    expect(header.units).toBe(1001);
  });

  it('a copy changed behind the writer is checked, even at its size and modification time', async () => {
    const path = freshPath();
    // Every write compacts (the base is read and copied), as one does once the journal is long.
    const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0, journalShare: 0 });
    const full = writer.beginFull();
    full.add(rules(5));
    full.finish(5, 'sto_a');
    await writer.flush();
    // One byte of the body flipped in place; the modification time set back as it was.
    const { atime, mtime } = statSync(path);
    const bytes = readFileSync(path);
    const at = bytes.indexOf('203.0.113.0', HEADER_BYTES);
    bytes[at] = '7'.charCodeAt(0);
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(path, bytes);
    utimesSync(path, atime, mtime);
    writer.noteDelta({ version: 6, tenants: new Map([['ten_2', null]]), apis: new Map(), keys: new Map() });
    await writer.close();
    expect(writer.stats.failures).toBe(1);
    expect(writer.needsFull).toBe(true);
  });

  it('a rewrite with no copy on disk asks for a full load instead', async () => {
    const path = freshPath();
    const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0 });
    writer.adopt({ storeId: 'sto_a', version: 1 } as LastGoodHeader);
    writer.noteDelta({ version: 2, tenants: new Map([['ten_1', null]]), apis: new Map(), keys: new Map() });
    await writer.close();
    expect(writer.needsFull).toBe(true);
    expect(writer.stats.writes).toBe(0);
  });

  describe('refuses, as a whole and before handing over any unit,', () => {
    async function refusal(path: string, location = LOCATION): Promise<{ reason: string; chunks: number }> {
      let chunks = 0;
      try {
        await readLastGood(path, { storeLocation: location }, () => chunks++);
      } catch (e) {
        expect(e).toBeInstanceOf(LastGoodRefused);
        return { reason: (e as LastGoodRefused).reason, chunks };
      }
      throw new Error('the copy was accepted');
    }

    it('a missing copy', async () => {
      expect(await refusal(join(dir, 'nothing-here'))).toEqual({ reason: 'missing', chunks: 0 });
    });

    it('a truncated copy', async () => {
      const path = freshPath();
      await writeFull(path, rules());
      truncateSync(path, statSync(path).size - 10);
      expect(await refusal(path)).toEqual({ reason: 'corrupt', chunks: 0 });
      truncateSync(path, HEADER_BYTES - 1);
      expect(await refusal(path)).toEqual({ reason: 'corrupt', chunks: 0 });
    });

    it('a copy with a byte changed in its body', async () => {
      const path = freshPath();
      await writeFull(path, rules());
      const bytes = readFileSync(path);
      const at = HEADER_BYTES + 40;
      bytes[at] = (bytes[at] as number) ^ 0x01;
      writeFileSync(path, bytes);
      expect(await refusal(path)).toEqual({ reason: 'corrupt', chunks: 0 });
    });

    it("a copy made for another store's location", async () => {
      const path = freshPath();
      await writeFull(path, rules());
      expect(await refusal(path, 'postgres://db.other:5432/ipgate')).toEqual({
        reason: 'foreign',
        chunks: 0,
      });
    });

    it('a copy of another format version, or not a copy at all', async () => {
      const path = freshPath();
      await writeFull(path, rules());
      const bytes = readFileSync(path);
      const header = JSON.parse(bytes.subarray(0, HEADER_BYTES).toString()) as LastGoodHeader;
      const { sha256: _old, ...fields } = header;
      const bodySha = createHash('sha256').update(bytes.subarray(HEADER_BYTES)).digest('hex');
      writeFileSync(
        path,
        Buffer.concat([
          encodeHeader(sealHeader({ ...fields, formatVersion: 2 }, bodySha)),
          bytes.subarray(HEADER_BYTES),
        ]),
      );
      expect(await refusal(path)).toEqual({ reason: 'format', chunks: 0 });
      writeFileSync(path, `${JSON.stringify({ tenants: [] })}\n`.padEnd(2000, ' '));
      expect(await refusal(path)).toEqual({ reason: 'corrupt', chunks: 0 });
    });

    it('a copy whose checksum matches but a unit is malformed: nothing is swapped in', async () => {
      const path = freshPath();
      await writeFull(path, rules());
      const bytes = readFileSync(path);
      const header = JSON.parse(bytes.subarray(0, HEADER_BYTES).toString()) as LastGoodHeader;
      // A valid first line, then a key whose hash is a number: checksummed, so only parsing can tell.
      const body = Buffer.from(
        `${bytes.subarray(HEADER_BYTES).toString().split('\n')[0]}\nk key_9 ten_1 {"key":{"id":"key_9","tenantId":"ten_1","secretHash":7}}\n`,
      );
      const { sha256: _old, ...fields } = header;
      const sealed = sealHeader(
        { ...fields, bytes: body.length, units: 2 },
        createHash('sha256').update(body).digest('hex'),
      );
      writeFileSync(path, Buffer.concat([encodeHeader(sealed), body]));
      const compiled = new CompiledRules();
      const load = compiled.beginLoad(Date.now());
      await expect(readLastGood(path, { storeLocation: LOCATION }, (c) => load.add(c))).rejects.toMatchObject(
        {
          reason: 'corrupt',
        },
      );
      // The load was never finished: the rules in force are untouched (here: the empty snapshot).
      expect(compiled.snapshot.tenants.size).toBe(0);
    });

    it('any damage to a copy (property: truncation, flipped or inserted bytes) is refused or reads back equal', async () => {
      const path = freshPath();
      const chunk = rules();
      await writeFull(path, chunk);
      const good = readFileSync(path);
      const target = join(dir, 'mutated');
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(good.length - 1) }),
            fc.record({
              kind: fc.constant('flip' as const),
              at: fc.nat(good.length - 1),
              bit: fc.integer({ min: 0, max: 7 }),
            }),
            fc.record({
              kind: fc.constant('insert' as const),
              at: fc.nat(good.length),
              byte: fc.integer({ min: 0, max: 255 }),
            }),
          ),
          async (m) => {
            let bytes: Buffer;
            if (m.kind === 'truncate') bytes = good.subarray(0, m.at);
            else if (m.kind === 'flip') {
              bytes = Buffer.from(good);
              bytes[m.at] = (bytes[m.at] as number) ^ (1 << m.bit);
            } else bytes = Buffer.concat([good.subarray(0, m.at), Buffer.of(m.byte), good.subarray(m.at)]);
            writeFileSync(target, bytes);
            const chunks: RulesChunk[] = [];
            try {
              const header = await readLastGood(target, { storeLocation: LOCATION }, (c) => chunks.push(c));
              // Accepted: only when the damage changed nothing that matters (e.g. padding in the header).
              expect(decisions(merged(chunks, header.version))).toEqual(decisions(chunk));
            } catch (e) {
              expect(e).toBeInstanceOf(LastGoodRefused);
              expect(chunks).toEqual([]);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  it('keys survive with their secret hash (what requests are matched by)', async () => {
    const path = freshPath();
    await writeFull(path, rules());
    const { chunks } = await readBack(path);
    expect(merged(chunks, 5).keys.map((k) => k.key.secretHash)).toEqual([
      hashSecret('ipg_live_one'),
      hashSecret('ipg_live_two'),
    ]);
  });
});
