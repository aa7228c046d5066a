/**
 * The platform-scale benchmark: stores seeded at 10,000, 100,000 and 1,000,000 tenant entries (a tenant
 * per ten entries, a key with IP and domain rules per tenant, an API with an allowlist per thousand
 * entries), on SQLite and PostgreSQL, and for each size:
 *
 * - cold start: load and compile everything, in a fresh process (time, resident memory after GC, peak);
 * - admin write latency: adds and removes of tenant entries through the management API of a running
 *   node, each answered once it is in force on that node (median, p99);
 * - propagation (PostgreSQL): how long after node A answers a write node B enforces it (its check
 *   endpoint), over at least 1,000 changes (median, p99, max);
 * - a change storm: 200 changes/s spread over tenants, written straight through the store layer by a
 *   process of its own (`scale/storm-driver.mjs`; `--storm-via=admin` makes them through node A's
 *   admin API instead), while node B — on a core of its own — applies them: B's CPU per change with
 *   its gateway idle; then, in rounds alternating without and with the storm, B's gateway at full
 *   load (wrk: requests/s, CPU per request) and at a fixed offered rate below its capacity
 *   (`scale/fixed-rate-load.mjs`: CPU per request, the capacity the storm takes from B).
 *
 *   npm run bench:scale                                     # every size, both stores (long: ~30 min)
 *   npm run bench:scale -- --sizes=10000 --stores=sqlite    # one size, one store
 *   npm run bench:scale -- --root=/path/to/other/checkout --label=before --writes=20 --skip=storm
 *   npm run bench:scale -- --sizes=1000000 --skip=cold,writes,propagation --reuse   # the storm alone
 *
 * `--root` runs another checkout's build (the same benchmark measures the code before a change);
 * `--skip=cold,writes,propagation,storm` leaves phases out (`max-rate`: the storm's full-load rounds); `--reuse` keeps each seeded store (a file
 * in the temporary directory, a schema, named by label and size) and reuses it in later runs.
 * Storm: `--storm-rate` (200), `--storm-rounds` (3 pairs of a quiet and a storm round, in alternating
 * order), `--duration` (10 s a round), `--change-window` (60 s: B's CPU per change), `--storm-warm` (5 s
 * of storm unmeasured before B's CPU per change), `--fixed-rate`
 * (requests/s; `auto`: half of B's quiet full-load rate; `off`; two or more different rates, `1000,3000`:
 * the storm's cost at B's capacity from a line through its extra CPU at the lowest and the highest,
 * scale/two-rate-model.mjs; rates between are measured and reported, not fitted), `--pin=off`, `--upstream` (`nginx`, when
 * installed: answers by itself for a few µs; `node`: gateway-upstream.mjs). A storm round under
 * 95 % of its rate is reported in `storm.failedRate` and the run exits with 1. Needs a build (the
 * npm script runs it), PostgreSQL at IPGATE_BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test) for the PostgreSQL rows, and Debian's wrk for the storm
 * (`apt-get install wrk`; autocannon otherwise).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { treeCpuSeconds } from './gateway-cpu.mjs';
import { runProcess, startProcess } from './gateway-processes.mjs';
import { forkStormDriver } from './scale/driver-process.mjs';
import { addEntry, allows, removeEntry, residentMb, startNode, writeAddress } from './scale/nodes.mjs';
import {
  B_CORE,
  CORES,
  canPin,
  namedConnection,
  OTHER_CORE,
  pinBackends,
  pinProcess,
  pinTree,
  unpinProcess,
} from './scale/pinning.mjs';
import { isSeeded, seedStore } from './scale/seed.mjs';
import { nginxAvailable, startStaticUpstream } from './scale/static-upstream.mjs';
import { freshStore, namedStore, openDatabase, openStore } from './scale/stores.mjs';
import { pacedStorm, stormPlan } from './scale/storm-plan.mjs';
import {
  atServedRate,
  fitTwoRates,
  lossAtCapacityPercent,
  pairedDifference,
  parseFixedRates,
} from './scale/two-rate-model.mjs';
import { hasWrk, wrkLoad } from './wrk-load.mjs';

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const root = arg('root', here('..'));
const label = arg('label', 'after');
const sizes = arg('sizes', '10000,100000,1000000').split(',').map(Number);
const stores = arg('stores', 'sqlite,postgres').split(',');
const skip = new Set(arg('skip', '').split(',').filter(Boolean));
const WRITES = Number(arg('writes', 1000));
const CHANGES = Number(arg('changes', 1000));
const STORM_RATE = Number(arg('storm-rate', 200));
const STORM_ROUNDS = Number(arg('storm-rounds', 3));
const DURATION_S = Number(arg('duration', 10));
// The unmeasured storm before B's CPU per change is measured: longer than the last good copy's write
// delay (2 s), so that B's first write after its start falls in it (see changeCost).
const WARM_S = Number(arg('storm-warm', 5));
// How long B's CPU per change is measured (`--change-window`, s). Under a storm B rewrites its whole
// last good copy now and then (~1 % of its core by design, up to ~1.4 s of CPU at a time at 1,000,000
// entries), so a window of a few seconds holds one rewrite or none: 10 s windows read 0.15–0.29 ms
// per change where a minute reads 0.10–0.12 (bench/README.md#platform-scale, session 5).
const CHANGE_WINDOW_S = Number(arg('change-window', 60));
const STORM_VIA = arg('storm-via', 'store');
if (STORM_VIA !== 'store' && STORM_VIA !== 'admin')
  throw new Error(`--storm-via: store or admin, not ${STORM_VIA}`);
const FIXED_RATE = parseFixedRates(arg('fixed-rate', 'auto'));
const REUSE = process.argv.includes('--reuse');
// The storm's upstream: nginx answering by itself (scale/static-upstream.mjs) leaves core 0 to the
// storm's writer, the store and the load generator; `node` is gateway-upstream.mjs, as before.
const UPSTREAM = arg('upstream', nginxAvailable() ? 'nginx' : 'node');
if (UPSTREAM !== 'nginx' && UPSTREAM !== 'node')
  throw new Error(`--upstream: nginx or node, not ${UPSTREAM}`);
// How much nicer than this process the upstream and the load generators run (see storm()).
const LOAD_NICE = 10;
// The storm driver's PostgreSQL connections, named so their backends are pinned with the rest.
const STORM_CONNECTION = 'ipgate-bench-storm';
// The storm with node B on a core of its own and everything else on the other (scale/pinning.mjs).
const PIN = arg('pin', canPin() ? 'on' : 'off') === 'on';

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};
const median = (values) => percentile(values, 50);
const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const log = (...parts) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);
const results = [];
const report = (row) => {
  results.push(row);
  console.log(JSON.stringify(row));
};

function machine() {
  const cpu = (() => {
    try {
      return /Model name:\s*(.+)/.exec(execFileSync('lscpu', { encoding: 'utf8' }))?.[1]?.trim() ?? '?';
    } catch {
      return '?';
    }
  })();
  return {
    nproc: CORES,
    node: process.version,
    cpu,
    uptime: os.loadavg().map((l) => round(l, 2)),
  };
}

async function coldStart(store, rounds) {
  const runs = [];
  for (let i = 0; i < rounds; i++) {
    const out = await runProcess(process.execPath, [
      '--expose-gc',
      here('scale/cold-start.mjs'),
      JSON.stringify({ root, store }),
    ]);
    runs.push(JSON.parse(out.trim().split('\n').at(-1)));
  }
  return {
    loadMs: median(runs.map((r) => r.loadMs)),
    loadMsRuns: runs.map((r) => r.loadMs),
    rssMb: median(runs.map((r) => r.rssMb)),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    heapMb: median(runs.map((r) => r.heapMb)),
  };
}

/** `count` writes on node A, alternating an add and the remove of what it added, one at a time. */
async function writeLatency(adminUrl, tenants, count) {
  const times = [];
  for (let i = 0; i < count; i += 2) {
    const tenantId = tenants[(i * 7919) % tenants.length];
    const added = await addEntry(adminUrl, tenantId, writeAddress(i));
    times.push(added.ms);
    if (i + 1 < count) times.push((await removeEntry(adminUrl, tenantId, added.id)).ms);
  }
  return {
    writes: times.length,
    medianMs: round(median(times), 2),
    p99Ms: round(percentile(times, 99), 2),
    maxMs: round(Math.max(...times), 2),
  };
}

/** For each change made on A: the time from A's answer until B's check endpoint agrees. */
async function propagation(a, b, tenants, count) {
  const delays = [];
  for (let i = 0; i < count; i += 2) {
    const tenantId = tenants[(i * 104_729) % tenants.length];
    const address = writeAddress(1_000_000 + i);
    const added = await addEntry(a.adminUrl, tenantId, address);
    let at = process.hrtime.bigint();
    while (!(await allows(b.adminUrl, tenantId, address))) await new Promise((r) => setTimeout(r, 1));
    delays.push(Number(process.hrtime.bigint() - at) / 1e6);
    await removeEntry(a.adminUrl, tenantId, added.id);
    at = process.hrtime.bigint();
    while (await allows(b.adminUrl, tenantId, address)) await new Promise((r) => setTimeout(r, 1));
    delays.push(Number(process.hrtime.bigint() - at) / 1e6);
  }
  return {
    changes: delays.length,
    medianMs: round(median(delays), 2),
    p99Ms: round(percentile(delays, 99), 2),
    maxMs: round(Math.max(...delays), 2),
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Where a storm's numbering starts: a different place each run, so a reused store (`--reuse`) is
 * never sent an address a run before left in a list.
 */
const stormSerialStart = () => 2 * Math.floor((Date.now() / 1000) % 1_000_000);

/**
 * The storm made through node A's admin API (`--storm-via=admin`): what a client of the platform
 * does, but on two cores A cannot make 200 changes/s beside everything else.
 */
function adminStorm(adminUrl, tenantIds) {
  const plan = stormPlan(tenantIds, { serial: stormSerialStart() });
  const storm = pacedStorm(
    plan,
    async (c) =>
      c.kind === 'add'
        ? (await addEntry(adminUrl, c.tenantId, c.address)).id
        : removeEntry(adminUrl, c.tenantId, c.entryId),
    { maxInFlight: 32 },
  );
  return {
    pids: [],
    async start(rate) {
      storm.start(rate);
    },
    stop: () => storm.stop(),
    async close() {
      for (const { tenantId, entryId } of plan.takeListed())
        await removeEntry(adminUrl, tenantId, entryId).catch(() => {});
    },
  };
}

/**
 * The storm made straight through the store layer (the default): `scale/storm-driver.mjs` in a
 * process of its own, on the same core as the store.
 */
async function driverStorm(store, tenantIds) {
  const { child, exited, ask } = forkStormDriver();
  if (PIN) pinProcess(child.pid, OTHER_CORE);
  await ask(
    { type: 'init', root, store: namedStore(store, STORM_CONNECTION), tenantIds, serial: stormSerialStart() },
    'ready',
  );
  return {
    pids: [child.pid],
    async start(rate) {
      await ask({ type: 'start', rate }, 'started');
    },
    async stop() {
      const { type: _, ...result } = await ask({ type: 'stop' }, 'stopped');
      return result;
    },
    async close() {
      if (child.exitCode !== null) return;
      const { left } = await ask({ type: 'close' }, 'closed');
      await exited;
      if (left > 0) log(`the storm driver could not remove ${left} of the entries it added`);
    },
  };
}

/**
 * A storm's summary for the report, and whether it reached the rate: at under 95 % of
 * `--storm-rate` the phase measured a lesser storm than the target's, and fails (loudly).
 */
function checkedStorm(result, problems, what) {
  const short = result.ratePerS < STORM_RATE * 0.95;
  if (short || result.failed > 0) {
    const problem = `${what}: ${result.ratePerS} changes/s (target ${STORM_RATE}), ${result.failed} failed${
      result.firstError === undefined ? '' : ` (${result.firstError})`
    }`;
    problems.push(problem);
    log(`STORM SHORT OF ITS RATE — ${problem}`);
  }
  return {
    changesPerS: result.ratePerS,
    failed: result.failed,
    ...(result.firstError === undefined ? {} : { firstError: result.firstError }),
    ...(result.cpuMsPerChange === undefined ? {} : { driverCpuMsPerChange: result.cpuMsPerChange }),
  };
}

/**
 * What a change costs node B itself, with its gateway idle: B's CPU over a storm, less what B spends
 * idle (its polls) over as long, per change applied; and the share of one core that `--storm-rate`
 * changes/s would take at that cost. Free of what the storm's writer and the store take from the
 * other core.
 */
async function changeCost(b, source, problems) {
  // B's first write of its last good copy after a start compacts the whole copy (~1.4 s of CPU at
  // 1,000,000 entries), whatever the change: an unmeasured storm first makes that write (and the
  // JIT's first optimizations of the refresh path) happen before the window, not in it.
  if (WARM_S > 0) {
    await source.start(STORM_RATE);
    await sleep(WARM_S * 1000);
    const warm = await source.stop();
    log(`change cost warm-up (not measured): ${warm.made} changes at ${warm.ratePerS} changes/s`);
  }
  // Then wait until B is idle (under 5 % of a core over a second: the copy's write done, the
  // collector settled), for at most a minute.
  for (let i = 0; i < 60; i++) {
    const from = treeCpuSeconds(b.child.pid);
    await sleep(1000);
    if (treeCpuSeconds(b.child.pid) - from < 0.05) break;
  }
  const idleFrom = treeCpuSeconds(b.child.pid);
  await sleep(5000);
  const idlePerS = (treeCpuSeconds(b.child.pid) - idleFrom) / 5;
  const from = treeCpuSeconds(b.child.pid);
  const started = Date.now();
  await source.start(STORM_RATE);
  await sleep(CHANGE_WINDOW_S * 1000);
  const result = await source.stop();
  await sleep(1000); // B applies the last changes
  const cpu = treeCpuSeconds(b.child.pid) - from - idlePerS * ((Date.now() - started) / 1000);
  const ms = (cpu * 1000) / result.made;
  return {
    ...checkedStorm(result, problems, 'change cost'),
    idleCpuMsPerS: round(idlePerS * 1000, 1),
    cpuMsPerChange: round(ms, 3),
    coreSharePercentAt200: round((STORM_RATE * ms) / 10, 1),
  };
}

/**
 * One measurement of B's gateway: `measure()` runs a load generator and resolves with its report;
 * B's CPU (its whole process tree, from /proc) is read around it.
 */
async function onB(b, measure) {
  const cpuBefore = treeCpuSeconds(b.child.pid);
  const at = performance.now();
  const r = await measure();
  const seconds = (performance.now() - at) / 1000;
  const cpu = treeCpuSeconds(b.child.pid) - cpuBefore;
  return {
    ...(r.offeredRps === undefined ? {} : { offeredRps: r.offeredRps }),
    rps: Math.round(r.rps),
    cpuUsPerRequest: round((cpu * 1e6) / r.total, 1),
    // B's CPU per second of the window: at a fixed offered rate, what the storm adds shows here too.
    cpuMsPerS: round((cpu * 1000) / seconds, 1),
    p99Ms: r.p99,
    non2xx: r.non2xx,
    ...(r.mostBehind > 0 ? { mostBehind: r.mostBehind } : {}),
    ...(r.longestTickGapMs === undefined ? {} : { longestTickGapMs: r.longestTickGapMs }),
  };
}

/**
 * Rounds alternating without and with the storm (`--storm-rounds` pairs), `load()` measuring B in
 * each. The pairs alternate their order (quiet then storm, storm then quiet, …), so that a host whose
 * speed drifts during the run weighs on both sides alike; each pair's two rounds are seconds apart, and
 * `paired()` compares within pairs. After a storm, B is given two seconds to apply its last changes
 * before a quiet round; a storm round that comes first starts its storm a second before it measures.
 */
async function alternate(what, source, load, problems) {
  const quiet = [];
  const stormy = [];
  const stormRound = async (i) => {
    await source.start(STORM_RATE);
    await sleep(1000);
    const r = await load();
    const made = await source.stop();
    stormy.push({ ...r, ...checkedStorm(made, problems, `${what} round ${i + 1}`) });
    await sleep(2000);
  };
  for (let i = 0; i < STORM_ROUNDS; i++) {
    if (i % 2 === 0) {
      quiet.push(await load());
      await stormRound(i);
    } else {
      await stormRound(i);
      quiet.push(await load());
    }
    log(
      `${what} pair ${i + 1}: quiet ${JSON.stringify(quiet.at(-1))} storm ${JSON.stringify(stormy.at(-1))}`,
    );
  }
  return { quiet, stormy };
}

/**
 * The storm's cost read within pairs of rounds: for each pair, storm ÷ quiet of B's CPU per request
 * (and of its requests/s); the median over pairs and the spread. Host drift between pairs cancels;
 * what remains is drift within a pair, which the alternating order spreads to both sides.
 */
function paired(rounds, field) {
  const r = pairedDifference(rounds, field, (q, s) => s[field] / q[field]);
  return {
    median: round(r.median, 4),
    lowerQuartile: round(r.lowerQuartile, 4),
    upperQuartile: round(r.upperQuartile, 4),
    pairs: r.pairs.map((x) => round(x, 3)),
  };
}

/** Each number of `values`' fields rounded to `digits`, arrays element by element. */
function roundAll(values, digits) {
  const r = (v) => (Array.isArray(v) ? v.map(r) : typeof v === 'number' ? round(v, digits) : v);
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, r(v)]));
}

/**
 * The storm's cost to a saturated B from its extra CPU at the lowest and the highest fixed rate
 * (scale/two-rate-model.mjs). B's capacity: its quiet full-load requests/s when B was saturated in
 * those rounds, else what one core would serve at the highest rate's quiet CPU per request.
 */
function twoRateReading(atRates, result) {
  const byRate = [...atRates].sort((x, y) => x.offeredRps - y.offeredRps);
  const point = (r) => ({ rps: r.offeredRps, extraMsPerS: r.pairedExtraMsPerS.median });
  const model = fitTwoRates(point(byRate[0]), point(byRate.at(-1)));
  const saturated = result.leastCpuMsPerS !== undefined && result.leastCpuMsPerS >= 900;
  const capacityRps = saturated ? result.quietRps : Math.round(1e6 / byRate.at(-1).quietCpuUs);
  return {
    idleMsPerS: round(model.idleMsPerS, 1),
    perRequestUs: round(model.perRequestUs, 2),
    // The two extras fell with the rate: read as nothing per request, level at the larger.
    levelled: model.levelled,
    capacityRps,
    capacityFrom: saturated
      ? 'quiet full-load rounds (B saturated)'
      : 'one core at the highest rate’s quiet CPU per request',
    lossAtCapacityPercent: round(lossAtCapacityPercent(model, capacityRps), 1),
  };
}

async function storm(a, b, seeded, kind, store) {
  // The upstream and the load generators yield core 0 to the storm's writer and the store (they run
  // at a lower priority): the storm's rate is the given of the measurement, the load's rate follows.
  const upstream =
    UPSTREAM === 'nginx'
      ? await startStaticUpstream({ nice: LOAD_NICE })
      : await startProcess(
          'nice',
          ['-n', String(LOAD_NICE), process.execPath, here('gateway-upstream.mjs'), '1'],
          /"port":(\d+)/,
        ).then((p) => ({ port: Number(p.match[1]), pid: p.child.pid, stop: () => p.stop() }));
  const source =
    STORM_VIA === 'admin'
      ? adminStorm(a.adminUrl, seeded.writableTenantIds)
      : await driverStorm(store, seeded.writableTenantIds);
  let pinned;
  // Node B alone on one core; the storm's writer (the driver, or node A), the store's backends, the
  // upstream (with its worker), the load generators and this process on the other.
  const pin = async () => {
    if (!PIN) return;
    for (const pid of [upstream.pid, process.pid, ...source.pids, ...(a ? [a.child.pid] : [])])
      pinTree(pid, OTHER_CORE);
    pinTree(b.child.pid, B_CORE);
    pinned =
      kind === 'postgres'
        ? await pinBackends(
            store.connectionString,
            ['ipgate-bench-a', 'ipgate-bench-b', STORM_CONNECTION],
            OTHER_CORE,
          )
        : undefined;
  };
  const problems = [];
  try {
    await pin();
    // Point the seeded catch-all API at this upstream: a change like any other, through the store.
    const writer = await openStore(root, store);
    try {
      await writer.updateApi(
        seeded.benchApiId,
        { upstreamUrl: `http://127.0.0.1:${upstream.port}` },
        { actor: 'token:bench' },
      );
    } finally {
      await writer.close();
    }
    const headers = { authorization: `Bearer ${seeded.benchKey.secret}` };
    // B applies it within its poll (SQLite) or on the notification (PostgreSQL).
    for (let i = 0; ; i++) {
      const probe = await fetch(`${b.gatewayUrl}/bench`, { headers });
      const text = await probe.text();
      if (probe.status === 200) break;
      if (i === 100) throw new Error(`the gateway of node B answered ${probe.status}: ${text}`);
      await sleep(100);
    }
    const maxLoad = () =>
      onB(b, async () => {
        await pin();
        return hasWrk()
          ? wrkLoad({
              url: `${b.gatewayUrl}/bench`,
              connections: 32,
              durationS: DURATION_S,
              headers,
              cpu: PIN ? OTHER_CORE : undefined,
              nice: LOAD_NICE,
            })
          : JSON.parse(
              await runProcess(process.execPath, [
                here('gateway-load.mjs'),
                JSON.stringify({
                  url: `${b.gatewayUrl}/bench`,
                  connections: 32,
                  durationS: DURATION_S,
                  headers,
                }),
              ]),
            );
      });
    const cost = await changeCost(b, source, problems);
    log(`change cost on B (idle gateway): ${JSON.stringify(cost)}`);
    const result = { kind, via: STORM_VIA, upstream: UPSTREAM, changeCost: cost };
    result.pinning = PIN
      ? { nodeB: B_CORE, everythingElse: OTHER_CORE, postgresBackends: pinned ?? null }
      : 'off';
    await maxLoad(); // warm-up
    let q;
    if (!skip.has('max-rate')) {
      const max = await alternate('max-rate', source, maxLoad, problems);
      q = median(max.quiet.map((r) => r.rps));
      const s = median(max.stormy.map((r) => r.rps));
      const quietCpuUs = median(max.quiet.map((r) => r.cpuUsPerRequest));
      const stormCpuUs = median(max.stormy.map((r) => r.cpuUsPerRequest));
      const pairedCpu = paired(max, 'cpuUsPerRequest');
      Object.assign(result, {
        quietRps: q,
        stormRps: s,
        // Requests/s at full load follow the load generator, which shares core 0 with the storm's
        // writer and the store: this drop is mostly that contention, not B's cost.
        rpsCostPercent: round((1 - s / q) * 100, 1),
        quietCpuUs,
        stormCpuUs,
        cpuCostPercent: round((1 - quietCpuUs / stormCpuUs) * 100, 1),
        changesPerS: median(max.stormy.map((r) => r.changesPerS)),
        // Within pairs (see paired()): storm ÷ quiet CPU per request; 1 − 1 ÷ that is the share of
        // B's capacity the storm takes, the reading of the target that host drift does not move.
        pairedCpu,
        pairedCpuCostPercent: round((1 - 1 / pairedCpu.median) * 100, 1),
        // B saturated in every round (its core busy ~1,000 ms/s) makes CPU per request its capacity.
        leastCpuMsPerS: Math.min(...[...max.quiet, ...max.stormy].map((r) => r.cpuMsPerS)),
        pairedRps: paired(max, 'rps'),
        rounds: { quiet: max.quiet, stormy: max.stormy },
      });
    }
    if (FIXED_RATE === 'auto' && q === undefined)
      throw new Error('--fixed-rate=auto needs the max-rate rounds: give a rate with --skip=max-rate');
    const rates =
      FIXED_RATE === 'auto'
        ? [Math.max(100, Math.round((q * 0.5) / 100) * 100)]
        : FIXED_RATE === 'off'
          ? []
          : FIXED_RATE;
    const atRates = [];
    for (const rate of rates) {
      const fixedLoad = () =>
        onB(b, async () => {
          await pin();
          const args = [
            here('scale/fixed-rate-load.mjs'),
            JSON.stringify({ url: `${b.gatewayUrl}/bench`, rate, durationS: DURATION_S, headers }),
          ];
          const niced = ['nice', '-n', String(LOAD_NICE), process.execPath, ...args];
          return JSON.parse(
            PIN
              ? await runProcess('taskset', ['-c', String(OTHER_CORE), ...niced])
              : await runProcess(niced[0], niced.slice(1)),
          );
        });
      const fixed = await alternate(`fixed ${rate}/s`, source, fixedLoad, problems);
      const fq = median(fixed.quiet.map((r) => r.cpuUsPerRequest));
      const fs = median(fixed.stormy.map((r) => r.cpuUsPerRequest));
      const pairedFixed = paired(fixed, 'cpuUsPerRequest');
      const extraMsPerS =
        median(fixed.stormy.map((r) => r.cpuMsPerS)) - median(fixed.quiet.map((r) => r.cpuMsPerS));
      // Compared at the requests each storm round served (atServedRate): a storm round whose
      // generator fell short would otherwise look cheaper by the requests it did not send.
      const pairedExtra = pairedDifference(fixed, 'cpuMsPerS', atServedRate);
      const served = Math.min(...[...fixed.quiet, ...fixed.stormy].map((r) => r.rps)) / rate;
      if (served < 0.98)
        problems.push(`fixed ${rate}/s: a round served ${round(served * 100, 1)} % of the offered rate`);
      atRates.push({
        offeredRps: rate,
        quietCpuUs: fq,
        stormCpuUs: fs,
        // B serves every request either way, so the capacity the storm takes from it is the share of
        // its CPU per request the changes add (an upper bound below saturation: B's idle cost is
        // spread over fewer requests than at full load)…
        capacityLostPercent: round((1 - fq / fs) * 100, 1),
        // …and the share of its core the storm adds (the lower bound: per-request costs unchanged).
        coreSharePercent: round(extraMsPerS / 10, 1),
        pairedCpu: pairedFixed,
        pairedCapacityLostPercent: round((1 - 1 / pairedFixed.median) * 100, 1),
        // Storm − quiet CPU ms a second within each pair, at the storm round's served rate
        // (scale/two-rate-model.mjs reads two rates).
        pairedExtraMsPerS: roundAll(pairedExtra, 1),
        // Whether the generator kept its schedule, at worst per phase: requests the in-flight bound
        // held back (B was short), and the longest gap between its 1 ms ticks (its own core was short;
        // a late tick sends its backlog at once, which mostBehind does not count).
        mostBehind: {
          quiet: Math.max(...fixed.quiet.map((r) => r.mostBehind ?? 0)),
          stormy: Math.max(...fixed.stormy.map((r) => r.mostBehind ?? 0)),
        },
        longestTickGapMs: {
          quiet: Math.max(...fixed.quiet.map((r) => r.longestTickGapMs ?? 0)),
          stormy: Math.max(...fixed.stormy.map((r) => r.longestTickGapMs ?? 0)),
        },
        changesPerS: median(fixed.stormy.map((r) => r.changesPerS)),
        rounds: fixed,
      });
    }
    if (atRates.length === 1) result.fixedRate = atRates[0];
    if (atRates.length > 1) {
      result.fixedRates = atRates;
      result.twoRateModel = twoRateReading(atRates, result);
    }
    if (problems.length > 0) {
      result.failedRate = problems;
      process.exitCode = 1;
    }
    return result;
  } finally {
    await source.close();
    await upstream.stop();
    if (PIN) unpinProcess(process.pid);
  }
}

log(`scale benchmark (${label}, ${root}) on`, JSON.stringify(machine()));
for (const size of sizes) {
  for (const kind of stores) {
    const store = await freshStore(kind, `${label}_${size}`, { reuse: REUSE });
    try {
      const seedStarted = Date.now();
      const { db } = await openDatabase(root, store);
      const reused = REUSE && (await isSeeded(db));
      log(`${kind} ${size}: ${reused ? 'reusing the seeded store' : 'seeding'}`);
      const seeded = await seedStore(db, kind, { entries: size, write: !reused });
      await db.destroy();
      const row = { label, kind, size, shape: seeded.shape, seedS: round((Date.now() - seedStarted) / 1000) };
      if (reused) row.reusedStore = true;
      if (!skip.has('cold')) {
        log(`${kind} ${size}: cold start`);
        row.coldStart = await coldStart(store, size >= 1_000_000 ? 1 : 3);
      }
      const propagate = !skip.has('propagation') && kind === 'postgres';
      const stormHere = !skip.has('storm');
      // Node A makes the writes, the changes propagated and the storm through the admin API; the
      // storm through the store needs node B alone.
      const needA = !skip.has('writes') || propagate || (stormHere && STORM_VIA === 'admin');
      const a = needA ? await startNode(root, namedConnection(store, 'ipgate-bench-a')) : undefined;
      try {
        if (a) {
          row.nodeStartMs = a.startMs;
          // The whole `ipgate serve` once it listens: what a node of this size holds resident.
          row.nodeMemory = residentMb(a.child.pid);
          // And once it has settled: what the load left behind is collected and returned to the
          // system by V8 within seconds of going idle, not by the time the node listens.
          await sleep(30_000);
          row.nodeMemorySettled = residentMb(a.child.pid);
        }
        if (!skip.has('writes')) {
          log(`${kind} ${size}: ${WRITES} writes`);
          row.writes = await writeLatency(a.adminUrl, seeded.writableTenantIds, WRITES);
        }
        if (propagate || stormHere) {
          const b = await startNode(root, namedConnection(store, 'ipgate-bench-b'));
          try {
            if (propagate) {
              log(`${kind} ${size}: propagation of ${CHANGES} changes`);
              row.propagation = await propagation(a, b, seeded.writableTenantIds, CHANGES);
            }
            if (stormHere) {
              log(
                `${kind} ${size}: storm of ${STORM_RATE} changes/s through the ${STORM_VIA === 'admin' ? 'admin API' : 'store'}`,
              );
              // Node A idle beside the storm would still refresh on every change, on core 0.
              if (STORM_VIA === 'store') await a?.stop();
              row.storm = await storm(STORM_VIA === 'admin' ? a : undefined, b, seeded, kind, store);
            }
          } finally {
            await b.stop();
          }
        }
      } finally {
        await a?.stop();
      }
      report(row);
    } finally {
      await store.drop();
    }
  }
}
log('done', JSON.stringify(machine()));
