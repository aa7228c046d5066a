/**
 * The impact-simulation benchmark (docs/architecture/pipeline.md#simulating-a-change): a window of
 * 1,000,000 recorded requests (plus 100,000 of another tenant) seeded through the store layer, on
 * SQLite and PostgreSQL; then a tenant-list simulation over that window, run as the management API
 * runs it (keyset pages) and, for comparison in the same run, on the whole window read at once.
 * Each run is its own process: wall time, CPU time and the peak memory the run added.
 *
 *   npm run bench:simulation                                  # both stores, 1,000,000 requests
 *   npm run bench:simulation -- --stores=sqlite --requests=100000 --rounds=1
 *
 * Needs a build (the npm script runs it) and PostgreSQL at IPGATE_BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test) for the PostgreSQL rows.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { runProcess } from './gateway-processes.mjs';
import { freshStore, openStore } from './scale/stores.mjs';
import { seedTraffic } from './simulation/traffic.mjs';

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const root = fileURLToPath(new URL('..', import.meta.url));
const stores = arg('stores', 'sqlite,postgres').split(',');
const REQUESTS = Number(arg('requests', 1_000_000));
const ROUNDS = Number(arg('rounds', 2));
const log = (line) => process.stderr.write(`${line}\n`);
// The best of the rounds: on a shared machine the slower rounds measure the neighbours.
const best = (xs) => Math.min(...xs);

log(`simulation benchmark: ${REQUESTS} requests, ${os.cpus().length} CPUs, node ${process.version}`);
log(
  `load before: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const rows = [];
for (const kind of stores) {
  const store = await freshStore(kind, 'sim');
  try {
    const s = await openStore(root, store);
    log(`${kind}: seeding`);
    const seeded = await seedTraffic(s, { requests: REQUESTS, log });
    await s.close();
    log(`${kind}: ${seeded.total} records in ${seeded.seedSeconds.toFixed(1)} s`);
    const runs = { paged: [], whole: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating, so a change of load during the run falls on both.
      for (const variant of round % 2 === 0 ? ['paged', 'whole'] : ['whole', 'paged']) {
        const out = await runProcess(process.execPath, [
          '--expose-gc',
          fileURLToPath(new URL('simulation/run.mjs', import.meta.url)),
          JSON.stringify({ root, store, tenantId: seeded.tenantId, variant }),
        ]);
        const r = JSON.parse(out.trim().split('\n').pop());
        log(`  ${kind} ${variant}: ${JSON.stringify(r)}`);
        runs[variant].push(r);
      }
    }
    for (const variant of ['paged', 'whole']) {
      const rs = runs[variant];
      rows.push({
        store: kind,
        variant,
        seeded: seeded.total,
        seedPerSecond: seeded.total / seeded.seedSeconds,
        seconds: best(rs.map((r) => r.seconds)),
        cpuSeconds: best(rs.map((r) => r.cpuSeconds)),
        peakAddedMb: best(rs.map((r) => r.peakAddedMb)),
        examined: rs[0].examined,
        flips: `${rs[0].allowedToDenied} / ${rs[0].deniedToAllowed}`,
        addresses: rs[0].addresses.join(' / '),
        unmatched: rs[0].unmatched,
      });
    }
  } finally {
    await store.drop();
  }
}
log(
  `load after: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

const fmt = (n, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(
  '| store | how | requests examined | wall s | CPU s | requests/s | peak memory added MB | allowed→denied / denied→allowed | addresses | unmatched entries |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.store} | ${r.variant === 'paged' ? 'keyset pages of 5,000' : 'whole window at once'} | ${r.examined.toLocaleString('en-US')} | ${fmt(r.seconds, 2)} | ${fmt(r.cpuSeconds, 2)} | ${fmt(r.examined / r.seconds, 0)} | ${fmt(r.peakAddedMb)} | ${r.flips} | ${r.addresses} | ${r.unmatched} |`,
  );
}
console.log('');
console.log('| store | paged ÷ whole: wall time | CPU time | peak memory added | seeding (appendRequests) |');
console.log('|---|---|---|---|---|');
for (const kind of stores) {
  const p = rows.find((r) => r.store === kind && r.variant === 'paged');
  const w = rows.find((r) => r.store === kind && r.variant === 'whole');
  if (p === undefined || w === undefined) continue;
  console.log(
    `| ${kind} | ${fmt(p.seconds / w.seconds, 2)}× | ${fmt(p.cpuSeconds / w.cpuSeconds, 2)}× | ${fmt(p.peakAddedMb / w.peakAddedMb, 3)}× | ${fmt(p.seedPerSecond, 0)} records/s |`,
  );
}
