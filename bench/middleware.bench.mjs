/**
 * The middleware benchmark: per framework (node:http, Express, Fastify, Hono), the bare
 * app, the app with the ipgate middleware (1,000 seeded entries, 127.0.0.1 among them), and where a
 * peer exists the app with it and the same list (Express: express-ipfilter; Hono: its own
 * ipRestriction) — in one run, each server in a process of its own, the load generator (wrk, else
 * autocannon) in another.
 * Reports requests/s, p50/p99, the server's CPU per request, ipgate's cost over the bare framework
 * and the ratio ipgate / peer, with the spread over rounds.
 *
 *   npm run bench:middleware                  # 3 rounds of 2 s warm-up + 8 s per target (~6 min)
 *   npm run bench:middleware -- --quick       # 2 rounds of 1 s warm-up + 3 s per target (~2 min)
 *   npm run bench:middleware -- --only=hono --rounds=5
 *   npm run bench:middleware -- --noop        # also a do-nothing middleware per framework
 *   npm run bench:middleware -- --only=fastify,hono --variants=front --rounds=7   # bare against one form
 *
 * Needs a build (`npx tsc -b`; the npm script runs it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { treeCpuSeconds } from './gateway-cpu.mjs';
import { ruleList } from './gateway-data.mjs';
import { runProcess, startProcess } from './gateway-processes.mjs';
import { checkGate } from './middleware-check.mjs';
import { hasWrk, wrkLoad, wrkVersion } from './wrk-load.mjs';

const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = process.argv.includes('--quick');
const only = arg('only')?.split(',');
/** `--variants=bare,front`: measure only these (bare is always kept: every cost is against it). */
const onlyVariants = arg('variants')?.split(',');
/** `--noop`: also measure a middleware that does nothing — what having one at all costs. */
const noop = process.argv.includes('--noop');
const ROUNDS = Number(arg('rounds') ?? (quick ? 2 : 3));
/**
 * The load generator: wrk (C) when installed, else autocannon. On two cores autocannon saturates its
 * own CPU before the fastest servers saturate theirs (see `wrk-load.mjs`); `--load=autocannon` forces it.
 */
const LOAD = arg('load') ?? (hasWrk() ? 'wrk' : 'autocannon');
if (LOAD !== 'wrk' && LOAD !== 'autocannon')
  throw new Error(`--load=${LOAD}: write --load=wrk or --load=autocannon`);
if (LOAD === 'wrk' && !hasWrk()) throw new Error('--load=wrk: wrk is not installed (apt-get install wrk)');
/**
 * Server on CPU 0, load generator on CPU 1 (`taskset`), so neither steals the other's core and a few
 * per cent between two servers is not lost in scheduling noise. `--no-pin` turns it off.
 */
const PIN = !process.argv.includes('--no-pin') && os.availableParallelism() >= 2 && hasTaskset();
const CONNECTIONS = 50;
const WARM_UP_S = quick ? 1 : 2;
const DURATION_S = quick ? 3 : 8;
const COST_TARGET = 0.03;
/** The list every middleware gets: 1,000 seeded IPv4 singles and CIDRs, 127.0.0.1 last. */
const RULES = ruleList(1_000, 7);

// `front`: the same gate in front of the framework (node:http's httpGate is that already).
const FRAMEWORKS = [
  { key: 'node', label: 'node:http', peer: undefined, ipgate: 'httpGate', front: undefined },
  {
    key: 'express',
    label: 'Express',
    peer: 'express-ipfilter',
    ipgate: '@ipgate/express',
    front: 'gateListener(app)',
  },
  {
    key: 'fastify',
    label: 'Fastify',
    peer: undefined,
    ipgate: '@ipgate/fastify',
    front: 'ipGateServerFactory',
  },
  {
    key: 'hono',
    label: 'Hono',
    peer: 'hono ipRestriction',
    ipgate: '@ipgate/hono',
    front: 'ipGateCreateServer',
  },
].filter((f) => only === undefined || only.includes(f.key));

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (x) => `${x >= 0 ? '+' : ''}${fmt(x * 100, 1)}%`;
const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function hasTaskset() {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
}

/** `command args`, run on one CPU when pinning. */
const onCpu = (cpu, command, args) =>
  PIN ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];

function machine() {
  const run = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  const cpu = /Model name:\s*(.+)/.exec(run('lscpu', []))?.[1]?.trim() ?? '?';
  return { nproc: os.availableParallelism(), node: process.version, cpu, uptime: run('uptime', []) };
}

/** An installed package's version (its package.json, read directly: some do not export it). */
const version = (pkg) => {
  try {
    return JSON.parse(readFileSync(here(`../node_modules/${pkg}/package.json`), 'utf8')).version;
  } catch {
    return '?';
  }
};

async function load(url, durationS) {
  if (LOAD === 'wrk') return wrkLoad({ url, connections: CONNECTIONS, durationS, cpu: PIN ? 1 : undefined });
  const options = JSON.stringify({ url, connections: CONNECTIONS, durationS });
  return JSON.parse(await runProcess(...onCpu(1, process.execPath, [here('./gateway-load.mjs'), options])));
}

/** Warm-up, then the measured run, with the server's CPU time meanwhile. */
async function measure(target) {
  await load(target.url, WARM_UP_S);
  const before = treeCpuSeconds(target.pid);
  const r = await load(target.url, DURATION_S);
  const cpuS = treeCpuSeconds(target.pid) - before;
  const bad = r.non2xx + r.errors + r.timeouts;
  const row = { ...r, loadCpuS: r.cpuS, cpuS, cpuUsPerRequest: (cpuS / r.total) * 1e6 };
  console.log(
    `  ${target.name.padEnd(34)} ${fmt(r.rps).padStart(7)} req/s  p50 ${fmt(r.p50, 2)} ms  p99 ${fmt(r.p99, 2)} ms` +
      `  server CPU ${cpuS.toFixed(1)} s = ${fmt(row.cpuUsPerRequest, 1)} µs/request, load generator ${r.cpuS.toFixed(1)} s` +
      (bad > 0 ? `  ${bad} NOT 2xx/errors/timeouts` : ''),
  );
  if (bad > 0) throw new Error(`${target.name}: ${bad} requests were not answered 2xx`);
  return row;
}

async function startTarget(framework, variant, rulesFile, name) {
  const env = { ...process.env, NODE_ENV: 'production' };
  // taskset execs the command, so the pid is the server's own (its CPU time is read from /proc).
  const [command, args] = onCpu(0, process.execPath, [
    here('./middleware-server.mjs'),
    framework.key,
    variant,
    rulesFile,
  ]);
  const p = await startProcess(command, args, /"port":(\d+)/, { env });
  return { name, variant, url: `http://127.0.0.1:${p.match[1]}/`, pid: p.child.pid, stop: p.stop, rows: [] };
}

/** The targets of one framework, started and checked, measured in turn for ROUNDS rounds. */
async function benchFramework(framework, rulesFile) {
  console.log(`\n${framework.label}`);
  const targets = [];
  const skipped = [];
  const variants = [
    ['bare', `${framework.label} bare`],
    ...(noop ? [['noop', `${framework.label} + no-op middleware`]] : []),
    ['ipgate', `${framework.label} + ${framework.ipgate}`],
    ...(framework.front === undefined ? [] : [['front', `${framework.label} behind ${framework.front}`]]),
    ...(framework.peer === undefined ? [] : [['peer', `${framework.label} + ${framework.peer}`]]),
  ];
  for (const [variant, name] of variants) {
    if (onlyVariants !== undefined && variant !== 'bare' && !onlyVariants.includes(variant)) continue;
    const target = await startTarget(framework, variant, rulesFile, name);
    try {
      const check = await checkGate(target.url, { protectedApp: variant !== 'bare' && variant !== 'noop' });
      console.log(`  check ${name}: ${check.text}${check.ok ? ' (as expected)' : ' — FAILED'}`);
      if (check.ok) targets.push({ variant, name, rows: [] });
      else {
        if (variant !== 'peer') throw new Error(`${name}: pre-flight check failed (${check.text})`);
        skipped.push({ name, reason: check.text });
      }
    } finally {
      await target.stop();
    }
  }
  for (let round = 0; round < ROUNDS; round++) {
    // Rotated each round, so no target always runs first (right after another framework) or last.
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    console.log(`  round ${round + 1} of ${ROUNDS}: ${order.map((t) => t.variant).join(', ')}`);
    for (const target of order) {
      // A fresh process per measurement, alone on its CPU: no idle server of another target beside
      // it, and no target carrying the JIT state of an earlier round.
      const server = await startTarget(framework, target.variant, rulesFile, target.name);
      try {
        target.rows[round] = await measure(server);
      } finally {
        await server.stop();
      }
    }
  }
  return { framework, targets, skipped };
}

function summarise(target) {
  const rps = target.rows.map((r) => r.rps);
  const m = median(rps);
  return {
    rps: m,
    spread: (Math.max(...rps) - Math.min(...rps)) / m,
    min: Math.min(...rps),
    max: Math.max(...rps),
    p50: median(target.rows.map((r) => r.p50)),
    p99: median(target.rows.map((r) => r.p99)),
    cpu: median(target.rows.map((r) => r.cpuUsPerRequest)),
  };
}

function report(results) {
  console.log(
    `\n## Results (${ROUNDS} rounds; medians, spread = (max − min) / median of req/s over the rounds)\n`,
  );
  console.log('| target | requests/s | spread | p50 (ms) | p99 (ms) | server CPU µs / request |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const { targets, skipped } of results) {
    for (const t of targets) {
      const s = summarise(t);
      console.log(
        `| ${t.name} | ${fmt(s.rps)} | ±${fmt((s.spread / 2) * 100, 1)}% (${fmt(s.min)}–${fmt(s.max)}) | ${fmt(s.p50, 2)} | ${fmt(s.p99, 2)} | ${fmt(s.cpu, 1)} |`,
      );
    }
    for (const s of skipped)
      console.log(`| ${s.name} | not measured: failed the check (${s.reason}) | | | | |`);
  }

  console.log(
    '\n## ipgate over the bare framework, and against the peer (per round, paired; then the median)\n',
  );
  const verdicts = [];
  for (const { framework, targets, skipped } of results) {
    const bare = targets.find((t) => t.variant === 'bare');
    const ipgate = targets.find((t) => t.variant === 'ipgate');
    const peer = targets.find((t) => t.variant === 'peer');
    const nothing = targets.find((t) => t.variant === 'noop');
    // The same cost from the server's CPU per request: what it costs where the server alone is the
    // bottleneck. It matters when the load generator, on its own CPU, saturates first (fast servers).
    const cpuCost = (rows) =>
      median(rows.map((r, i) => 1 - bare.rows[i].cpuUsPerRequest / r.cpuUsPerRequest));
    const clientBound = bare.rows.filter((r) => r.loadCpuS >= 0.95 * DURATION_S).length;
    if (clientBound > 0)
      console.log(
        `${framework.label}: the load generator used its whole CPU in ${clientBound} of ${bare.rows.length} bare rounds:` +
          " requests/s there is partly the client's limit, so read the cost by CPU too",
      );
    if (ipgate !== undefined) {
      const costs = ipgate.rows.map((r, i) => 1 - r.rps / bare.rows[i].rps);
      const cost = median(costs);
      const cpuAdded = median(ipgate.rows.map((r, i) => r.cpuUsPerRequest - bare.rows[i].cpuUsPerRequest));
      const p99Added = median(ipgate.rows.map((r, i) => r.p99 - bare.rows[i].p99));
      const bareSpread = summarise(bare).spread;
      const met = cost < COST_TARGET;
      console.log(
        `${framework.label}: ipgate costs ${pct(cost)} of the bare framework's requests/s (rounds: ${costs.map(pct).join(', ')});` +
          ` ${cpuAdded >= 0 ? '+' : '−'}${fmt(Math.abs(cpuAdded), 1)} µs server CPU per request (a cost of ${pct(cpuCost(ipgate.rows))} by CPU);` +
          ` p99 ${p99Added >= 0 ? '+' : ''}${fmt(p99Added, 2)} ms` +
          ` — target < 3%: ${met ? 'MET' : 'NOT MET'}` +
          (Math.abs(cost) < bareSpread
            ? ` (within the bare app's own round-to-round spread of ${fmt(bareSpread * 100, 1)}%)`
            : ''),
      );
      verdicts.push(`${framework.label} middleware cost < 3%: ${met ? 'MET' : 'NOT MET'} (${pct(cost)})`);
    }
    const front = targets.find((t) => t.variant === 'front');
    if (front !== undefined) {
      const frontCosts = front.rows.map((r, i) => 1 - r.rps / bare.rows[i].rps);
      const frontCost = median(frontCosts);
      const frontCpu = median(front.rows.map((r, i) => r.cpuUsPerRequest - bare.rows[i].cpuUsPerRequest));
      const frontMet = frontCost < COST_TARGET;
      console.log(
        `${framework.label}: behind ${framework.front} (the gate in front of the framework) costs ${pct(frontCost)}` +
          ` (rounds: ${frontCosts.map(pct).join(', ')}); ${frontCpu >= 0 ? '+' : ''}${fmt(frontCpu, 1)} µs server CPU per request` +
          ` (${pct(cpuCost(front.rows))} by CPU)` +
          ` — target < 3%: ${frontMet ? 'MET' : 'NOT MET'}`,
      );
      verdicts.push(`${framework.label} in front < 3%: ${frontMet ? 'MET' : 'NOT MET'} (${pct(frontCost)})`);
    }
    if (nothing !== undefined && ipgate !== undefined) {
      const noopCosts = nothing.rows.map((r, i) => 1 - r.rps / bare.rows[i].rps);
      const overNoop = ipgate.rows.map((r, i) => 1 - r.rps / nothing.rows[i].rps);
      console.log(
        `${framework.label}: a no-op middleware costs ${pct(median(noopCosts))} (rounds: ${noopCosts.map(pct).join(', ')});` +
          ` ipgate over the no-op middleware: ${pct(median(overNoop))} (rounds: ${overNoop.map(pct).join(', ')})`,
      );
    }
    if (peer !== undefined && ipgate !== undefined) {
      const ratios = ipgate.rows.map((r, i) => r.rps / peer.rows[i].rps);
      const ratio = median(ratios);
      console.log(
        `${framework.label}: ipgate / ${framework.peer} = ${fmt(ratio, 2)}× the requests/s (rounds: ${ratios.map((x) => `${fmt(x, 2)}×`).join(', ')})` +
          ` — target faster: ${ratio > 1 ? 'MET' : 'NOT MET'}`,
      );
      verdicts.push(
        `${framework.label} faster than ${framework.peer}: ${ratio > 1 ? 'MET' : 'NOT MET'} (${fmt(ratio, 2)}×)`,
      );
    } else if (skipped.length > 0) {
      console.log(`${framework.label}: ${framework.peer} not measured (it failed the allow/deny check)`);
    }
  }
  console.log(`\nTargets: ${verdicts.join('; ')}`);
}

async function main() {
  const info = machine();
  console.log(`Middleware benchmark${quick ? ' — quick' : ''}`);
  console.log(`  machine: ${info.nproc} cores (${info.cpu}), Node ${info.node}`);
  console.log(`  load before the run: ${info.uptime}`);
  console.log(
    `  versions: express ${version('express')}, fastify ${version('fastify')}, hono ${version('hono')},` +
      ` @hono/node-server ${version('@hono/node-server')}, express-ipfilter ${version('express-ipfilter')}, ${LOAD === 'wrk' ? `wrk ${wrkVersion()}` : `autocannon ${version('autocannon')}`}`,
  );
  console.log(
    `  load: ${LOAD === 'wrk' ? 'wrk (1 thread)' : 'autocannon'} in its own process, ${CONNECTIONS} keep-alive connections, GET /, ${WARM_UP_S} s warm-up + ${DURATION_S} s per measurement;` +
      ` ${ROUNDS} rounds per framework, the order rotated each round; every server is one process` +
      (PIN
        ? ' (NODE_ENV=production) pinned to CPU 0, the load generator to CPU 1 (taskset)'
        : ` (NODE_ENV=production) sharing the ${info.nproc} cores with the load generator`),
  );
  if (LOAD === 'autocannon' && arg('load') === undefined)
    console.log(
      '  wrk is not installed: autocannon saturates its own CPU before the fastest servers do, so their' +
        ' requests/s is partly its limit (apt-get install wrk)',
    );
  console.log(
    `  rules: ${RULES.length} entries (seeded, ${RULES.filter((e) => e.includes('/')).length} CIDRs), 127.0.0.1 last`,
  );

  const tmp = mkdtempSync(join(os.tmpdir(), 'ipgate-middleware-bench-'));
  try {
    const rulesFile = join(tmp, 'allow.json');
    writeFileSync(rulesFile, JSON.stringify(RULES));
    const results = [];
    for (const framework of FRAMEWORKS) results.push(await benchFramework(framework, rulesFile));
    report(results);
    console.log(`\n  load after the run: ${machine().uptime}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
