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
 * - a change storm: node B's gateway under load (wrk) with and without node A making 200 changes/s
 *   spread over tenants, in alternating rounds; B's requests/s and its CPU per request.
 *
 *   npm run bench:scale                                     # every size, both stores (long: ~30 min)
 *   npm run bench:scale -- --sizes=10000 --stores=sqlite    # one size, one store
 *   npm run bench:scale -- --root=/path/to/other/checkout --label=before --writes=20 --skip=storm
 *
 * `--root` runs another checkout's build (the same benchmark measures the code before a change);
 * `--skip=cold,writes,propagation,storm` leaves phases out. Needs a build (the npm script runs it),
 * PostgreSQL at IPGATE_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) for the
 * PostgreSQL rows, and Debian's wrk for the storm (`apt-get install wrk`; autocannon otherwise).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { treeCpuSeconds } from './gateway-cpu.mjs';
import { runProcess, startProcess } from './gateway-processes.mjs';
import { addEntry, allows, removeEntry, residentMb, startNode, writeAddress } from './scale/nodes.mjs';
import {
  B_CORE,
  CORES,
  canPin,
  namedConnection,
  OTHER_CORE,
  pinBackends,
  pinProcess,
  unpinProcess,
} from './scale/pinning.mjs';
import { seedStore } from './scale/seed.mjs';
import { freshStore, openDatabase } from './scale/stores.mjs';
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

// Numbers the storms' changes across rounds, so a round never adds an address an earlier one left.
let stormSerial = 0;

/** Makes `rate` changes/s on node A, spread over tenants, until stopped; counts what it made. */
function startStorm(adminUrl, tenants, rate) {
  let stopped = false;
  let made = 0;
  let failed = 0;
  let firstError;
  const inFlight = new Set();
  const pending = [];
  const tick = setInterval(() => {
    // 10 ms ticks: rate / 100 changes each, at most 32 waiting for an answer.
    for (let k = 0; k < rate / 100 && inFlight.size < 32; k++) {
      const i = stormSerial++;
      const tenantId = tenants[(i * 15_485_863) % tenants.length];
      const p = (async () => {
        // Every other change removes an entry the storm added (the oldest), so lists keep their size.
        if (i % 2 === 1 && pending.length > 64) {
          const previous = pending.shift();
          await removeEntry(adminUrl, previous.tenantId, previous.id);
        } else {
          pending.push({
            tenantId,
            id: (await addEntry(adminUrl, tenantId, writeAddress(2_000_000 + i))).id,
          });
        }
        made++;
      })()
        .catch((e) => {
          failed++;
          firstError ??= e.message;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }, 10);
  return {
    async stop() {
      stopped = true;
      clearInterval(tick);
      await Promise.all(inFlight);
      return { made, failed, firstError };
    },
    get stopped() {
      return stopped;
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * What a change costs node B itself, with its gateway idle: B's CPU over a storm made on A, less
 * what B spends idle (its polls) over as long, per change applied; and the share of one core that
 * 200 changes/s would take at that cost. Free of what A and the store take from the shared cores.
 */
async function changeCost(a, b, seeded) {
  // A node that just started may still be busy (its last good copy, the collector): wait until B is
  // idle (under 5 % of a core over a second), for at most a minute.
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
  const s = startStorm(a.adminUrl, seeded.writableTenantIds, STORM_RATE);
  await sleep(DURATION_S * 1000);
  const { made, failed, firstError } = await s.stop();
  await sleep(1000); // B applies the last changes
  const cpu = treeCpuSeconds(b.child.pid) - from - idlePerS * ((Date.now() - started) / 1000);
  const ms = (cpu * 1000) / made;
  return {
    changesPerS: round(made / DURATION_S, 0),
    failed,
    ...(firstError ? { firstError } : {}),
    idleCpuMsPerS: round(idlePerS * 1000, 1),
    cpuMsPerChange: round(ms, 3),
    coreSharePercentAt200: round((STORM_RATE * ms) / 10, 1),
  };
}

async function storm(a, b, seeded, kind, store) {
  const upstream = await startProcess(process.execPath, [here('gateway-upstream.mjs'), '1'], /"port":(\d+)/);
  let pinned;
  // Node B alone on one core; node A, its store's backends, the upstream, wrk and this process (which
  // drives the storm) on the other.
  const pin = async () => {
    if (!PIN) return;
    for (const pid of [a.child.pid, upstream.child.pid, process.pid]) pinProcess(pid, OTHER_CORE);
    pinProcess(b.child.pid, B_CORE);
    pinned =
      kind === 'postgres'
        ? await pinBackends(store.connectionString, ['ipgate-bench-a', 'ipgate-bench-b'], OTHER_CORE)
        : undefined;
  };
  try {
    await pin();
    // Point the seeded catch-all API at this upstream (a change like any other).
    const res = await fetch(`${a.adminUrl}/v1/apis/${seeded.benchApiId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${seeded.ownerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ upstreamUrl: `http://127.0.0.1:${upstream.match[1]}` }),
    });
    if (res.status !== 200)
      throw new Error(`point the bench API at the upstream: ${res.status} ${await res.text()}`);
    await new Promise((r) => setTimeout(r, 1000));
    const headers = { authorization: `Bearer ${seeded.benchKey.secret}` };
    const probe = await fetch(`${b.gatewayUrl}/bench`, { headers });
    if (probe.status !== 200)
      throw new Error(`the gateway of node B answered ${probe.status}: ${await probe.text()}`);
    const load = async () => {
      await pin();
      const cpuBefore = treeCpuSeconds(b.child.pid);
      const r = hasWrk()
        ? await wrkLoad({
            url: `${b.gatewayUrl}/bench`,
            connections: 32,
            durationS: DURATION_S,
            headers,
            cpu: PIN ? OTHER_CORE : undefined,
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
      const cpu = treeCpuSeconds(b.child.pid) - cpuBefore;
      return { rps: Math.round(r.rps), cpuUsPerRequest: round((cpu * 1e6) / r.total, 1), non2xx: r.non2xx };
    };
    const cost = await changeCost(a, b, seeded);
    log(`change cost on B (idle gateway): ${JSON.stringify(cost)}`);
    await load(); // warm-up
    const quiet = [];
    const stormy = [];
    for (let round_ = 0; round_ < STORM_ROUNDS; round_++) {
      quiet.push(await load());
      const s = startStorm(a.adminUrl, seeded.writableTenantIds, STORM_RATE);
      const r = await load();
      const { made, failed, firstError } = await s.stop();
      stormy.push({
        ...r,
        changesPerS: round(made / DURATION_S, 0),
        failed,
        ...(firstError ? { firstError } : {}),
      });
      log(
        `storm round ${round_ + 1}: quiet ${JSON.stringify(quiet.at(-1))} storm ${JSON.stringify(stormy.at(-1))}`,
      );
    }
    const q = median(quiet.map((r) => r.rps));
    const s = median(stormy.map((r) => r.rps));
    const quietCpuUs = median(quiet.map((r) => r.cpuUsPerRequest));
    const stormCpuUs = median(stormy.map((r) => r.cpuUsPerRequest));
    return {
      kind,
      quietRps: q,
      stormRps: s,
      rpsCostPercent: round((1 - s / q) * 100, 1),
      quietCpuUs,
      stormCpuUs,
      // The gateway's own cost: the share of its CPU the changes take (node A and the store run on
      // the same two cores and take requests/s from it too, which rpsCostPercent includes).
      cpuCostPercent: round((1 - quietCpuUs / stormCpuUs) * 100, 1),
      changeCost: cost,
      changesPerS: median(stormy.map((r) => r.changesPerS)),
      pinning: PIN ? { nodeB: B_CORE, everythingElse: OTHER_CORE, postgresBackends: pinned ?? null } : 'off',
      rounds: { quiet, stormy },
    };
  } finally {
    await upstream.stop();
    if (PIN) unpinProcess(process.pid);
  }
}

log(`scale benchmark (${label}, ${root}) on`, JSON.stringify(machine()));
for (const size of sizes) {
  for (const kind of stores) {
    const store = await freshStore(kind, `${label}_${size}`);
    try {
      log(`${kind} ${size}: seeding`);
      const seedStarted = Date.now();
      const { db } = await openDatabase(root, store);
      const seeded = await seedStore(db, kind, { entries: size });
      await db.destroy();
      const row = { label, kind, size, shape: seeded.shape, seedS: round((Date.now() - seedStarted) / 1000) };
      if (!skip.has('cold')) {
        log(`${kind} ${size}: cold start`);
        row.coldStart = await coldStart(store, size >= 1_000_000 ? 1 : 3);
      }
      if (!skip.has('writes') || !skip.has('propagation') || !skip.has('storm')) {
        const a = await startNode(root, namedConnection(store, 'ipgate-bench-a'));
        row.nodeStartMs = a.startMs;
        // The whole `ipgate serve` once it listens: what a node of this size holds resident.
        row.nodeMemory = residentMb(a.child.pid);
        // And once it has settled: what the load left behind is collected and returned to the system
        // by V8 within seconds of going idle, not by the time the node listens.
        await sleep(30_000);
        row.nodeMemorySettled = residentMb(a.child.pid);
        try {
          if (!skip.has('writes')) {
            log(`${kind} ${size}: ${WRITES} writes`);
            row.writes = await writeLatency(a.adminUrl, seeded.writableTenantIds, WRITES);
          }
          const needB = (!skip.has('propagation') && kind === 'postgres') || !skip.has('storm');
          if (needB) {
            const b = await startNode(root, namedConnection(store, 'ipgate-bench-b'));
            try {
              if (!skip.has('propagation') && kind === 'postgres') {
                log(`${kind} ${size}: propagation of ${CHANGES} changes`);
                row.propagation = await propagation(a, b, seeded.writableTenantIds, CHANGES);
              }
              if (!skip.has('storm')) {
                log(`${kind} ${size}: storm of ${STORM_RATE} changes/s`);
                row.storm = await storm(a, b, seeded, kind, store);
              }
            } finally {
              await b.stop();
            }
          }
        } finally {
          await a.stop();
        }
      }
      report(row);
    } finally {
      await store.drop();
    }
  }
}
log('done', JSON.stringify(machine()));
