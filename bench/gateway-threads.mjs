/**
 * Where a proxy's CPU goes, by thread: the same set-up as the gateway benchmark's ipgate row (or the
 * bare dispatch proxy), loaded by autocannon, with the CPU time of every thread of the target's
 * process tree read from /proc before and after (`/proc/<pid>/task/<tid>/stat`). CPU time, unlike
 * requests/s, hardly depends on what else runs on the box, so this compares well on a busy machine.
 *
 *   node bench/gateway-threads.mjs [seconds=10] [workers=2] [ipgate|dispatch] [serve args…]
 *
 * Prints µs of CPU per request for the main threads (the gateway's event loops) and for all other
 * threads (V8's GC and compiler threads, ipgate's recorder threads, libuv's pool).
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ruleList } from './gateway-data.mjs';
import { setUpIpgate, startIpgate } from './gateway-ipgate.mjs';
import { runProcess, startProcess } from './gateway-processes.mjs';

const seconds = Number(process.argv[2] ?? 10);
const workers = Number(process.argv[3] ?? 2);
const target = process.argv[4] ?? 'ipgate';
const serveArgs = process.argv.slice(5);
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const tmp = join(os.tmpdir(), `ipgate-gateway-threads-${process.pid}`);
const TICK_US = 1e6 / 100;

/** Every thread of `pid` and its descendants: { key: 'pid/role', ticks }. */
function threads(pid) {
  const out = new Map();
  const pending = [pid];
  const seen = [];
  while (pending.length > 0) {
    const p = pending.pop();
    seen.push(p);
    let tasks;
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        const stat = readFileSync(`/proc/${p}/task/${task}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(`${p}/${task}`, {
          pid: p,
          tid: task,
          name,
          ticks: Number(fields[11]) + Number(fields[12]),
          started: Number(fields[19]),
        });
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children !== '') pending.push(...children.split(' ').map(Number));
      } catch {}
    }
  }
  return out;
}

function role(t, rootPid) {
  const proc = t.pid === rootPid ? 'server process' : 'workers';
  // Node names none of its threads, so only the main thread is told apart: the others are V8's
  // (GC, compiler), libuv's pool and, in ipgate's workers, the recorder thread.
  return String(t.pid) === t.tid
    ? `${proc}: main thread`
    : `${proc}: other threads (V8 GC/compiler, recorder, libuv)`;
}

const upstream = await startProcess(process.execPath, [here('./gateway-upstream.mjs'), '2'], /"port":(\d+)/);
let stopTarget = async () => {};
try {
  const upstreamUrl = `http://127.0.0.1:${upstream.match[1]}`;
  let url;
  let headers = {};
  let pid;
  if (target === 'dispatch') {
    const bare = await startProcess(
      process.execPath,
      [here('./gateway-bare-proxy.mjs'), String(workers), upstreamUrl, 'dispatch'],
      /"port":(\d+)/,
    );
    stopTarget = bare.stop;
    url = `http://127.0.0.1:${bare.match[1]}/v1/thing`;
    pid = bare.child.pid;
  } else {
    const dataDir = join(tmp, 'ipgate');
    const rules = await setUpIpgate(dataDir, {
      upstreamUrl,
      apiAllow: ruleList(1_000, 3),
      tenantAllow: ruleList(1_000, 4),
    });
    const ipgate = await startIpgate(dataDir, workers, { serveArgs });
    stopTarget = ipgate.stop;
    url = `${ipgate.gatewayUrl}/v1/thing`;
    headers = { authorization: `Bearer ${rules.secret}` };
    pid = ipgate.pid;
  }
  const load = (durationS) =>
    runProcess(process.execPath, [
      here('./gateway-load.mjs'),
      JSON.stringify({ url, connections: 50, durationS, headers }),
    ]);
  await load(Math.min(3, seconds));
  const before = threads(pid);
  const result = JSON.parse(await load(seconds));
  const after = threads(pid);
  const byRole = new Map();
  for (const [key, t] of after) {
    const used = t.ticks - (before.get(key)?.ticks ?? 0);
    const r = role(t, pid);
    byRole.set(r, (byRole.get(r) ?? 0) + used);
  }
  const total = [...byRole.values()].reduce((a, b) => a + b, 0);
  console.log(
    `${target} (workers ${workers}${serveArgs.length > 0 ? `, ${serveArgs.join(' ')}` : ''}): ${Math.round(result.rps)} req/s, ${result.total} requests${result.non2xx > 0 ? `, ${result.non2xx} non-2xx` : ''}`,
  );
  console.log(`  total: ${((total * TICK_US) / result.total).toFixed(1)} µs CPU per request`);
  for (const [r, ticks] of [...byRole].sort((a, b) => b[1] - a[1])) {
    if (ticks === 0) continue;
    console.log(`  ${((ticks * TICK_US) / result.total).toFixed(1).padStart(6)} µs  ${r}`);
  }
} finally {
  await stopTarget();
  await upstream.stop();
}
