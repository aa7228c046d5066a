/**
 * Two builds' gateways in ONE process, on one event loop, taking the same load in turn: CPU per request
 * of that process's main thread (the gateway's own work: node http, the pipeline, undici, the hand-off
 * of records), of each build's recorder thread, and of the rest (V8's GC and compiler helpers, libuv),
 * read per thread from /proc/self/task. Each build runs as a gateway worker does (`run-worker.ts`): its
 * own SQLite store set up like the gateway benchmark's (1,000-entry lists, key auth), snapshot engine,
 * threaded recorder and entry usage; no `auto` review (the tenant is in `manual` mode, and the bench's
 * address is listed). The upstream and the load generator are processes of their own.
 *
 *   node bench/gateway-thread-ab.mjs OLD_TREE [rounds=8] [seconds=6] [rate=1500] [connections=50]
 *
 * Why beside `gateway-ab.mjs` (whole process trees): on a machine shared with other work, two trees'
 * rounds land on different moments and swing by 2× and more. Here the two gateways share one process,
 * its heap, its JIT and its share of the CPU; only the code each request runs differs, and the rounds
 * alternate. What it leaves out: the server process, cluster and a second worker. The old build's
 * modules are loaded from OLD_TREE (built); both stores are set up by this tree's store code.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startInProcessGateway } from './gateway-in-process.mjs';
import { runProcess, startProcess } from './gateway-processes.mjs';

const [otherRoot, roundsArg, secondsArg, rateArg, connectionsArg] = process.argv.slice(2);
if (otherRoot === undefined) {
  process.stderr.write(
    'usage: node bench/gateway-thread-ab.mjs OTHER_TREE [rounds] [seconds] [rate] [connections]\n',
  );
  process.exit(2);
}
const rounds = Number(roundsArg ?? 8);
const seconds = Number(secondsArg ?? 6);
const rate = Number(rateArg ?? 1500);
const connections = Number(connectionsArg ?? 50);
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const tmp = mkdtempSync(join(os.tmpdir(), 'ipgate-gateway-thread-ab-'));

/** CPU ticks (user + system) and minor page faults of each thread of this process, by thread id. */
function threads() {
  const out = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { ticks: Number(f[11]) + Number(f[12]), faults: Number(f[7]) });
    } catch {}
  }
  return out;
}

async function startBuild(name, root, upstreamUrl) {
  const gateway = await startInProcessGateway({ root, dataDir: join(tmp, name), upstreamUrl });
  return {
    name,
    recorderTids: gateway.recorderTids,
    load: {
      url: `${gateway.url}/v1/thing`,
      connections,
      headers: { authorization: `Bearer ${gateway.secret}` },
      ...(rate > 0 ? { rate } : {}),
    },
    results: [],
    close: () => gateway.close(),
  };
}

const upstream = await startProcess(process.execPath, [here('./gateway-upstream.mjs'), '2'], /"port":(\d+)/);
const builds = [];
try {
  const upstreamUrl = `http://127.0.0.1:${upstream.match[1]}`;
  builds.push(await startBuild('old', otherRoot, upstreamUrl));
  builds.push(await startBuild('new', here('..'), upstreamUrl));
  const main = String(process.pid);
  const measure = async (build, durationS) => {
    const t0 = threads();
    const c0 = process.cpuUsage();
    // The load generator's own event loop must not run here: a process of its own.
    const result = JSON.parse(
      await runProcess(process.execPath, [
        here('./gateway-load.mjs'),
        JSON.stringify({ ...build.load, durationS }),
      ]),
    );
    const c = process.cpuUsage(c0);
    const t1 = threads();
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${build.name}: ${JSON.stringify(result)}`);
    const used = (tid) => (t1.get(tid)?.ticks ?? 0) - (t0.get(tid)?.ticks ?? 0);
    let recorderTicks = 0;
    for (const b of builds) for (const tid of b.recorderTids) if (b === build) recorderTicks += used(tid);
    let otherRecorders = 0;
    for (const b of builds) for (const tid of b.recorderTids) if (b !== build) otherRecorders += used(tid);
    let all = 0;
    for (const tid of t1.keys()) all += used(tid);
    const perRequest = (ticks) => (ticks * 1e4) / result.total; // 100 ticks a second
    return {
      rps: result.rps,
      total: (c.user + c.system) / result.total - perRequest(otherRecorders),
      main: perRequest(used(main)),
      recorder: perRequest(recorderTicks),
      rest: perRequest(all - used(main) - recorderTicks - otherRecorders),
      faults: ((t1.get(main)?.faults ?? 0) - (t0.get(main)?.faults ?? 0)) / result.total,
    };
  };
  for (const build of builds) await measure(build, 3); // warm-up: JIT, SQLite's pages, pools
  const ratios = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? builds : [...builds].reverse();
    const got = {};
    for (const build of order) got[build.name] = await measure(build, seconds);
    ratios.push(got.new.main / got.old.main);
    const show = (g) =>
      `main ${g.main.toFixed(1)} µs (faults ${g.faults.toFixed(2)}), recorder ${g.recorder.toFixed(1)}, rest ${g.rest.toFixed(1)}, all ${g.total.toFixed(1)} (${Math.round(g.rps)} req/s)`;
    console.log(
      `round ${round + 1}: old ${show(got.old)}; new ${show(got.new)}; main new/old ${(ratios.at(-1) * 100).toFixed(1)} %`,
    );
    for (const build of builds) build.results.push(got[build.name]);
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const med = (b, field) => median(b.results.map((r) => r[field])).toFixed(1);
  for (const b of builds) {
    console.log(
      `${b.name}: medians main ${med(b, 'main')}, recorder ${med(b, 'recorder')}, rest ${med(b, 'rest')}, all ${med(b, 'total')} µs per request`,
    );
  }
  console.log(
    `median main-thread new/old ${(median(ratios) * 100).toFixed(1)} % (${rate > 0 ? `${rate} req/s offered` : 'saturation'}, ${connections} connections, ${seconds} s × ${rounds} rounds)`,
  );
} finally {
  for (const b of builds) await b.close().catch(() => {});
  await upstream.stop();
  rmSync(tmp, { recursive: true, force: true });
}
