/**
 * What the storm's writes cost on the store's side of the machine (core 0 of the storm's setup, see
 * bench/README.md "The storm's setup"): the driver's CPU per change (the store's client code) and
 * the CPU per change of the PostgreSQL backends serving it, read from /proc, for one or more
 * checkouts in alternating rounds (old, new, old, new… in one sitting, so a loaded machine's drift
 * falls on both). With `--node-b`, a node of this checkout follows the storm as node B does, and
 * its own CPU and its backends' CPU per change are reported too: what B's refreshes cost the store.
 *
 *   node bench/scale/storm-write-cost.mjs --label=storm13 --size=100000 \
 *     --roots=/path/to/checkout-before,/path/to/checkout-after [--kind=postgres] [--rate=200] \
 *     [--seconds=10] [--rounds=3] [--node-b] [--driver-flags=--cpu-prof,--cpu-prof-dir=/tmp/prof]
 *
 * The store is the one `scale.bench.mjs --reuse --label=<label> --sizes=<size>` seeded (it must be
 * seeded already). Each round: a 2 s storm to open the driver's pool, then the measured storm; the
 * driver removes what it added when it closes. PostgreSQL's own processes (WAL writer, checkpointer,
 * autovacuum) are read too, but other sessions' work on the same server lands there as well.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { treeCpuSeconds } from '../gateway-cpu.mjs';
import { forkStormDriver } from './driver-process.mjs';
import { startNode } from './nodes.mjs';
import { namedConnection } from './pinning.mjs';
import { isSeeded, seedStore } from './seed.mjs';
import { freshStore, namedStore, openDatabase } from './stores.mjs';

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const thisRoot = here('../..');
const label = arg('label', 'after');
const size = Number(arg('size', 100000));
const kind = arg('kind', 'postgres');
const roots = arg('roots', thisRoot).split(',');
const RATE = Number(arg('rate', 200));
const SECONDS = Number(arg('seconds', 10));
const ROUNDS = Number(arg('rounds', 3));
const NODE_B = process.argv.includes('--node-b');
// Node flags for the driver, comma-separated: `--driver-flags=--cpu-prof,--cpu-prof-dir=/tmp/prof`.
const DRIVER_FLAGS = arg('driver-flags', '').split(',').filter(Boolean);
const DRIVER_CONNECTION = 'ipgate-bench-storm-cost';
const B_CONNECTION = 'ipgate-bench-storm-cost-b';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (n, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const log = (...parts) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds of one process (no children), 0 when it is gone. */
function processCpu(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** PostgreSQL backends by `application_name`, and the server's own processes (no client). */
async function backends(client) {
  const { rows } = await client.query(
    'select pid, application_name as name, backend_type as type from pg_stat_activity',
  );
  return {
    of: (name) => rows.filter((r) => r.name === name).map((r) => r.pid),
    server: rows.filter((r) => r.type !== 'client backend').map((r) => r.pid),
  };
}

/** The CPU seconds of `pids` now, keyed by pid. */
const cpuOf = (pids) => new Map(pids.map((pid) => [pid, processCpu(pid)]));

/** CPU spent since `before` by the processes in `after` (new ones count from zero). */
function spent(before, after) {
  let total = 0;
  for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
  return total;
}

function startDriver(root, store, tenantIds, serial) {
  const { child, ask } = forkStormDriver(DRIVER_FLAGS);
  return {
    pid: child.pid,
    ready: ask(
      { type: 'init', root, store: namedStore(store, DRIVER_CONNECTION), tenantIds, serial },
      'ready',
    ),
    start: (rate) => ask({ type: 'start', rate }, 'started'),
    stop: () => ask({ type: 'stop' }, 'stopped'),
    close: () => ask({ type: 'close' }, 'closed'),
  };
}

/** One measured storm of `root`'s store code: CPU per change of the driver, its backends, the rest. */
async function measure(root, store, seeded, client, b, serial) {
  const driver = startDriver(root, store, seeded.writableTenantIds, serial);
  await driver.ready;
  try {
    await driver.start(RATE);
    await sleep(2000);
    const warm = await driver.stop();
    if (warm.failed > 0) throw new Error(`the warm-up storm failed: ${warm.firstError}`);
    await sleep(500);
    const pidsBefore = await backends(client);
    const before = {
      driver: processCpu(driver.pid),
      backends: cpuOf(pidsBefore.of(DRIVER_CONNECTION)),
      server: cpuOf(pidsBefore.server),
      b: b ? treeCpuSeconds(b.child.pid) : 0,
      bBackends: cpuOf(pidsBefore.of(B_CONNECTION)),
    };
    await driver.start(RATE);
    await sleep(SECONDS * 1000);
    const pidsAfter = await backends(client);
    const after = {
      driver: processCpu(driver.pid),
      backends: cpuOf(pidsAfter.of(DRIVER_CONNECTION)),
      server: cpuOf(pidsAfter.server),
      b: b ? treeCpuSeconds(b.child.pid) : 0,
      bBackends: cpuOf(pidsAfter.of(B_CONNECTION)),
    };
    const result = await driver.stop();
    if (result.failed > 0) throw new Error(`${result.failed} changes failed: ${result.firstError}`);
    // The changes made in the window read (those still in flight at its end are few: ≤ 16 of ~2,000).
    const n = Math.max(1, result.made);
    const ms = (seconds) => round((seconds * 1000) / n);
    return {
      root,
      changesPerS: result.ratePerS,
      made: result.made,
      maxChangeMs: result.maxChangeMs,
      driverMsPerChange: ms(after.driver - before.driver),
      backendsMsPerChange: ms(spent(before.backends, after.backends)),
      backends: pidsAfter.of(DRIVER_CONNECTION).length,
      serverProcessesMsPerChange: ms(spent(before.server, after.server)),
      ...(b
        ? {
            nodeBMsPerChange: ms(after.b - before.b),
            nodeBBackendsMsPerChange: ms(spent(before.bBackends, after.bBackends)),
          }
        : {}),
    };
  } finally {
    await driver.close();
  }
}

const store = await freshStore(kind, `${label}_${size}`, { reuse: true });
const { db } = await openDatabase(thisRoot, store);
if (!(await isSeeded(db)))
  throw new Error(`${kind} store ${label}_${size} is not seeded: run scale.bench.mjs --reuse first`);
const seeded = await seedStore(db, kind, { entries: size, write: false });
await db.destroy();
const pg = (await import('pg')).default;
const client = new pg.Client({ connectionString: store.connectionString });
await client.connect();
const b = NODE_B ? await startNode(thisRoot, namedConnection(store, B_CONNECTION)) : undefined;
const rows = [];
try {
  if (b) await sleep(5000);
  log(
    `storm write cost: ${kind} ${label}_${size}, ${RATE}/s for ${SECONDS} s, ${ROUNDS} rounds of ${roots.join(' | ')}`,
  );
  let serial = 2 * Math.floor((Date.now() / 1000) % 1_000_000);
  for (let r = 0; r < ROUNDS; r++) {
    for (const root of r % 2 === 0 ? roots : [...roots].reverse()) {
      const row = await measure(root, store, seeded, client, b, serial);
      serial += 100_000;
      log(JSON.stringify(row));
      rows.push(row);
    }
  }
} finally {
  await b?.stop();
  await client.end();
}
const keys = [
  'changesPerS',
  'driverMsPerChange',
  'backendsMsPerChange',
  'serverProcessesMsPerChange',
  ...(NODE_B ? ['nodeBMsPerChange', 'nodeBBackendsMsPerChange'] : []),
];
for (const root of roots) {
  const mine = rows.filter((r) => r.root === root);
  console.log(
    JSON.stringify({
      root,
      rounds: mine.length,
      ...Object.fromEntries(keys.map((k) => [k, median(mine.map((r) => r[k]))])),
    }),
  );
}
