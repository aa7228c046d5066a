/**
 * Entry usage on and off, in one run: two `ipgate serve` instances on copies of the same store (the
 * gateway benchmark's rules: API allowlist 1,000, tenant list 1,000, a key with its IP list), one
 * with `--entry-usage on` (the default) and one with `--entry-usage off`, measured in turn for several
 * rounds with the same load. Reports requests/s of each, the per-round ratio and its median, and
 * checks afterwards that the store counted every request the "on" instance answered.
 *
 *   npm run bench:usage                  # 50 connections, 3 s warm-up + 10 s per instance, 5 rounds
 *   npm run bench:usage -- --quick       # 1 s + 3 s, 2 rounds
 *   npm run bench:usage -- --rounds=7
 *
 * Needs a build (`npx tsc -b`; the npm script runs it).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '@ipgate/server';
import { treeCpuSeconds } from './gateway-cpu.mjs';
import { ruleList } from './gateway-data.mjs';
import { setUpIpgate, startIpgate } from './gateway-ipgate.mjs';
import { runProcess, startProcess } from './gateway-processes.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = Number(
  process.argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? (quick ? 2 : 5),
);
const CONNECTIONS = 50;
const WARM_UP_S = quick ? 1 : 3;
const DURATION_S = quick ? 3 : 10;
const WORKERS = os.availableParallelism();
const here = (file) => fileURLToPath(new URL(file, import.meta.url));

async function load(url, headers, durationS) {
  const options = JSON.stringify({ url, connections: CONNECTIONS, durationS, headers });
  return JSON.parse(await runProcess(process.execPath, [here('./gateway-load.mjs'), options]));
}

function status(url, headers) {
  return new Promise((resolve, reject) => {
    get(url, { localAddress: '127.0.0.1', agent: false, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor((sorted.length - 1) / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid] + sorted[mid + 1]) / 2;
};
const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The hits the store holds for every entry (all lists), read after the instance stopped. */
async function storedHits(dataDir, ids) {
  const store = await openSqliteStore({ path: `${dataDir}/ipgate.db` });
  try {
    const usage = await store.entryUsage(ids);
    return Object.fromEntries(ids.map((id) => [id, usage.get(id)?.hits ?? 0]));
  } finally {
    await store.close();
  }
}

async function entryIds(dataDir, rules) {
  const store = await openSqliteStore({ path: `${dataDir}/ipgate.db` });
  try {
    const api = await store.listApiAllowlistEntries(rules.apiId);
    const tenant = await store.listTenantIpEntries(rules.tenantId);
    const key = await store.listKeyIpEntries(rules.tenantId, rules.keyId);
    return [...api, ...tenant, ...key].map((e) => e.id);
  } finally {
    await store.close();
  }
}

async function main() {
  console.log(
    `Entry usage benchmark${quick ? ' — quick' : ''}: ${ROUNDS} rounds, ${WARM_UP_S} s + ${DURATION_S} s each`,
  );
  console.log(
    `  machine: ${os.availableParallelism()} cores, Node ${process.version}; ipgate workers ${WORKERS}`,
  );
  const tmp = mkdtempSync(join(os.tmpdir(), 'ipgate-usage-bench-'));
  const stops = [];
  try {
    const upstream = await startProcess(
      process.execPath,
      [here('./gateway-upstream.mjs'), String(Math.max(2, WORKERS))],
      /"port":(\d+)/,
    );
    stops.push(upstream.stop);
    const upstreamUrl = `http://127.0.0.1:${upstream.match[1]}`;
    const onDir = join(tmp, 'on');
    const offDir = join(tmp, 'off');
    const rules = await setUpIpgate(onDir, {
      upstreamUrl,
      apiAllow: ruleList(1_000, 3),
      tenantAllow: ruleList(1_000, 4),
    });
    mkdirSync(offDir, { recursive: true });
    copyFileSync(join(onDir, 'ipgate.db'), join(offDir, 'ipgate.db'));
    const ids = await entryIds(onDir, rules);
    const headers = { authorization: `Bearer ${rules.secret}` };
    const on = await startIpgate(onDir, WORKERS, { serveArgs: ['--entry-usage', 'on'], timeoutMs: 120_000 });
    stops.push(on.stop);
    const off = await startIpgate(offDir, WORKERS, {
      serveArgs: ['--entry-usage', 'off'],
      timeoutMs: 120_000,
    });
    stops.push(off.stop);
    const instances = [
      { name: 'usage on', url: `${on.gatewayUrl}/v1/thing`, pid: on.pid, rows: [], answered: 0 },
      { name: 'usage off', url: `${off.gatewayUrl}/v1/thing`, pid: off.pid, rows: [], answered: 0 },
    ];
    for (const i of instances) {
      const s = await status(i.url, headers);
      if (s !== 200) throw new Error(`${i.name}: expected 200, got ${s}`);
      i.answered++;
    }
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which goes first, so drift within a round favours neither.
      const order = round % 2 === 1 ? instances : [...instances].reverse();
      for (const i of order) {
        const warm = await load(i.url, headers, WARM_UP_S);
        const cpuBefore = treeCpuSeconds(i.pid);
        const r = await load(i.url, headers, DURATION_S);
        // CPU the instance (server + workers + recorder threads) spent per request: on a shared
        // machine this moves far less with other processes' load than requests/s does.
        r.cpuUsPerRequest = ((treeCpuSeconds(i.pid) - cpuBefore) / r.total) * 1e6;
        i.answered += warm.total + r.total;
        const bad = r.non2xx + r.errors + r.timeouts + warm.non2xx + warm.errors + warm.timeouts;
        if (bad > 0) throw new Error(`${i.name}: ${bad} requests not answered 2xx`);
        i.rows.push(r);
        console.log(
          `  round ${round} ${i.name}: ${fmt(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${fmt(r.cpuUsPerRequest, 1)} CPU µs/request`,
        );
      }
    }
    await on.stop();
    await off.stop();
    const ratios = instances[0].rows.map((r, k) => r.rps / instances[1].rows[k].rps);
    console.log(
      '\n| instance | requests/s (median of rounds) | p99 ms (median) | CPU µs per request (median) |',
    );
    console.log('|---|---:|---:|---:|');
    for (const i of instances) {
      console.log(
        `| ${i.name} | ${fmt(median(i.rows.map((r) => r.rps)))} | ${fmt(median(i.rows.map((r) => r.p99)), 2)} | ${fmt(median(i.rows.map((r) => r.cpuUsPerRequest)), 1)} |`,
      );
    }
    const cpuRatios = instances[0].rows.map(
      (r, k) => r.cpuUsPerRequest / instances[1].rows[k].cpuUsPerRequest,
    );
    console.log(
      `CPU per request, on / off, per round: ${cpuRatios.map((r) => `${fmt(r * 100, 1)}%`).join(', ')}; median ${fmt(median(cpuRatios) * 100, 1)}%`,
    );
    const ratio = median(ratios);
    console.log(`\nper round, on / off: ${ratios.map((r) => `${fmt(r * 100, 1)}%`).join(', ')}`);
    console.log(
      `usage on / usage off: ${fmt(ratio * 100, 1)}% of its requests/s (median of rounds) — target ≥ 98%: ${ratio >= 0.98 ? 'MET' : 'NOT MET'}`,
    );
    // Every request the "on" instance answered passed the API allowlist, the tenant list and the key list.
    const onHits = await storedHits(onDir, ids);
    const offHits = await storedHits(offDir, ids);
    const total = (h) => Object.values(h).reduce((a, b) => a + b, 0);
    console.log(
      `counted: usage on stored ${fmt(total(onHits))} hits for ${fmt(instances[0].answered)} requests × 3 lists = ${fmt(instances[0].answered * 3)}; usage off stored ${fmt(total(offHits))}`,
    );
    // At least: requests still in flight when a load run stops are served (and counted) but not
    // reported by the load generator.
    if (total(onHits) < instances[0].answered * 3)
      throw new Error('the store counted fewer hits than requests answered');
    if (total(offHits) !== 0) throw new Error('usage off stored hits');
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * What counting adds per request, measured alone in this process: the gateway's call (three matched
 * lists, as in the load above) against a compiled snapshot's EntryIds, drained every 10 million calls.
 */
async function perRequestCost() {
  const { UsageCounter } = await import('../apps/server/dist/usage/usage-counter.js');
  const { EntryIds } = await import('../apps/server/dist/snapshot/entry-ids.js');
  const ids = (p) => EntryIds.of(Array.from({ length: 1000 }, (_, i) => `${p}_${i}`));
  const api = { allowlistIds: ids('ent_a') };
  const tenant = { entryIds: ids('ent_t') };
  const key = { ipIds: ids('kie') };
  const rule = (list, index) => ({ stage: 'x', list, index, name: undefined, id: undefined, value: '' });
  const matched = [rule('api-allowlist', 17), rule('tenant', 512), rule('key-ips', 0)];
  const counter = new UsageCounter();
  const n = 10_000_000;
  for (let round = 0; round < 2; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) counter.countMatched(matched, api, tenant, key, 1_700_000_000_000 + i);
    const ns = Number(process.hrtime.bigint() - started) / n;
    counter.drain();
    if (round === 1)
      console.log(`\nUsageCounter.countMatched (3 lists), in process: ${fmt(ns, 1)} ns per request`);
  }
}

await main();
await perRequestCost();
