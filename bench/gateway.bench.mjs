/**
 * The gateway benchmark: in one run, one after the other on loopback, with the same load —
 * the upstream alone, a bare undici reverse proxy in Node, ipgate with the full pipeline, and nginx
 * with the same 1,000 `allow` rules. Reports requests/s and p50/p99 latency, the ratios and targets.
 *
 *   npm run bench:gateway              # 50 connections, 3 s warm-up + 10 s per target, 3 rounds
 *   npm run bench:gateway -- --quick   # 1 s warm-up + 3 s per target, 1 round
 *   npm run bench:gateway -- --quick --only=bare,ipgate   # just those rows (upstream, bare, ipgate, nginx)
 *   npm run bench:gateway -- --rounds=5   # bare proxies and ipgate measured in turn 5 times; medians
 *   npm run bench:gateway -- --quick --only=bare,ipgate,ipgate-denials   # also ipgate with --request-log=denials
 *
 * Needs a build (`npx tsc -b`; the npm script runs it) and, for the nginx row, Debian's nginx
 * (`apt-get update && apt-get install -y nginx`); without it that row is skipped, not failed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { treeCpuSeconds } from './gateway-cpu.mjs';
import { ruleList } from './gateway-data.mjs';
import { countedCalls, observedCalls, setUpIpgate, startIpgate } from './gateway-ipgate.mjs';
import { INSTALL_NGINX, nginxAvailable, startNginx } from './gateway-nginx.mjs';
import { runProcess, startProcess } from './gateway-processes.mjs';

const quick = process.argv.includes('--quick');
/**
 * `--only=bare,ipgate`: run just these rows (to iterate faster): upstream, bare, bare-dispatch,
 * ipgate, ipgate-denials, nginx. The full run measures all of them but ipgate-denials (ipgate with
 * `--request-log=denials`: allowed requests counted per minute, not logged one by one), which runs
 * when `--only` names it, in turn with the others.
 */
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const runs = (row) => (only === undefined ? row !== 'ipgate-denials' : only.includes(row));
/**
 * `--rounds=N`: measure the bare proxies and ipgate in turn N times (every other time in reverse
 * order); rows and ratios are medians.
 * Default 3 for the full run (the box is shared: one measurement each can land on a noisy moment
 * for one row only), 1 with `--quick`.
 */
const ROUNDS = Number(
  process.argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? (quick ? 1 : 3),
);
const CONNECTIONS = 50;
/**
 * The latency phase: a fixed offered load far below every proxy's saturation point (a fifth of the
 * bare proxy's throughput on this machine), so p99 measures what a proxy adds to a request. At
 * saturation (the throughput phase) p99 is mostly queueing behind a busy CPU, and any proxy that
 * spends more CPU per request queues longer: that is throughput again, not added latency.
 */
const LATENCY_RATE = 2_000;
const LATENCY_CONNECTIONS = 10;
const WARM_UP_S = quick ? 1 : 3;
const DURATION_S = quick ? 3 : 10;
/** ipgate's gateway workers, the bare proxy's and nginx's worker processes: one per core. */
const WORKERS = os.availableParallelism();
/**
 * The upstream's processes. Two on a two-core machine: it answers from a constant buffer, so two
 * processes serve more than any proxy in front of them can pass on (the "upstream alone" row shows
 * the headroom); more processes would only add context switches on the same two cores.
 */
const UPSTREAM_PROCESSES = Math.max(2, WORKERS);
const here = (file) => fileURLToPath(new URL(file, import.meta.url));

function machine() {
  const lscpu = (() => {
    try {
      return /Model name:\s*(.+)/.exec(execFileSync('lscpu', { encoding: 'utf8' }))?.[1]?.trim() ?? '?';
    } catch {
      return '?';
    }
  })();
  const uptime = execFileSync('uptime', { encoding: 'utf8' }).trim();
  return { nproc: os.availableParallelism(), node: process.version, cpu: lscpu, uptime };
}

/** A port nobody listens on now (for nginx, which needs one in its configuration). */
function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Status of one GET from the loopback address `from`, on a connection of its own. */
function statusFrom(url, from, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = get(url, { localAddress: from, agent: false, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
  });
}

async function expectStatus(label, url, from, headers, expected) {
  const status = await statusFrom(url, from, headers);
  if (status !== expected) throw new Error(`${label}: from ${from} expected ${expected}, got ${status}`);
  console.log(`  check ${label}: from ${from} → ${status} (as expected)`);
}

async function load(url, headers, durationS, { connections = CONNECTIONS, rate } = {}) {
  const options = JSON.stringify({ url, connections, durationS, headers, rate });
  return JSON.parse(await runProcess(process.execPath, [here('./gateway-load.mjs'), options]));
}

/** Warm-up, then the measured run, with the CPU each part of the set-up used meanwhile. */
async function measure(name, url, headers, { targetPid, upstreamPid }) {
  await load(url, headers, WARM_UP_S);
  const before = { target: treeCpuSeconds(targetPid), upstream: treeCpuSeconds(upstreamPid) };
  const result = await load(url, headers, DURATION_S);
  const cpu = {
    target: treeCpuSeconds(targetPid) - before.target,
    upstream: targetPid === upstreamPid ? 0 : treeCpuSeconds(upstreamPid) - before.upstream,
    load: result.cpuS,
  };
  const bad = result.non2xx + result.errors + result.timeouts;
  console.log(
    `  ${name}: ${Math.round(result.rps)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms` +
      ` (${result.total} requests${bad > 0 ? `, ${bad} NOT 2xx/errors/timeouts` : ''})` +
      ` — CPU s over ${DURATION_S} s: target ${cpu.target.toFixed(1)}, upstream ${cpu.upstream.toFixed(1)}, load generator ${cpu.load.toFixed(1)}`,
  );
  if (bad > 0) throw new Error(`${name}: ${bad} requests were not answered 2xx; the figures would be wrong`);
  return { name, ...result, cpu };
}

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main() {
  const info = machine();
  console.log(`Gateway benchmark${quick ? ' — quick' : ''}`);
  console.log(`  machine: ${info.nproc} cores (${info.cpu}), Node ${info.node}`);
  console.log(`  load before the run: ${info.uptime}`);
  console.log(
    `  load: autocannon in its own process, ${CONNECTIONS} keep-alive connections, ${WARM_UP_S} s warm-up + ${DURATION_S} s per target;` +
      ` it shares the ${info.nproc} cores with what it measures`,
  );
  console.log(
    `  workers: ipgate ${WORKERS}, bare proxy ${WORKERS}, nginx ${WORKERS}; upstream ${UPSTREAM_PROCESSES} processes`,
  );

  const tmp = mkdtempSync(join(os.tmpdir(), 'ipgate-gateway-bench-'));
  const apiAllow = ruleList(1_000, 3);
  const tenantAllow = ruleList(1_000, 4);
  const results = [];
  let ipgateResult;
  let roundRatios = [];
  let latency = [];
  // The same Authorization header goes to nginx, so both proxies forward the same request.
  let auth = {};
  const stops = [];
  try {
    const upstream = await startProcess(
      process.execPath,
      [here('./gateway-upstream.mjs'), String(UPSTREAM_PROCESSES)],
      /"port":(\d+)/,
    );
    stops.push(upstream.stop);
    const upstreamUrl = `http://127.0.0.1:${upstream.match[1]}`;
    const pids = { upstreamPid: upstream.child.pid };

    // 1. The upstream alone.
    if (runs('upstream')) {
      console.log('\nupstream alone');
      await expectStatus('upstream', `${upstreamUrl}/v1/thing`, '127.0.0.1', {}, 200);
      results.push(
        await measure(
          'upstream alone',
          `${upstreamUrl}/v1/thing`,
          {},
          { ...pids, targetPid: pids.upstreamPid },
        ),
      );
    }

    // 2 and 3. The bare undici reverse proxy and ipgate, both started, then measured in turn for
    // ROUNDS rounds: the machine is shared, and background load that drifts during a run hits
    // both in every round alike, where one long measurement each would hit only one of them.
    const proxies = [];
    if (runs('bare')) {
      console.log('\nbare undici reverse proxy');
      const bare = await startProcess(
        process.execPath,
        [here('./gateway-bare-proxy.mjs'), String(WORKERS), upstreamUrl],
        /"port":(\d+)/,
      );
      stops.push(bare.stop);
      const bareUrl = `http://127.0.0.1:${bare.match[1]}/v1/thing`;
      await expectStatus('bare proxy', bareUrl, '127.0.0.1', {}, 200);
      proxies.push({
        name: 'bare Node proxy (undici)',
        url: bareUrl,
        headers: {},
        pid: bare.child.pid,
        stop: bare.stop,
      });
    }
    if (runs('bare-dispatch')) {
      console.log(
        '\nbare undici proxy through pool.dispatch (the primitive ipgate forwards with; not the baseline)',
      );
      const lean = await startProcess(
        process.execPath,
        [here('./gateway-bare-proxy.mjs'), String(WORKERS), upstreamUrl, 'dispatch'],
        /"port":(\d+)/,
      );
      stops.push(lean.stop);
      const leanUrl = `http://127.0.0.1:${lean.match[1]}/v1/thing`;
      await expectStatus('bare dispatch proxy', leanUrl, '127.0.0.1', {}, 200);
      proxies.push({
        name: 'bare Node proxy (undici dispatch)',
        url: leanUrl,
        headers: {},
        pid: lean.child.pid,
        stop: lean.stop,
      });
    }
    let ipgateRun;
    if (runs('ipgate')) {
      console.log(
        '\nipgate (API allowlist 1,000, key auth, tenant list 1,000 in manual mode, key IP restriction, recording)',
      );
      const dataDir = join(tmp, 'ipgate');
      const setUpStarted = Date.now();
      const rules = await setUpIpgate(dataDir, { upstreamUrl, apiAllow, tenantAllow });
      console.log(`  set up through the store in ${((Date.now() - setUpStarted) / 1000).toFixed(1)} s`);
      const ipgate = await startIpgate(dataDir, WORKERS);
      stops.push(ipgate.stop);
      const ipgateUrl = `${ipgate.gatewayUrl}/v1/thing`;
      auth = { authorization: `Bearer ${rules.secret}` };
      // The pipeline is on: the client passes every stage, another address and a missing key do not.
      await expectStatus('ipgate, key', ipgateUrl, '127.0.0.1', auth, 200);
      await expectStatus('ipgate, key, unlisted address', ipgateUrl, '127.0.0.2', auth, 403);
      await expectStatus('ipgate, no key', ipgateUrl, '127.0.0.1', {}, 401);
      ipgateRun = { ipgate, dataDir, rules };
      proxies.push({ name: `ipgate (${ipgate.command})`, url: ipgateUrl, headers: auth, pid: ipgate.pid });
    }
    let denialsRun;
    if (runs('ipgate-denials')) {
      console.log('\nipgate as above, with --request-log=denials (allowed requests counted per minute)');
      const dataDir = join(tmp, 'ipgate-denials');
      const rules = await setUpIpgate(dataDir, { upstreamUrl, apiAllow, tenantAllow });
      const ipgate = await startIpgate(dataDir, WORKERS, { serveArgs: ['--request-log=denials'] });
      stops.push(ipgate.stop);
      const url = `${ipgate.gatewayUrl}/v1/thing`;
      const headers = { authorization: `Bearer ${rules.secret}` };
      if (Object.keys(auth).length === 0) auth = headers;
      await expectStatus('ipgate denials, key', url, '127.0.0.1', headers, 200);
      await expectStatus('ipgate denials, key, unlisted address', url, '127.0.0.2', headers, 403);
      denialsRun = { ipgate, dataDir, rules };
      proxies.push({ name: `denials: ipgate (${ipgate.command})`, url, headers, pid: ipgate.pid });
    }
    const perRound = proxies.map(() => []);
    for (let round = 1; round <= ROUNDS; round++) {
      if (ROUNDS > 1) console.log(`\nround ${round} of ${ROUNDS}`);
      // Every other round in reverse order: a drift within a round does not always favour the
      // proxies measured first.
      const order = [...proxies.entries()];
      if (round % 2 === 0) order.reverse();
      for (const [i, proxy] of order) {
        perRound[i].push(
          await measure(proxy.name, proxy.url, proxy.headers, { ...pids, targetPid: proxy.pid }),
        );
      }
    }
    // The latency phase: every proxy at the same fixed, unsaturated rate, in turn, ROUNDS times.
    const latencyRows = proxies.map(() => []);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [i, proxy] of proxies.entries()) {
        await load(proxy.url, proxy.headers, WARM_UP_S, {
          connections: LATENCY_CONNECTIONS,
          rate: LATENCY_RATE,
        });
        const r = await load(proxy.url, proxy.headers, DURATION_S, {
          connections: LATENCY_CONNECTIONS,
          rate: LATENCY_RATE,
        });
        console.log(
          `  ${proxy.name} at ${LATENCY_RATE} req/s offered: ${Math.round(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`,
        );
        if (r.non2xx + r.errors + r.timeouts > 0)
          throw new Error(`${proxy.name}: not every request was answered 2xx`);
        latencyRows[i].push(r);
      }
    }
    latency = proxies.map((proxy, i) => ({
      name: proxy.name,
      p50: median(latencyRows[i].map((r) => r.p50)),
      p99: median(latencyRows[i].map((r) => r.p99)),
      rounds: latencyRows[i],
    }));
    for (const proxy of proxies) if (proxy.stop !== undefined) await proxy.stop();
    for (const rows of perRound) results.push(medianByRate(rows));
    const rowsOf = (prefix) => perRound[proxies.findIndex((p) => p.name.startsWith(prefix))];
    const bareRows = rowsOf('bare Node proxy (undici)');
    const leanRows = rowsOf('bare Node proxy (undici dispatch)');
    const ipgateRows = rowsOf('ipgate');
    const denialsRows = rowsOf('denials: ipgate');
    if (bareRows !== undefined && ipgateRows !== undefined) {
      roundRatios = bareRows.map((bare, r) => ({ bare, lean: leanRows?.[r], ipgate: ipgateRows[r] }));
    }
    if (bareRows !== undefined && denialsRows !== undefined) {
      const per = bareRows.map((bare, r) => denialsRows[r].rps / bare.rps);
      const vsAll = ipgateRows === undefined ? [] : ipgateRows.map((row, r) => denialsRows[r].rps / row.rps);
      console.log(
        `\nipgate --request-log=denials / bare Node proxy, per round: ${per.map((x) => `${fmt(x * 100, 1)}%`).join(', ')}; median ${fmt(median(per) * 100, 1)}%` +
          (vsAll.length === 0
            ? ''
            : `; / ipgate (all), per round: ${vsAll.map((x) => `${fmt(x * 100, 1)}%`).join(', ')}; median ${fmt(median(vsAll) * 100, 1)}%`),
      );
    }
    ipgateResult = results.find((r) => r.name.startsWith('ipgate'));
    if (denialsRun !== undefined) {
      await denialsRun.ipgate.stop();
      const observed = await observedCalls(denialsRun.dataDir, denialsRun.rules.tenantId, '127.0.0.1');
      const counted = await countedCalls(denialsRun.dataDir, denialsRun.rules.tenantId);
      console.log(
        `  denials row: the store counts ${fmt(counted)} allowed requests in request_counts and observed ${fmt(observed)} calls`,
      );
    }
    if (ipgateRun !== undefined) {
      await ipgateRun.ipgate.stop();
      const measured = rowsOf('ipgate').reduce((n, r) => n + r.total, 0);
      const recorded = await observedCalls(ipgateRun.dataDir, ipgateRun.rules.tenantId, '127.0.0.1');
      console.log(
        `  recording was on: the store counts ${fmt(recorded)} calls from 127.0.0.1 with the key` +
          ` (warm-up + measured + checks; measured alone: ${fmt(measured)})`,
      );
    }

    // 4. nginx.
    if (runs('nginx')) {
      console.log('\nnginx (same 1,000 allow rules + deny all)');
      if (!nginxAvailable()) {
        console.log(`  SKIPPED: /usr/sbin/nginx is missing. Install it with:\n    ${INSTALL_NGINX}`);
      } else {
        const port = await freePort();
        const nginx = await startNginx({
          dir: join(tmp, 'nginx'),
          port,
          upstreamPort: Number(upstream.match[1]),
          allow: apiAllow,
          workers: WORKERS,
        });
        stops.push(nginx.stop);
        const nginxUrl = `http://127.0.0.1:${port}/v1/thing`;
        await expectStatus('nginx', nginxUrl, '127.0.0.1', auth, 200);
        await expectStatus('nginx, unlisted address', nginxUrl, '127.0.0.2', auth, 403);
        results.push(await measure('nginx (Debian)', nginxUrl, auth, { ...pids, targetPid: nginx.pid }));
        await nginx.stop();
      }
    }

    report(results, ipgateResult, roundRatios);
    reportLatency(latency);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}

const perRequestUs = (r) => (r.cpu.target / (r.rps * DURATION_S)) * 1e6;

function reportRows(results) {
  console.log(
    '\n| target | requests/s | p50 (ms) | p99 (ms) | CPU s: target / upstream / load gen | CPU µs per request (target) |',
  );
  console.log('|---|---:|---:|---:|---|---:|');
  for (const r of results) {
    const perRequest = perRequestUs(r);
    console.log(
      `| ${r.name} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${r.cpu.target.toFixed(1)} / ${r.cpu.upstream.toFixed(1)} / ${r.cpu.load.toFixed(1)} | ${fmt(perRequest)} |`,
    );
  }
}

/** The row with the median requests/s (the lower middle one for an even count). */
function medianByRate(rows) {
  return [...rows].sort((a, b) => a.rps - b.rps)[Math.floor((rows.length - 1) / 2)];
}

/** The median; for an even count the mean of the two middle values (neither side picked). */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor((sorted.length - 1) / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid] + sorted[mid + 1]) / 2;
}

function report(results, ipgate, rounds) {
  const bare = results.find((r) => r.name === 'bare Node proxy (undici)');
  const lean = results.find((r) => r.name === 'bare Node proxy (undici dispatch)');
  reportRows(results);
  if (bare === undefined || ipgate === undefined) return;
  const nginx = results.find((r) => r.name.startsWith('nginx'));
  // With several rounds, the ratio of each round (measured minutes apart at most) and their median.
  const throughput =
    rounds.length > 1 ? median(rounds.map((r) => r.ipgate.rps / r.bare.rps)) : ipgate.rps / bare.rps;
  const addedP99 =
    rounds.length > 1 ? median(rounds.map((r) => r.ipgate.p99 - r.bare.p99)) : ipgate.p99 - bare.p99;
  console.log('');
  if (rounds.length > 1) {
    console.log(
      `per round, ipgate / bare: ${rounds.map((r) => `${fmt((r.ipgate.rps / r.bare.rps) * 100, 1)}%`).join(', ')};` +
        ` p99 − bare p99: ${rounds.map((r) => `${fmt(r.ipgate.p99 - r.bare.p99, 2)} ms`).join(', ')} (medians below)`,
    );
  }
  console.log(
    `ipgate / bare Node proxy: ${fmt(throughput * 100, 1)}% of its requests/s — target ≥ 85%: ${throughput >= 0.85 ? 'MET' : 'NOT MET'}`,
  );
  console.log(
    `ipgate p99 − bare proxy p99: ${fmt(addedP99, 2)} ms — target < 1 ms: ${addedP99 < 1 ? 'MET' : 'NOT MET'}`,
  );
  if (lean !== undefined) {
    const leanRatio =
      rounds.length > 1 && rounds.every((r) => r.lean !== undefined)
        ? median(rounds.map((r) => r.ipgate.rps / r.lean.rps))
        : ipgate.rps / lean.rps;
    console.log(
      `ipgate / bare dispatch proxy (same forwarding primitive, not the target's baseline): ${fmt(leanRatio * 100, 1)}% of its requests/s;` +
        ` CPU µs per request ${fmt(perRequestUs(ipgate))} vs ${fmt(perRequestUs(lean))} (request() proxy: ${fmt(perRequestUs(bare))})`,
    );
  }
  if (nginx !== undefined) {
    console.log(
      `ipgate / nginx: ${fmt((ipgate.rps / nginx.rps) * 100, 1)}% of its requests/s; p99 ${ipgate.p99} ms vs ${nginx.p99} ms`,
    );
  } else if (runs('nginx')) {
    console.log(`ipgate / nginx: not measured (nginx missing: ${INSTALL_NGINX})`);
  }
  console.log(
    `(${os.availableParallelism()} cores for target + upstream + load generator together: CPU s above out of ${os.availableParallelism() * DURATION_S} s available per run)`,
  );
}

function reportLatency(latency) {
  if (latency.length === 0) return;
  console.log(
    `\nLatency at a fixed ${LATENCY_RATE} req/s (${LATENCY_CONNECTIONS} connections, ${DURATION_S} s, median of ${ROUNDS} round(s)):`,
  );
  console.log('\n| target | p50 (ms) | p99 (ms) | p99 per round (ms) |');
  console.log('|---|---:|---:|---|');
  for (const row of latency) {
    console.log(`| ${row.name} | ${row.p50} | ${row.p99} | ${row.rounds.map((r) => r.p99).join(', ')} |`);
  }
  const bare = latency.find((r) => r.name === 'bare Node proxy (undici)');
  const ipgate = latency.find((r) => r.name.startsWith('ipgate'));
  if (bare === undefined || ipgate === undefined) return;
  const added = median(ipgate.rounds.map((r, i) => r.p99 - (bare.rounds[i]?.p99 ?? Number.NaN)));
  console.log(
    `\nipgate p99 − bare proxy p99 at ${LATENCY_RATE} req/s: ${fmt(added, 2)} ms (median of the rounds) — target < 1 ms: ${added < 1 ? 'MET' : 'NOT MET'}`,
  );
}

await main();
