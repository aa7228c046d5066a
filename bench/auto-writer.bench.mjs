/**
 * The `auto` mode's write path alone, in one process (bench/README.md#auto-review): a stream of new,
 * trusted addresses at a steady rate through `AutoReview.decide` and the process's writer
 * (`startAutoReview`: the store write, the snapshot refresh, the recompiled tenant), on SQLite, with
 * the real network data. Prints the CPU time this process spent per new address over the run, and
 * what the store and the engine did (change versions, refreshes, units compiled). No HTTP, no load
 * generator: on a busy machine a steadier figure than the gateway's requests/s.
 *
 *   npm run build && node bench/auto-writer.bench.mjs                 # 70 new addresses/s for 10 s
 *   node bench/auto-writer.bench.mjs --rate 200 --seconds 5
 *   node bench/auto-writer.bench.mjs --listed 20000                 # a tenant whose list holds 20,000 already
 *   node bench/auto-writer.bench.mjs --flush-ms 1000                # the writer's flush period (default: the build's)
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/auto-writer.bench.mjs   # where the time goes
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpAddress } from '@ipgate/core';
import { loadIpLocationData, openSqliteStore } from '@ipgate/server';
import { parseReviewSettings } from '../apps/server/dist/review/review-settings.js';
import { startAutoReview } from '../apps/server/dist/review/start-review.js';
import { createSnapshotEngine } from '../apps/server/dist/snapshot/snapshot-engine.js';
import { freshAddress } from './review-addresses.mjs';

function option(name, fallback, { min = Number.MIN_VALUE } = {}) {
  const i = process.argv.indexOf(name);
  if (i === -1) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n) || n < min)
    throw new Error(`${name} needs a number from ${min}, e.g. ${name} ${fallback}`);
  return n;
}
const rate = option('--rate', 70);
const seconds = option('--seconds', 10);
// Entries the tenant's list holds before the run (single addresses elsewhere): what grows with a
// list that `auto` has filled for a long time shows here.
const seeded = Math.trunc(option('--listed', 0, { min: 0 }));
// The writer's flush period (ms); the build's default when not given.
const flushMs = process.argv.includes('--flush-ms') ? option('--flush-ms', 250, { min: 0 }) : undefined;

// As bench/review.bench.mjs: listed ordinary networks, new addresses from the /48 of the IPv6 one.
const KNOWN = ['81.2.69.142', '85.214.132.117', '193.99.144.80', '2003:e1:1::1'];
const PREFIX48 = '2003:e1:1';
const KEYS = 50;

const dir = mkdtempSync(join(tmpdir(), 'ipgate-auto-writer-'));
const store = await openSqliteStore({ path: join(dir, 'ipgate.db') });
const actor = { actor: 'user:bench' };
const tenant = await store.createTenant({ name: 'bench', ipMode: 'auto', ipEntryLimit: 1_000_000 }, actor);
for (const value of KNOWN) await store.addTenantIpEntry(tenant.id, { value }, actor);
for (let i = 0; i < seeded; i += 1000) {
  const rows = [];
  for (let j = i; j < Math.min(seeded, i + 1000); j++) rows.push({ value: freshAddress('2a02:8100', j) });
  await store.importTenantIpEntries(tenant.id, { mode: 'merge', rows }, actor);
}
const keys = [];
for (let i = 0; i < KEYS; i++) keys.push((await store.createKey(tenant.id, { name: `k${i}` }, actor)).key.id);

const data = await loadIpLocationData();
const engine = createSnapshotEngine({ store });
await engine.refresh();
const { review } = startAutoReview({
  store,
  engine,
  // The highest burst limit: spread over 50 keys, every new address of a run is trusted and listed.
  settings: { review: parseReviewSettings('burstLimit=1000'), reviewData: undefined },
  networkFacts: data,
  flushMs,
});

let fresh = 0;
function next() {
  fresh++;
  return IpAddress.parse(freshAddress(PREFIX48, fresh));
}

const versionBefore = await store.currentVersion();
const statsBefore = { ...engine.stats };
let trusted = 0;
const cpu = process.cpuUsage();
const started = performance.now();
// CLOCK_MONOTONIC µs, the clock of a --cpu-prof profile's timestamps: the run's window in it.
const windowStartUs = Number(process.hrtime.bigint() / 1000n);
await new Promise((resolve) => {
  const tickMs = 10;
  let due = 0;
  const timer = setInterval(() => {
    const elapsed = performance.now() - started;
    if (elapsed >= seconds * 1000) {
      clearInterval(timer);
      resolve();
      return;
    }
    // Catch up to the rate, whatever the timer's lateness on a busy machine.
    const target = Math.floor((elapsed / 1000) * rate);
    for (; due < target; due++) {
      const compiled = engine.current.tenants.get(tenant.id);
      const a = review.decide(compiled, keys[due % KEYS], next());
      if (a.verdict === 'trusted') trusted++;
    }
  }, tickMs);
});
// Until every admitted address is written and this process's snapshot holds it.
const addresses = Array.from({ length: fresh }, (_, i) => {
  const n = i + 1;
  return freshAddress(PREFIX48, n);
});
const drainStart = performance.now();
while (addresses.some((a) => review.isAdmitting(tenant.id, IpAddress.parse(a).toString()))) {
  if (performance.now() - drainStart > 120_000) throw new Error('the writer did not drain within 2 minutes');
  await new Promise((r) => setTimeout(r, 20));
}
const used = process.cpuUsage(cpu);
const wallMs = performance.now() - started;
const versionAfter = await store.currentVersion();
const listed = engine.current.tenants.get(tenant.id).restriction.list.size;
const s = engine.stats;
console.log(
  JSON.stringify({
    rate,
    seconds,
    flushMs: flushMs ?? 'default',
    seeded,
    newAddresses: fresh,
    trusted,
    listed,
    cpuMsPerNewAddress: Number(((used.user + used.system) / 1000 / fresh).toFixed(3)),
    // Of which the kernel's (the WAL's writes, the commit's fsync).
    systemMsPerNewAddress: Number((used.system / 1000 / fresh).toFixed(3)),
    cpuShare: Number(((used.user + used.system) / 1000 / wallMs).toFixed(3)),
    changeVersions: versionAfter - versionBefore,
    refreshes: s.unitRefreshes - statsBefore.unitRefreshes,
    unitsCompiled: s.unitsCompiled - statsBefore.unitsCompiled,
    drainMs: Math.round(performance.now() - drainStart),
    profileWindowUs: [windowStartUs, Number(process.hrtime.bigint() / 1000n)],
  }),
);
engine.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
