/**
 * The cost of a node's last good rules on disk (docs/architecture/storage.md#last-good-rules-on-disk), at
 * the platform's large size: 100,000 tenants of 10 entries (1,000,000 entries), a key per tenant with 2
 * IP and 1 domain rules, 100 APIs with 10 allowlist entries.
 *
 *   npm run build && node --expose-gc bench/last-good.bench.mjs              # 1,000,000 entries
 *   node --expose-gc bench/last-good.bench.mjs --tenants=20000 --storm=10    # 200,000 entries, storm of 10
 *
 * Measures wall and CPU time, in one process and run, on the built `apps/server/dist`:
 * - the full write (as a load from the store streams it), its size;
 * - one journal record after 1, 100 and 1,000 changed tenants, and the longest event-loop stall
 *   during it (what requests on the node would wait);
 * - a storm of 100 changes: one record per change, and coalesced (what a node does);
 * - one compaction (the copy rewritten with the changed units), which the journal makes rare;
 * - a start from the copy: verify + parse + compile, against compiling the same units from memory
 *   (the part of a load from the store that is not the store's own read).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const dist = new URL('../apps/server/dist/', import.meta.url);
const { createLastGoodWriter } = await import(new URL('snapshot/last-good-writer.js', dist).href);
const { readLastGood, readLastGoodHeader } = await import(new URL('snapshot/last-good-read.js', dist).href);
const { CompiledRules } = await import(new URL('snapshot/compiled-rules.js', dist).href);

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const TENANTS = Number(arg('tenants', '100000'));
const PER_CHUNK = 250;
const LOCATION = 'postgres://db:5432/ipgate';
const dir = mkdtempSync(join(tmpdir(), 'ipgate-last-good-bench-'));
const path = join(dir, 'last-good-rules');

const id = (prefix, n) => `${prefix}_${n.toString(32).padStart(26, '0')}`;
const ip = (n) => `${10 + ((n >>> 16) & 0x3f)}.${(n >>> 8) & 0xff}.${n & 0xff}.${(n * 7) & 0xff}`;

function tenantRules(t, generation = 0) {
  return {
    tenant: { id: id('ten', t), ipMode: 'manual' },
    entries: Array.from({ length: 10 }, (_, i) => ({
      id: id('ent', t * 10 + i + generation * 1e8),
      name: i === 0 ? 'office' : '',
      type: i % 3 === 0 ? 'range' : 'ip',
      value: i % 3 === 0 ? `${ip(t * 10 + i)}/32` : ip(t * 10 + i),
      expiresAt: i === 9 ? new Date('2099-01-01T00:00:00Z') : null,
    })),
  };
}

function keyRules(t) {
  return {
    key: {
      id: id('key', t),
      tenantId: id('ten', t),
      name: 'production',
      secretHash: (t * 2654435761).toString(16).padStart(64, '0').slice(-64),
      ipRestrictionEnabled: true,
      domainRestrictionEnabled: t % 2 === 0,
    },
    ipEntries: [0, 1].map((i) => ({
      id: id('kie', t * 2 + i),
      name: '',
      type: 'ip',
      value: ip(t * 2 + i),
      expiresAt: null,
    })),
    domains: [{ id: id('kde', t), name: '', value: `app${t}.example.com` }],
  };
}

function apiRules(a) {
  return {
    api: {
      id: id('api', a),
      name: `api ${a}`,
      host: `api${a}.example.com`,
      pathPrefix: '/',
      stripPrefix: false,
      upstreamUrl: `http://10.0.0.${a % 250}:8080`,
      authHeader: 'authorization',
    },
    entries: Array.from({ length: 10 }, (_, i) => ({
      id: id('aen', a * 10 + i),
      name: '',
      type: 'range',
      value: `${ip(a * 10 + i)}/24`,
      expiresAt: null,
    })),
  };
}

function* chunks(version) {
  for (let t = 0; t < TENANTS; t += PER_CHUNK) {
    const end = Math.min(TENANTS, t + PER_CHUNK);
    const tenants = [];
    const keys = [];
    for (let i = t; i < end; i++) {
      tenants.push(tenantRules(i));
      keys.push(keyRules(i));
    }
    yield { version, tenants, apis: [], keys };
  }
  yield { version, tenants: [], apis: Array.from({ length: 100 }, (_, a) => apiRules(a)), keys: [] };
}

const gc = () => globalThis.gc?.();
const fmt = (ms) => `${ms.toFixed(0)} ms`;
const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;

/** Wall time, CPU time of the process (its threads included: file writes and hashing run on libuv's), stall. */
async function timed(fn) {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await fn();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  loop.disable();
  return { ms, cpuMs: (used.user + used.system) / 1000, stallMs: loop.max / 1e6, result };
}

const rows = [];
console.log(
  `last good rules: ${TENANTS.toLocaleString('en')} tenants, ${(TENANTS * 10).toLocaleString('en')} entries; node ${process.version}`,
);

// 1. Full write, as a load from the store streams it (the chunks are made here, not read from a store).
gc();
const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 60_000 });
const full = await timed(async () => {
  const copy = writer.beginFull();
  for (const chunk of chunks(1)) copy.add(chunk);
  copy.finish(1, 'sto_bench');
  await writer.flush();
});
const header = await readLastGoodHeader(path);
rows.push([
  'full write (stream + fsync + rename)',
  fmt(full.ms),
  fmt(full.cpuMs),
  mb(header.bytes + 1024),
  `${full.stallMs.toFixed(0)} ms`,
]);

// 2. Changes of n tenants (one entry each) collected within one delay: one journal record (what a
// write is, until the journal has grown to half the copy), and one compaction (a writer that compacts
// at every write: the whole copy rewritten with the changed units).
let version = 1;
const recordMs = {};
const changedTenants = (n) => {
  const tenants = new Map();
  for (let i = 0; i < n; i++) {
    const t = (i * 97) % TENANTS;
    tenants.set(id('ten', t), tenantRules(t, version));
  }
  return tenants;
};
for (const n of [1, 100, 1000]) {
  version++;
  writer.noteDelta({ version, tenants: changedTenants(n), apis: new Map(), keys: new Map() });
  const r = await timed(() => writer.flush());
  recordMs[n] = r.cpuMs;
  rows.push([
    `one journal record after ${n.toLocaleString('en')} changed tenant${n === 1 ? '' : 's'}`,
    fmt(r.ms),
    fmt(r.cpuMs),
    mb(writer.stats.lastBytes),
    `${r.stallMs.toFixed(0)} ms`,
  ]);
}

// 3. A storm of changes (each of one tenant): one journal record per change, and coalesced.
const storm = Number(arg('storm', '100'));
const perChange = await timed(async () => {
  for (let i = 0; i < storm; i++) {
    version++;
    writer.noteDelta({
      version,
      tenants: new Map([[id('ten', i), tenantRules(i, version)]]),
      apis: new Map(),
      keys: new Map(),
    });
    await writer.flush();
  }
});
rows.push([
  `storm of ${storm} changes, one journal record per change`,
  fmt(perChange.ms),
  fmt(perChange.cpuMs),
  '',
  `${perChange.stallMs.toFixed(0)} ms`,
]);
const coalesced = await timed(async () => {
  for (let i = 0; i < storm; i++) {
    version++;
    writer.noteDelta({
      version,
      tenants: new Map([[id('ten', i), tenantRules(i, version)]]),
      apis: new Map(),
      keys: new Map(),
    });
  }
  await writer.flush();
});
rows.push([
  `storm of ${storm} changes, coalesced (what ipgate does)`,
  fmt(coalesced.ms),
  fmt(coalesced.cpuMs),
  '',
  `${coalesced.stallMs.toFixed(0)} ms`,
]);
await writer.close();

// Compactions: a writer that compacts at every write. Its first one also checks the old copy's
// checksum (it did not write that file); the ones after it trust their own copy, as a node does.
const compacting = createLastGoodWriter({
  path,
  storeLocation: LOCATION,
  delayMs: 60_000,
  journalShare: 0,
  compactionSpacing: 0,
});
compacting.adopt({ storeId: 'sto_bench', version });
const compactionMs = {};
for (const n of [1, 1, 1000]) {
  version++;
  compacting.noteDelta({ version, tenants: changedTenants(n), apis: new Map(), keys: new Map() });
  const r = await timed(() => compacting.flush());
  compactionMs[n] = r.cpuMs;
  rows.push([
    `one compaction after ${n.toLocaleString('en')} changed tenant${n === 1 ? '' : 's'}${compacting.stats.compactions === 1 ? ' (first: old copy checked)' : ''}`,
    fmt(r.ms),
    fmt(r.cpuMs),
    mb(compacting.stats.lastBytes),
    `${r.stallMs.toFixed(0)} ms`,
  ]);
}
await compacting.close();

// 4. A start from the copy, against compiling the same units from memory.
gc();
const fromCopy = await timed(async () => {
  const rules = new CompiledRules();
  const load = rules.beginLoad(Date.now());
  const h = await readLastGood(path, { storeLocation: LOCATION }, (c) => load.add(c));
  load.finish(h.version);
  return rules.snapshot.tenants.size;
});
gc();
const fromMemory = await timed(async () => {
  const rules = new CompiledRules();
  const load = rules.beginLoad(Date.now());
  for (const chunk of chunks(1)) load.add(chunk);
  load.finish(1);
  return rules.snapshot.tenants.size;
});
rows.push([
  'start from the copy: verify + parse + compile',
  fmt(fromCopy.ms),
  fmt(fromCopy.cpuMs),
  `${fromCopy.result.toLocaleString('en')} tenants`,
  `${fromCopy.stallMs.toFixed(0)} ms`,
]);
rows.push([
  'compile the same units from memory (no I/O)',
  fmt(fromMemory.ms),
  fmt(fromMemory.cpuMs),
  `${fromMemory.result.toLocaleString('en')} tenants`,
  `${fromMemory.stallMs.toFixed(0)} ms`,
]);

console.log('\n| what | time | CPU time | size | longest event-loop stall |\n|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(
  `\nratios (CPU time): one compaction ÷ one journal record, 1 changed tenant: ${(compactionMs[1] / recordMs[1]).toFixed(0)}×;`,
);
console.log(
  `one record per change ÷ coalesced, storm of ${storm}: ${(perChange.cpuMs / coalesced.cpuMs).toFixed(1)}×;`,
);
console.log(`start from copy ÷ compile from memory: ${(fromCopy.cpuMs / fromMemory.cpuMs).toFixed(2)}×`);
rmSync(dir, { recursive: true, force: true });
