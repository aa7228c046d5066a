/**
 * What one rules change costs node B, over a steady storm: B's CPU (its process tree, from /proc)
 * while `scale/storm-driver.mjs` writes `--rate` changes/s through the store layer, less B's idle CPU
 * over as long, per change. Unlike the `changeCost` phase of `scale.bench.mjs` (10 s right after B
 * starts), the storm first runs `--warm` seconds unmeasured, so B's first rewrite of its last good
 * copy and its JIT warm-up fall outside the `--window`; and builds can alternate in one sitting
 * (`--roots=a,b`: each round starts a fresh B of each build in turn), which is how old and new are
 * compared on a shared machine. CPU time, not wall time: the figure does not depend on the load.
 *
 *   node bench/scale/change-cost.mjs --store=postgres --size=100000 --label=mine --reuse-only
 *   node bench/scale/change-cost.mjs --store=sqlite --roots=/path/to/before,$PWD --rounds=3
 *   node bench/scale/change-cost.mjs --store=postgres --node-args=--cpu-prof,--cpu-prof-dir=/tmp/prof
 *   node bench/scale/change-cost.mjs --warm=0 --window=15 --serve-args=--last-good-file,/tmp/b/last-good-rules
 *
 * The store is the one `scale.bench.mjs --reuse --label=<label> --sizes=<size>` seeded (seeded here
 * when missing). Prints one JSON line per node run and a summary per build.
 */
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
const roots = arg('roots', here('../..')).split(',');
const kind = arg('store', 'postgres');
const size = Number(arg('size', 100_000));
const label = arg('label', 'changecost');
const RATE = Number(arg('rate', 200));
const WARM_S = Number(arg('warm', 15));
const WINDOW_S = Number(arg('window', 30));
const ROUNDS = Number(arg('rounds', 1));
const nodeArgs = arg('node-args', '').split(',').filter(Boolean);
// Flags for `ipgate serve` (e.g. --last-good-file,/tmp/x: a node's files apart from another run's).
const serveArgs = arg('serve-args', '').split(',').filter(Boolean);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (n, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
const log = (...parts) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);

function driver(root, store, tenantIds) {
  const { exited, ask: send } = forkStormDriver();
  return {
    init: () =>
      send(
        {
          type: 'init',
          root,
          store: namedStore(store, 'ipgate-bench-storm'),
          tenantIds,
          serial: 2 * Math.floor((Date.now() / 1000) % 1_000_000),
        },
        'ready',
      ),
    start: (rate) => send({ type: 'start', rate }, 'started'),
    stop: () => send({ type: 'stop' }, 'stopped'),
    async close() {
      await send({ type: 'close' }, 'closed');
      await exited;
    },
  };
}

/** One fresh node B of `root`: idle CPU, then CPU per change over the window of a steady storm. */
async function measure(root, store, tenantIds) {
  const b = await startNode(root, namedConnection(store, 'ipgate-bench-b'), {
    nodeArgs,
    extraArgs: serveArgs,
  });
  const storm = driver(root, store, tenantIds);
  try {
    await storm.init();
    // B just started: its last good copy and collector settle first (under 5 % of a core for 1 s).
    for (let i = 0; i < 60; i++) {
      const from = treeCpuSeconds(b.child.pid);
      await sleep(1000);
      if (treeCpuSeconds(b.child.pid) - from < 0.05) break;
    }
    const idleFrom = treeCpuSeconds(b.child.pid);
    await sleep(5000);
    const idlePerS = (treeCpuSeconds(b.child.pid) - idleFrom) / 5;
    await storm.start(RATE);
    await sleep(WARM_S * 1000);
    const warm = await storm.stop();
    const from = treeCpuSeconds(b.child.pid);
    const started = Date.now();
    // For a profiler attached from outside (perf record -p): the window starts now.
    log(`window of node B (pid ${b.child.pid}) starts`);
    await storm.start(RATE);
    await sleep(WINDOW_S * 1000);
    const made = await storm.stop();
    await sleep(1000); // B applies the last changes
    const cpu = treeCpuSeconds(b.child.pid) - from - idlePerS * ((Date.now() - started) / 1000);
    const ms = (cpu * 1000) / made.made;
    return {
      root,
      kind,
      size,
      warmChanges: warm.made,
      changes: made.made,
      changesPerS: made.ratePerS,
      failed: made.failed + warm.failed,
      idleCpuMsPerS: round(idlePerS * 1000, 1),
      cpuMsPerChange: round(ms),
      coreSharePercentAt200: round((200 * ms) / 10, 1),
      driverCpuMsPerChange: made.cpuMsPerChange,
    };
  } finally {
    await storm.close().catch((e) => log(`storm driver: ${e.message}`));
    await b.stop();
  }
}

const store = await freshStore(kind, `${label}_${size}`, { reuse: true });
const { db } = await openDatabase(roots[0], store);
const seeded = await seedStore(db, kind, { entries: size, write: !(await isSeeded(db)) });
await db.destroy();
const runs = new Map(roots.map((r) => [r, []]));
// A node's CPU per change rises as the storm's rate falls (its refreshes carry fewer changes each),
// so a round of builds whose storms ran at rates more than 10 % apart compares unlike things.
const unlike = [];
for (let i = 0; i < ROUNDS; i++) {
  const rates = [];
  for (const root of roots) {
    const row = await measure(root, store, seeded.writableTenantIds);
    console.log(JSON.stringify(row));
    runs.get(root).push(row.cpuMsPerChange);
    rates.push(row.changesPerS);
  }
  if (Math.min(...rates) < 0.9 * Math.max(...rates)) {
    unlike.push(i + 1);
    log(`ROUND ${i + 1} NOT COMPARABLE: the storms ran at ${rates.join(', ')} changes/s`);
  }
}
for (const [root, values] of runs) {
  const sorted = [...values].sort((a, b) => a - b);
  log(`${root}: CPU ms per change ${values.join(', ')} (median ${sorted[Math.floor(sorted.length / 2)]})`);
}
if (unlike.length > 0) {
  log(`rounds ${unlike.join(', ')} compared storms more than 10 % apart in rate: read the others`);
  process.exitCode = 1;
}
