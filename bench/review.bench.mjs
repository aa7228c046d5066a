/**
 * The auto mode's cost (docs/review.md, bench/README.md#auto-review):
 *
 * 1. Assessment time per address, in process, with the real offline data: the facts lookup alone,
 *    the pure assessment alone, and `AutoReview.decide` (everything the request path does for a new
 *    address: facts, listed facts, the key's counter, the verdict, the overlay) — median ns.
 * 2. The gateway (`ipgate serve`, one process, SQLite) in `auto` with a stream of new addresses against
 *    the same gateway in `manual` with a known list, in one run, alternating, same load generator.
 *
 *   npm run build && node bench/review.bench.mjs            # ~2 min
 *   node bench/review.bench.mjs --quick                     # shorter
 *   node bench/review.bench.mjs --quick --cpu-prof DIR      # and CPU profiles of each gateway run in DIR/<run>/, one per thread
 *   node bench/review.bench.mjs --new-every=50,200,1000     # auto at several stream rates, same run
 *   node bench/review.bench.mjs --rounds=4                  # more rounds (default 2; 1 with --quick)
 *   node bench/review.bench.mjs --interleave                # both gateways at once, slices of a fixed rate (below)
 *   node bench/review.bench.mjs --interleave --pairs=60 --slice-ms=1000 --rate=3000
 *   node bench/review.bench.mjs --interleave --control[=same|cold|auto-bare] [--second-first] [--trace-gc] [--semi-space=MB]
 *
 * `--new-every=N[,N…]`: in `auto`, one request in N comes from a never-seen address (default 50);
 * with several, each round measures `manual` and `auto` at each N (every other round in reverse
 * order, so drift does not favour the modes measured first), so every ratio is of one run.
 * Besides the ratio of the rounds' averages it prints the median of the per-round ratios (auto ÷ the
 * same round's manual): on a machine whose speed drifts during the run, the steadier figure.
 *
 * Besides requests/s it prints the gateway process's CPU time per request (user + system, from
 * /proc/PID/stat over the measured load), and that of its event-loop thread alone (the one every
 * request waits for; the recorder thread's writes are in the first figure, not in this one): on a
 * busy machine the fairer figures.
 *
 * `--interleave` (for a host whose speed drifts by 1.5× within minutes, which rounds of 10 s per mode
 * one after the other cannot read a 3 % effect through): both gateways run at once, a `manual` one
 * with the known list and an `auto` one (its own process and store each; both warmed on new
 * addresses until their network data is loaded, so that neither's heap is the other's plus the
 * data: `interleavedPair`); a fixed offered rate below
 * capacity (`--rate`, default half of a 2 s capacity probe of `manual`) goes to one and then the other
 * in slices of `--slice-ms` (1000), `--pairs` times (default 30; 8 with --quick), the load paced by
 * `review-paced-load.mjs`. Each process's CPU is read at every slice boundary (the sum over its
 * threads of /proc/PID/task/TID/schedstat, in ns) and charged to a slice from its start to the start
 * of that gateway's next slice, so the batch work that spills into the other's slice stays with the
 * gateway that caused it (`review-interleave.mjs`). It prints the ratio of the sums (auto CPU per
 * request ÷ manual's over all slices: at a rate below capacity the capacity lost is ≈ 1 − 1/ratio),
 * the per-pair median and quartiles, the gateway CPU per new address and whether every slice held its
 * rate. Only `--new-every`'s first value is used.
 *
 * `--control` reads the bench's own bias: in place of `auto` a second `manual` gateway (`same`, an
 * A/A), or one part of `auto` (`cold`, `auto-bare`: `interleavedPair` in review-interleave.mjs);
 * `--second-first` runs the second gateway first in every pair (and starts it first); `--trace-gc`
 * starts the gateways with Node's `--trace-gc` and prints each one's GC pauses over the window;
 * `--semi-space=MB` fixes both gateways' young generation at that size (V8's own grows it with the
 * process's history, which differs between the two).
 */
import { execSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpAddress, IpSet } from '@ipgate/core';
import { loadIpLocationData, openSqliteStore } from '@ipgate/server';
import Database from 'better-sqlite3';
import { assess } from '../apps/server/dist/review/assessment.js';
import { AutoReview } from '../apps/server/dist/review/auto-review.js';
import { listedFacts } from '../apps/server/dist/review/listed-facts.js';
import { defaultReviewSettings, parseReviewSettings } from '../apps/server/dist/review/review-settings.js';
import { startProcess } from './gateway-processes.mjs';
import { gcPauses } from './gc-trace.mjs';
import { attributeSlices, interleavedPair, perNewAddress, summarize } from './review-interleave.mjs';
import { pacedClient } from './review-paced-load.mjs';

const quick = process.argv.includes('--quick');
const roundsArg = process.argv.find((a) => a.startsWith('--rounds='));
const ROUNDS = roundsArg === undefined ? (quick ? 1 : 2) : Number(roundsArg.slice('--rounds='.length));
if (!Number.isInteger(ROUNDS) || ROUNDS < 1)
  throw new Error(`--rounds takes a whole number ≥ 1, got ${roundsArg}`);
const profIndex = process.argv.indexOf('--cpu-prof');
const profDir = profIndex === -1 ? undefined : process.argv[profIndex + 1];
if (profIndex !== -1 && (profDir === undefined || profDir.startsWith('--')))
  throw new Error('--cpu-prof needs a directory: node bench/review.bench.mjs --cpu-prof /tmp/prof');
const newEveryArg = process.argv.find((a) => a.startsWith('--new-every='));
const NEW_EVERY = (newEveryArg?.slice('--new-every='.length) ?? '50').split(',').map((t) => {
  const n = Number(t);
  if (!Number.isInteger(n) || n < 2)
    throw new Error(
      `--new-every takes whole numbers from 2, comma-separated (e.g. --new-every=50,200,1000); got ${JSON.stringify(t)}`,
    );
  return n;
});
const interleave = process.argv.includes('--interleave');
function wholeArg(name, fallback, min) {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (arg === undefined) return fallback;
  const n = Number(arg.slice(name.length + 3));
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} takes a whole number ≥ ${min}, got ${arg}`);
  return n;
}
const PAIRS = wholeArg('pairs', quick ? 8 : 30, 1);
const SLICE_MS = wholeArg('slice-ms', 1000, 100);
const RATE = wholeArg('rate', undefined, 1);
const controlArg = process.argv.find((a) => a === '--control' || a.startsWith('--control='));
const CONTROL =
  controlArg === undefined ? undefined : controlArg === '--control' ? 'same' : controlArg.slice(10);
const SECOND_FIRST = process.argv.includes('--second-first');
const TRACE_GC = process.argv.includes('--trace-gc');
const SEMI_SPACE_MB = wholeArg('semi-space', undefined, 1);
if ((CONTROL !== undefined || SECOND_FIRST || TRACE_GC || SEMI_SPACE_MB !== undefined) && !interleave)
  throw new Error(
    '--control, --second-first, --trace-gc and --semi-space are options of --interleave: add --interleave',
  );
const BIN = fileURLToPath(new URL('../apps/cli/bin/ipgate.js', import.meta.url));
const LOAD = fileURLToPath(new URL('./review-load.mjs', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('./gateway-upstream.mjs', import.meta.url));

// Public addresses of ordinary (non-hosting) networks; the /48 is where new addresses come from.
const KNOWN = ['81.2.69.142', '85.214.132.117', '193.99.144.80', '2003:e1:1::1'];
const PREFIX48 = '2003:e1:1';

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median ns per call over batches of `batch` calls of `fn(i)`, for about `ms` milliseconds. */
function time(fn, count, batch, ms) {
  for (let i = 0; i < Math.min(count, 20_000); i++) fn(i); // warm-up
  const per = [];
  let i = 0;
  const end = performance.now() + ms;
  const cpu = process.cpuUsage();
  while (performance.now() < end) {
    const t = process.hrtime.bigint();
    for (let k = 0; k < batch; k++) fn(i++ % count);
    per.push(Number(process.hrtime.bigint() - t) / batch);
  }
  const used = process.cpuUsage(cpu);
  // Wall-clock median, and CPU time per call (what this process spent: a fairer figure on a busy machine).
  return { wall: median(per), cpu: ((used.user + used.system) * 1000) / i };
}

async function assessmentTimes() {
  const t0 = performance.now();
  const data = await loadIpLocationData();
  const loadMs = performance.now() - t0;
  // Seeded public addresses: IPv4 outside the reserved blocks, IPv6 in 2000::/3.
  let x = 12345;
  const rand = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x;
  };
  const addrs = [];
  while (addrs.length < 200_000) {
    const v = rand();
    const a = IpAddress.fromIPv4Number(v);
    if (addrs.length % 4 === 3)
      addrs.push(IpAddress.fromWords(6, 0x20000000 | (rand() & 0x1fffffff), rand(), 0, 1));
    else if (data.facts(a).reserved === null) addrs.push(a);
  }
  const list = IpSet.from(KNOWN);
  const listed = listedFacts(list, data);
  const facts = addrs.map((a) => data.facts(a));
  const settings = defaultReviewSettings;
  const tenant = {
    id: 'ten_bench',
    restriction: { mode: 'auto', list },
    entryIds: undefined,
    rulesVersion: 1,
    expired: 0,
    // As every compiled tenant carries it: the addresses a person rejected (none here).
    rejected: new Set(),
  };
  const review = new AutoReview({
    facts: data,
    settings: parseReviewSettings('burstLimit=1000'),
    authorize: async () => ({ ok: true }),
  });
  const ms = quick ? 1000 : 3000;
  const factsNs = time((i) => data.facts(addrs[i]), addrs.length, 1000, ms);
  const assessNs = time(
    (i) => assess(facts[i], { listed, newAddressesOnKey: 1, authFailures: 0 }, settings, data.version),
    addrs.length,
    1000,
    ms,
  );
  // Each call a new (key, address) pair: what the request path does for an address it has not seen.
  let k = 0;
  const decideNs = time((i) => review.decide(tenant, `key_${k++ % 997}`, addrs[i]), addrs.length, 1000, ms);
  return { loadMs, factsNs, assessNs, decideNs, data };
}

async function setUp(dataDir, mode, upstreamUrl, keys) {
  const store = await openSqliteStore({ path: join(dataDir, 'ipgate.db') });
  try {
    const actor = { actor: 'user:bench' };
    await store.createApi({ name: 'bench', upstreamUrl }, actor);
    const tenant = await store.createTenant({ name: 'bench', ipMode: mode, ipEntryLimit: 100_000 }, actor);
    for (const value of KNOWN) await store.addTenantIpEntry(tenant.id, { value }, actor);
    const secrets = [];
    for (let i = 0; i < keys; i++)
      secrets.push((await store.createKey(tenant.id, { name: `k${i}` }, actor)).secret);
    return { tenantId: tenant.id, secrets };
  } finally {
    await store.close();
  }
}

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc (Linux): all its threads, or
 * with `mainThread` only the one that runs its event loop (its thread id is the process id).
 */
function cpuMs(pid, mainThread = false) {
  const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), counted from the state field (3) here.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / Number(execSync('getconf CLK_TCK'));
}

async function serve(dataDir, profileName) {
  const prof =
    profDir === undefined
      ? []
      : // A directory per run, Node's own file names: one profile per thread (the event loop and the
        // recorder thread); one --cpu-prof-name would have the threads write over each other.
        ['--cpu-prof', `--cpu-prof-dir=${join(profDir, profileName)}`];
  const started = await startProcess(
    process.execPath,
    [
      ...prof,
      ...(TRACE_GC ? ['--trace-gc'] : []),
      // A young generation of one fixed size: V8 grows it with the process's history, so two like
      // gateways ran 73 and 160 scavenges over the same requests (bench/README.md#auto-review).
      ...(SEMI_SPACE_MB === undefined
        ? []
        : [`--min-semi-space-size=${SEMI_SPACE_MB}`, `--max-semi-space-size=${SEMI_SPACE_MB}`]),
      BIN,
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
      '--data-dir',
      dataDir,
      '--trust-proxy',
      '127.0.0.1',
      '--review',
      'burstLimit=1000',
      '--log-level',
      'warn',
    ],
    /gateway \(proxy\): +(http:\/\/\S+)/,
  );
  return { url: started.match[1], stop: started.stop, pid: started.child.pid, output: started.output };
}

/** Whether the newest assessment the gateway stored was made with the network data loaded. */
function assessedWithData(dataDir) {
  const db = new Database(join(dataDir, 'ipgate.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare(
        'select assessment from observed_ips where assessment is not null order by assessed_at desc limit 1',
      )
      .get();
    return row !== undefined && JSON.parse(row.assessment).data?.date != null;
  } finally {
    db.close();
  }
}

async function warmUpReview(dataDir, args) {
  for (let i = 0; i < 30; i++) {
    await load({ ...args, seed: args.seed + i * 10_000, durationS: 2 });
    if (assessedWithData(dataDir)) return;
  }
  throw new Error('the gateway did not load its network data within the warm-up');
}

function load(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOAD, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1)))
        : reject(new Error(`load exited ${code}`)),
    );
  });
}

/** Monotonic µs, the clock of a --cpu-prof profile's timestamps (any process on this machine). */
function monotonicUs() {
  return Number(process.hrtime.bigint() / 1000n);
}

async function gatewayRuns() {
  const upstream = await startProcess(process.execPath, [UPSTREAM, '1'], /"port":(\d+)/);
  const upstreamUrl = `http://127.0.0.1:${upstream.match[1]}`;
  const durationS = quick ? 4 : 10;
  const rounds = ROUNDS;
  // `manual` with a known list, then `auto` at each stream rate: [label, mode, newEvery].
  const runs = [['manual', 'manual', 0], ...NEW_EVERY.map((n) => [`auto-${n}`, 'auto', n])];
  const results = new Map(runs.map(([label]) => [label, []]));
  const dirs = [];
  try {
    for (let round = 0; round < rounds; round++) {
      // Every other round runs in reverse order, so that a host whose speed drifts during a round
      // (this one moves by up to 2× within minutes) does not always favour the modes measured first.
      for (const [label, mode, newEvery] of round % 2 === 0 ? runs : [...runs].reverse()) {
        const { server, common } = await warmGateway(
          dirs,
          mode,
          upstreamUrl,
          `${label}-round${round + 1}`,
          round,
        );
        try {
          const cpuBefore = cpuMs(server.pid);
          const mainBefore = cpuMs(server.pid, true);
          const windowUs = [monotonicUs()];
          const r = await load({ ...common, newEvery, durationS });
          windowUs.push(monotonicUs());
          r.cpuUsPerRequest = ((cpuMs(server.pid) - cpuBefore) * 1000) / r.total;
          r.mainCpuUsPerRequest = ((cpuMs(server.pid, true) - mainBefore) * 1000) / r.total;
          results.get(label).push(r);
          console.log(
            `${label} round ${round + 1}: ${Math.round(r.rps)} req/s, ${r.non2xx} non-2xx, ${r.newAddresses} new addresses, gateway CPU ${r.cpuUsPerRequest.toFixed(1)} µs/request (event-loop thread ${r.mainCpuUsPerRequest.toFixed(1)})${profDir === undefined ? '' : `, profile window ${windowUs.join(' ')} µs`}`,
          );
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    await upstream.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return { results, durationS };
}

/**
 * A gateway of `mode` on a fresh store (its directory added to `dirs`), warmed up: 2 s of known
 * addresses, and with `warmNew` (by default for `auto`) new addresses (others than a measured run's)
 * until it has loaded its network data — seconds of CPU once per process, on its first unlisted
 * address (in `manual` for the advice: nothing is listed). `round` sets the
 * loads' seeds. Resolves with the server and the load options common to its measured runs.
 */
async function warmGateway(dirs, mode, upstreamUrl, name, round, warmNew = mode === 'auto') {
  const dir = mkdtempSync(join(tmpdir(), `ipgate-review-bench-${mode}-`));
  dirs.push(dir);
  const { secrets } = await setUp(dir, mode, upstreamUrl, 50);
  const server = await serve(dir, name);
  const common = {
    url: `${server.url}/`,
    secrets,
    known: KNOWN,
    prefix48: PREFIX48,
    connections: 50,
    seed: round + 1,
  };
  try {
    await load({ ...common, newEvery: 0, durationS: 2 });
    if (warmNew) await warmUpReview(dir, { ...common, newEvery: 50, seed: 1000 + round });
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { server, common };
}

/**
 * CPU time (ms, ns resolution) a process has used so far: the sum over its live threads of
 * /proc/PID/task/TID/schedstat's time on a CPU (Linux). /proc/PID/stat counts in ticks of 10 ms,
 * too coarse for slices of ~250 ms of CPU; a thread that ends between two readings would take its
 * time with it, which Node's threads (event loop, recorder, V8's, libuv's pool) do not do while the
 * process serves. With `mainThread`, the event-loop thread's alone.
 */
function schedCpuMs(pid, mainThread = false) {
  const tids = mainThread ? [String(pid)] : readdirSync(`/proc/${pid}/task`);
  let ns = 0;
  for (const tid of tids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended after the directory was listed.
    }
  }
  return ns / 1e6;
}

async function interleavedRun() {
  const upstream = await startProcess(process.execPath, [UPSTREAM, '1'], /"port":(\d+)/);
  const upstreamUrl = `http://127.0.0.1:${upstream.match[1]}`;
  const [base, test] = interleavedPair(CONTROL, NEW_EVERY[0]);
  const order = SECOND_FIRST ? [test, base] : [base, test];
  const dirs = [];
  const servers = [];
  const clients = [];
  try {
    const gateways = {};
    // Started and warmed in the order of the pair, so that `--second-first` swaps that too.
    for (const spec of order) {
      const { server, common } = await warmGateway(
        dirs,
        spec.mode,
        upstreamUrl,
        `${spec.label}-interleaved`,
        0,
        spec.warmNew,
      );
      servers.push(server);
      const { secrets } = common;
      const client = pacedClient(server.url, {
        secrets,
        known: KNOWN,
        prefix48: PREFIX48,
        firstFresh: 7_000_000,
      });
      clients.push(client);
      gateways[spec.label] = { server, client, common, newEvery: spec.newEvery };
    }
    let rate = RATE;
    if (rate === undefined) {
      const probe = await load({ ...gateways[base.label].common, newEvery: 0, durationS: 2 }).catch(
        () => undefined,
      );
      if (probe === undefined) throw new Error('the capacity probe failed');
      rate = Math.round(probe.rps / 2);
      console.log(
        `capacity probe (${base.label}, 2 s): ${Math.round(probe.rps)} req/s; offered rate ${rate} req/s`,
      );
    }
    const labels = order.map((g) => g.label);
    // One warm slice each at the offered rate, not counted.
    for (const label of labels)
      await gateways[label].client.slice({ rate, ms: SLICE_MS, newEvery: gateways[label].newEvery });
    const read = () => {
      const r = {};
      for (const label of labels) {
        r[label] = schedCpuMs(gateways[label].server.pid);
        r[`${label}-main`] = schedCpuMs(gateways[label].server.pid, true);
      }
      return r;
    };
    const slices = [];
    const boundaries = [];
    const windowUs = [monotonicUs()];
    const outputFrom = Object.fromEntries(labels.map((l) => [l, gateways[l].server.output().length]));
    // One order in every pair: a host drifting at the 1.5× over ten minutes seen here moves a
    // second-later slice by < 0.1 %, far below what is read; alternating the order would instead
    // put two slices of one gateway side by side and hand the first one's spill to the second.
    // Whether the place in the pair biases the ratio is what `--control` with `--second-first` reads.
    for (let p = 0; p < PAIRS; p++) {
      for (const label of labels) {
        boundaries.push(read());
        const r = await gateways[label].client.slice({
          rate,
          ms: SLICE_MS,
          newEvery: gateways[label].newEvery,
        });
        slices.push({ gateway: label, ...r });
      }
    }
    // The last slice's spill: an idle stretch as long as a slice, then the final reading.
    await new Promise((resolve) => setTimeout(resolve, SLICE_MS));
    boundaries.push(read());
    windowUs.push(monotonicUs());
    const gcText = Object.fromEntries(
      labels.map((l) => [l, gateways[l].server.output().slice(outputFrom[l])]),
    );
    const charged = attributeSlices(slices, boundaries);
    const s = summarize(charged, { base: base.label, test: test.label });
    // The event-loop threads alone, charged the same way.
    const mainCharged = attributeSlices(
      slices.map((c) => ({ ...c, gateway: `${c.gateway}-main` })),
      boundaries,
    );
    const m = summarize(mainCharged, { base: `${base.label}-main`, test: `${test.label}-main` });
    const worstDrain = Math.max(...slices.map((c) => c.drainMs));
    const failed = slices.reduce((n, c) => n + c.non2xx + c.errors, 0);
    const byGateway = (label, f) => slices.filter((c) => c.gateway === label).reduce((n, c) => n + c[f], 0);
    const [B, T] = [base.label, test.label];
    const stream = test.newEvery === 0 ? 'no new addresses' : `1 new address in ${test.newEvery}`;
    console.log(
      `interleaved: ${PAIRS} pairs of ${SLICE_MS} ms slices at ${rate} req/s, ${labels.join(' then ')} in each pair, ${T} ${stream}: ${B} ${byGateway(B, 'requests')} requests, ${T} ${byGateway(T, 'requests')} (${s.newAddresses} new addresses)${profDir === undefined ? '' : `, profile window ${windowUs.join(' ')} µs`}`,
    );
    console.log(
      `  CPU per request: ${B} ${s.baseCpuUsPerRequest.toFixed(1)} µs, ${T} ${s.testCpuUsPerRequest.toFixed(1)} µs: ${T}/${B} (ratio of the sums) ${s.sumRatio.toFixed(3)} (≈ ${((1 - 1 / s.sumRatio) * 100).toFixed(1)} % capacity lost); per pair median ${s.median.toFixed(3)}, quartiles ${s.q1.toFixed(3)}–${s.q3.toFixed(3)}`,
    );
    console.log(
      `  gateway CPU ${perNewAddress(s.cpuPerNewMs)}; event-loop thread: ${B} ${m.baseCpuUsPerRequest.toFixed(1)} µs, ${T} ${m.testCpuUsPerRequest.toFixed(1)} µs per request, ${T}/${B} ${m.sumRatio.toFixed(3)} (pairs ${m.q1.toFixed(3)}–${m.median.toFixed(3)}–${m.q3.toFixed(3)}), its CPU ${perNewAddress(m.cpuPerNewMs)}`,
    );
    console.log(
      `  offered rate held: ${s.notHeld === 0 ? 'every slice' : `NOT in ${s.notHeld} of ${slices.length} slices`} (worst drain after a slice ${worstDrain.toFixed(0)} ms, ${failed} failed requests)`,
    );
    console.log(`  per-pair ratios: ${s.pairRatios.map((x) => x.toFixed(3)).join(' ')}`);
    if (TRACE_GC) {
      for (const label of [B, T]) {
        const g = gcPauses(gcText[label]);
        const requests = byGateway(label, 'requests');
        console.log(
          `  GC pauses of ${label} (event loop, over the measured window): ${g.young.count} young, ${g.young.ms.toFixed(1)} ms; ${g.full.count} full, ${g.full.ms.toFixed(1)} ms; ${(((g.young.ms + g.full.ms) * 1000) / requests).toFixed(2)} µs per request; heap after the last full one ${g.liveMb === null ? '–' : `${g.liveMb} MB`}`,
        );
      }
    }
  } finally {
    for (const c of clients) await c.close();
    for (const server of servers) await server.stop();
    await upstream.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

const uptimeBefore = execSync('uptime').toString().trim();
const a = await assessmentTimes();
console.log(
  `network data load: ${a.loadMs.toFixed(0)} ms (${a.data.version.date}; ${a.data.table.size.v4} IPv4 + ${a.data.table.size.v6} IPv6 ASN ranges)`,
);
const f = (t) => `${t.wall.toFixed(0)} ns wall (median of 1000-call batches), ${t.cpu.toFixed(0)} ns CPU`;
console.log(
  `per new address: facts ${f(a.factsNs)}; assess ${f(a.assessNs)}; AutoReview.decide ${f(a.decideNs)}`,
);
if (interleave) await interleavedRun();
else oldModeSummary(await gatewayRuns());

function oldModeSummary(g) {
  const avg = (rs, field = 'rps') => rs.reduce((s, r) => s + r[field], 0) / rs.length;
  const manual = avg(g.results.get('manual'));
  const cpuManual = avg(g.results.get('manual'), 'cpuUsPerRequest');
  const mainManual = avg(g.results.get('manual'), 'mainCpuUsPerRequest');
  console.log(
    `gateway: manual (known list) ${Math.round(manual)} req/s, CPU ${cpuManual.toFixed(1)} µs/request (event-loop thread ${mainManual.toFixed(1)})`,
  );
  for (const n of NEW_EVERY) {
    const rs = g.results.get(`auto-${n}`);
    const auto = avg(rs);
    const cpuAuto = avg(rs, 'cpuUsPerRequest');
    const mainAuto = avg(rs, 'mainCpuUsPerRequest');
    // The CPU a new address costs the gateway beyond a known one's request: (auto − manual) × N.
    const perNewMs = ((cpuAuto - cpuManual) * n) / 1000;
    const manualRounds = g.results.get('manual');
    const perRound = (field) => median(rs.map((r, i) => r[field] / manualRounds[i][field]));
    console.log(
      `gateway: auto (1 new address in ${n}) ${Math.round(auto)} req/s: auto/manual ${(auto / manual).toFixed(3)} (${((1 - auto / manual) * 100).toFixed(1)} % loss); CPU ${cpuAuto.toFixed(1)} µs/request: auto/manual ${(cpuAuto / cpuManual).toFixed(3)}, ≈ ${perNewMs.toFixed(2)} ms CPU per new address; event-loop thread ${mainAuto.toFixed(1)} µs/request: auto/manual ${(mainAuto / mainManual).toFixed(3)}`,
    );
    console.log(
      `  median of the ${rs.length} per-round ratios (auto ÷ that round's manual): req/s ${perRound('rps').toFixed(3)}, CPU per request ${perRound('cpuUsPerRequest').toFixed(3)} (≈ ${(((perRound('cpuUsPerRequest') - 1) * cpuManual * n) / 1000).toFixed(2)} ms CPU per new address), event-loop thread ${perRound('mainCpuUsPerRequest').toFixed(3)}`,
    );
  }
}
console.log(`uptime before: ${uptimeBefore}`);
console.log(`uptime after:  ${execSync('uptime').toString().trim()}`);
