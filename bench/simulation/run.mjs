/**
 * One simulation of the benchmark in a process of its own, so its peak memory is its own: opens the
 * seeded store, compiles the rules, runs the simulation and prints one JSON line — wall time, CPU
 * time, the peak resident memory it added, and the figures the simulation answered.
 *
 *   node bench/simulation/run.mjs '<json: root, store, tenantId, variant>'
 *
 * variant `paged`: the simulator as the management API runs it (keyset pages of 5,000);
 * variant `whole`: the same decisions on the whole window read in one query, every row in memory
 * before the first decision — the alternative the paging exists to avoid.
 */
import { openDatabase, openStore, serverModule } from '../scale/stores.mjs';
import { WINDOW } from './traffic.mjs';

const options = JSON.parse(process.argv[2]);
const store = await openStore(options.root, options.store);
const { createSnapshotEngine } = await serverModule(options.root, 'snapshot/snapshot-engine.js');
const { createSimulator } = await serverModule(options.root, 'simulation/simulator.js');
const engine = createSnapshotEngine({ store });
await engine.refresh();
// `whole`: one query for the whole window, every row in memory before the first decision.
const scanning =
  options.variant === 'whole'
    ? { ...store, scanRequests: (filter, onBatch) => wholeWindow(filter, onBatch) }
    : store;
const simulator = createSimulator(scanning, () => engine.current);
// The draft: ten networks removed (their traffic flips to denied), one outside network added.
const entries = await store.listTenantIpEntries(options.tenantId);
const draft = {
  remove: entries.slice(0, 10).map((e) => e.id),
  add: [{ value: '172.16.0.0/20' }, { value: '192.0.2.0/24' }],
};
global.gc?.();
const rssBefore = process.memoryUsage().rss;
const cpuBefore = process.cpuUsage();
const started = performance.now();
const result = await simulator.run({ kind: 'tenant', tenantId: options.tenantId }, draft, {
  since: WINDOW.since,
  until: WINDOW.until,
});
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const peakRss = process.resourceUsage().maxRSS * 1024;
console.log(
  JSON.stringify({
    variant: options.variant,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssBeforeMb: rssBefore / 2 ** 20,
    peakAddedMb: Math.max(0, peakRss - rssBefore) / 2 ** 20,
    examined: result.requests.examined,
    allowedToDenied: result.allowedToDenied.requests,
    deniedToAllowed: result.deniedToAllowed.requests,
    addresses: [result.allowedToDenied.addresses, result.deniedToAllowed.addresses],
    unmatched: result.unmatchedEntries.length,
    truncated: result.truncated,
  }),
);
await engine.close();
await store.close();

async function wholeWindow(filter, onBatch) {
  const { db } = await openDatabase(options.root, options.store);
  const { selectRequests } = await serverModule(options.root, 'store/request-scan.js');
  try {
    const rows = await selectRequests(
      db,
      { tenantId: filter.tenantId },
      filter.since.toISOString(),
      undefined,
      filter.until.toISOString(),
    );
    await onBatch(rows);
    return { rows: rows.length, truncated: false };
  } finally {
    await db.destroy();
  }
}
