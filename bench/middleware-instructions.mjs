/**
 * The middleware benchmark's cost counted in instructions: each server of `middleware-server.mjs`
 * runs under valgrind's callgrind, gets a warm-up, then the instructions it executes (JIT code, the
 * runtime, the garbage collector; user space only) for exactly N requests are counted, in two windows.
 *
 * Why: on this shared 2-core machine, requests/s of one bare server moves ±4–8 % from one 10-second
 * measurement to the next (other tenants, not our processes), so a 3 % target sits inside the noise
 * of the throughput benchmark. An instruction count does not depend on what else the machine does:
 * the same server and load give the same count within a fraction of a per cent. It is not time (a
 * cache miss costs more than an add), so it complements `middleware.bench.mjs`, not replaces it.
 *
 * What makes the count repeatable:
 * - A long warm-up, then one settling run that is not counted: found by running one server several
 *   times, the first run after the warm-up ran twice as many scavenges as every later one (+25 %
 *   instructions per request), for every server alike — V8 resizes its young generation after the
 *   pause between two load processes.
 * - `--single-threaded`: V8 then compiles and collects garbage on the main thread, so thread
 *   scheduling cannot move work in or out of a window. The same on every row.
 *
 *   npm run bench:middleware:instructions                                 # every framework, ~20 min
 *   node bench/middleware-instructions.mjs --only=fastify --variants=front --requests=20000
 *
 * Needs valgrind (`apt-get install valgrind`) and a build (`npx tsc -b`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ruleList } from './gateway-data.mjs';
import { runProcess, startProcess } from './gateway-processes.mjs';
import { checkGate } from './middleware-check.mjs';

const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = arg('only')?.split(',');
const onlyVariants = arg('variants')?.split(',');
const REQUESTS = Number(arg('requests') ?? 20_000);
const WARM_UP = Number(arg('warm-up') ?? 50_000);
/** `--share=0.5`: this fraction of every request count (warm-up, settling, windows) for every framework. */
const SHARE = arg('share') === undefined ? undefined : Number(arg('share'));
const WINDOWS = 2;
const CONNECTIONS = 10;
const COST_TARGET = 0.03;
const RULES = ruleList(1_000, 7);

// The same rows as middleware.bench.mjs. express-ipfilter is left out: it answers ~60 requests/s
// natively, so a warm-up under valgrind would take hours; its ratio comes from the throughput run.
// Express only on request (`--only=express`): it spends ~9× the instructions per request of the
// others, so windows of a useful length take an hour, and shorter ones (4,000 requests) moved by
// 2–4 % with where a full garbage collection fell. Its throughput needs no help: at ~10,000
// requests/s it, not the load generator, is the limit in `middleware.bench.mjs`.
const FRAMEWORKS = [
  { key: 'node', label: 'node:http', variants: ['bare', 'noop', 'built', 'ipgate'] },
  { key: 'express', label: 'Express', variants: ['bare', 'noop', 'ipgate', 'front'], share: 0.2 },
  { key: 'fastify', label: 'Fastify', variants: ['bare', 'noop', 'ipgate', 'front'] },
  { key: 'hono', label: 'Hono', variants: ['bare', 'noop', 'ipgate', 'front', 'peer'] },
].filter((f) => (only === undefined ? f.key !== 'express' : only.includes(f.key)));

const LABELS = {
  bare: 'bare',
  noop: '+ no-op middleware',
  built: '+ httpGate built, never called',
  ipgate: '+ ipgate middleware',
  front: 'behind the gate in front',
  peer: "+ Hono's ipRestriction",
};

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (x) => `${x >= 0 ? '+' : ''}${fmt(x * 100, 2)}%`;

/** Exactly `count` requests from a separate (uninstrumented) process. */
async function send(url, count) {
  count = Math.round(count);
  const r = JSON.parse(
    await runProcess(process.execPath, [
      here('./exact-requests.mjs'),
      url,
      String(count),
      String(CONNECTIONS),
    ]),
  );
  if (r.non2xx > 0) throw new Error(`${url}: ${r.non2xx} of ${count} requests were not answered 2xx`);
}

/** The `totals:` line of the newest callgrind dump of `pid` in `dir`. */
function lastDumpTotal(dir, pid) {
  const dumps = readdirSync(dir)
    .map((name) => /^cg\.(\d+)\.out\.(\d+)$/.exec(name))
    .filter((m) => m !== null && Number(m[1]) === pid)
    .sort((a, b) => Number(b[2]) - Number(a[2]));
  if (dumps.length === 0) throw new Error(`no callgrind dump of ${pid} in ${dir}`);
  const text = readFileSync(join(dir, dumps[0][0]), 'utf8');
  const total = /^totals: (\d+)/m.exec(text) ?? /^summary: (\d+)/m.exec(text);
  if (total === null) throw new Error(`callgrind dump ${dumps[0][0]} has no totals line`);
  return Number(total[1]);
}

async function measure(framework, variant, rulesFile, dir) {
  const server = await startProcess(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${join(dir, 'cg.%p.out')}`,
      process.execPath,
      '--single-threaded',
      here('./middleware-server.mjs'),
      framework.key,
      variant,
      rulesFile,
    ],
    /"port":(\d+)/,
    { timeoutMs: 180_000, env: { ...process.env, NODE_ENV: 'production' } },
  );
  const pid = server.child.pid;
  const url = `http://127.0.0.1:${server.match[1]}/`;
  try {
    const check = await checkGate(url, { protectedApp: !['bare', 'noop', 'built'].includes(variant) });
    if (!check.ok) throw new Error(`${framework.label} ${variant}: pre-flight check failed (${check.text})`);
    const share = SHARE ?? framework.share ?? 1;
    const requests = Math.round(REQUESTS * share);
    await send(url, WARM_UP * share);
    await send(url, requests); // settling: see the header
    const perRequest = [];
    for (let w = 0; w < WINDOWS; w++) {
      execFileSync('callgrind_control', ['-z', String(pid)], { stdio: 'ignore' });
      await send(url, requests);
      execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
      perRequest.push(lastDumpTotal(dir, pid) / requests);
    }
    const row = { variant, perRequest, mean: perRequest.reduce((a, b) => a + b, 0) / perRequest.length };
    console.log(
      `  ${`${framework.label} ${LABELS[variant]}`.padEnd(40)} ${perRequest.map((x) => fmt(x)).join(' / ')} instructions per request`,
    );
    return row;
  } finally {
    await server.stop();
  }
}

/** Fails with what to install when valgrind (callgrind and callgrind_control) is missing. */
function requireValgrind() {
  for (const tool of ['valgrind', 'callgrind_control']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch (error) {
      if (error.code === 'ENOENT') {
        throw new Error(
          `${tool} is not installed: apt-get install valgrind (it brings callgrind_control too)`,
        );
      }
    }
  }
}

async function main() {
  requireValgrind();
  console.log('Middleware benchmark, instructions per request (callgrind)');
  console.log(
    `  ${os.availableParallelism()} cores, Node ${process.version} --single-threaded; warm-up ${fmt(WARM_UP)} + ${fmt(REQUESTS)} requests, then ${WINDOWS} windows of ${fmt(REQUESTS)}` +
      `${SHARE !== undefined ? ` (× ${SHARE})` : FRAMEWORKS.some((f) => f.key === 'express') ? ' (Express: a fifth of each)' : ''},` +
      ` ${CONNECTIONS} keep-alive connections; rules: ${RULES.length} entries, 127.0.0.1 last`,
  );
  const dir = mkdtempSync(join(os.tmpdir(), 'ipgate-instructions-'));
  const results = [];
  try {
    const rulesFile = join(dir, 'allow.json');
    writeFileSync(rulesFile, JSON.stringify(RULES));
    for (const framework of FRAMEWORKS) {
      console.log(`\n${framework.label}`);
      const rows = [];
      for (const variant of framework.variants) {
        if (onlyVariants !== undefined && variant !== 'bare' && !onlyVariants.includes(variant)) continue;
        rows.push(await measure(framework, variant, rulesFile, dir));
      }
      results.push({ framework, rows });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  console.log('\n| target | instructions / request (window 1 / 2) | over bare | cost |');
  console.log('|---|---:|---:|---:|');
  const verdicts = [];
  for (const { framework, rows } of results) {
    const bare = rows.find((r) => r.variant === 'bare');
    for (const r of rows) {
      const added = r.mean - bare.mean;
      const cost = added / r.mean;
      console.log(
        `| ${framework.label} ${LABELS[r.variant]} | ${r.perRequest.map((x) => fmt(x)).join(' / ')} |` +
          ` ${r === bare ? '' : `${added >= 0 ? '+' : ''}${fmt(added)}`} | ${r === bare ? '' : pct(cost)} |`,
      );
      // Cost as a throughput figure: 1 − bare/target, the share of requests/s lost if time follows instructions.
      if (r.variant === 'ipgate' || r.variant === 'front') {
        verdicts.push(
          `${framework.label} ${r.variant === 'front' ? 'in front' : 'middleware'} ${pct(cost)}: ${cost < COST_TARGET ? 'under' : 'NOT under'} 3%`,
        );
      }
    }
  }
  console.log(`\nBy instructions: ${verdicts.join('; ')}`);
}

await main();
