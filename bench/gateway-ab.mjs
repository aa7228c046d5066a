/**
 * Two builds of ipgate as the gateway benchmark runs it (1,000-entry lists, key auth, recording,
 * `serve --workers 2`), measured in turn against one upstream at the same offered load: CPU time of
 * each build's whole process tree (server process, workers, recorder threads) per request, read
 * from /proc. On a machine shared with other work requests/s swing from minute to minute; CPU per
 * request at a fixed rate below saturation hardly does, and alternating the two builds round by
 * round puts any drift on both.
 *
 *   git worktree add --detach /tmp/ipgate-old <commit> && (cd /tmp/ipgate-old && npm ci && npx tsc -b)
 *   node bench/gateway-ab.mjs /tmp/ipgate-old [rounds=6] [seconds=8] [rate=3000] [connections=50]
 *
 *   node bench/gateway-ab.mjs . 6 8 3000 --old-args=--request-log=all --new-args=--request-log=denials
 *
 * The first build is the other tree's (its `apps/cli/bin/ipgate.js`), the second this tree's;
 * `--old-args=` and `--new-args=` add `serve` flags (space-separated) to one of them, so one tree can
 * be measured against itself with a setting each way. Both
 * stores are set up by each build's own store code (`bench/gateway-ipgate.mjs` of its tree). Prints each
 * round's µs of CPU per request for both, the upstream's (a control: it does the same work for both),
 * the main threads' minor page faults per request (V8 committing young-generation pages shows there)
 * and the median of the per-round new ÷ old ratios. `rate=0` measures at saturation instead.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { treeCpuSeconds } from './gateway-cpu.mjs';
import { ruleList } from './gateway-data.mjs';
import { runProcess, startProcess } from './gateway-processes.mjs';

const flagArgs = (name) =>
  (process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? '')
    .split(' ')
    .filter((a) => a !== '');
const [otherRoot, roundsArg, secondsArg, rateArg, connectionsArg] = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'));
if (otherRoot === undefined) {
  process.stderr.write(
    'usage: node bench/gateway-ab.mjs OTHER_TREE [rounds] [seconds] [rate] [connections]\n',
  );
  process.exit(2);
}
const rounds = Number(roundsArg ?? 6);
const seconds = Number(secondsArg ?? 8);
const rate = Number(rateArg ?? 3000);
const connections = Number(connectionsArg ?? 50);
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const tmp = join(os.tmpdir(), `ipgate-gateway-ab-${process.pid}`);
// Each build's store is set up by that build's own code (its bench/gateway-ipgate.mjs): a store made
// by a newer build carries migrations an older build refuses to open.
const builds = [
  {
    name: 'old',
    bin: join(resolve(otherRoot), 'apps/cli/bin/ipgate.js'),
    setUp: join(resolve(otherRoot), 'bench/gateway-ipgate.mjs'),
    serveArgs: flagArgs('old-args'),
  },
  {
    name: 'new',
    bin: here('../apps/cli/bin/ipgate.js'),
    setUp: here('./gateway-ipgate.mjs'),
    serveArgs: flagArgs('new-args'),
  },
];

/** CPU ticks of every thread of `pid` and its descendants, by `pid/tid`. */
function threadTicks(pid) {
  const out = new Map();
  const pending = [pid];
  while (pending.length > 0) {
    const p = pending.pop();
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {}
    for (const task of tasks) {
      try {
        const stat = readFileSync(`/proc/${p}/task/${task}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(`${p}/${task}`, {
          pid: String(p),
          tid: task,
          ticks: Number(fields[11]) + Number(fields[12]),
          // Minor page faults: V8 committing young-generation pages again after a scavenge shows here.
          faults: Number(fields[7]),
        });
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children !== '') pending.push(...children.split(' ').map(Number));
      } catch {}
    }
  }
  return out;
}

/**
 * Ticks used between two `threadTicks` by main threads (event loops), by each process's busiest other
 * thread (in ipgate's workers, the recorder thread: Node names no thread, so it is told apart by its
 * CPU, which is several times any V8 helper's), and by all the rest (V8's GC and compiler helpers, libuv).
 */
function splitTicks(before, after) {
  let main = 0;
  let mainFaults = 0;
  const others = new Map();
  for (const [key, t] of after) {
    const used = t.ticks - (before.get(key)?.ticks ?? 0);
    if (t.pid === t.tid) mainFaults += t.faults - (before.get(key)?.faults ?? 0);
    if (t.pid === t.tid) main += used;
    else others.set(t.pid, [...(others.get(t.pid) ?? []), used]);
  }
  let busiest = 0;
  let rest = 0;
  for (const used of others.values()) {
    const top = Math.max(...used);
    busiest += top;
    rest += used.reduce((a, b) => a + b, 0) - top;
  }
  return { main, busiest, rest, mainFaults };
}

const upstream = await startProcess(process.execPath, [here('./gateway-upstream.mjs'), '2'], /"port":(\d+)/);
const started = [];
try {
  const upstreamUrl = `http://127.0.0.1:${upstream.match[1]}`;
  for (const build of builds) {
    const dataDir = join(tmp, build.name);
    const { setUpIpgate } = await import(pathToFileURL(build.setUp).href);
    const rules = await setUpIpgate(dataDir, {
      upstreamUrl,
      apiAllow: ruleList(1_000, 3),
      tenantAllow: ruleList(1_000, 4),
    });
    const args = [build.bin, 'serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0'];
    args.push('--data-dir', dataDir, '--workers', '2', '--log-level', 'warn', ...build.serveArgs);
    const proc = await startProcess(
      process.execPath,
      args,
      /gateway \(proxy\): +(http:\/\/\S+)[\s\S]*admin API:/,
      // A loaded machine can take longer than the default 30 s to start the workers.
      { timeoutMs: 120_000 },
    );
    started.push(proc);
    build.pid = proc.child.pid;
    build.load = {
      url: `${proc.match[1]}/v1/thing`,
      connections,
      headers: { authorization: `Bearer ${rules.secret}` },
      ...(rate > 0 ? { rate } : {}),
    };
    build.perRequest = [];
    build.upstreamPerRequest = [];
  }
  const measure = async (build, durationS) => {
    const threads0 = threadTicks(build.pid);
    const cpu0 = treeCpuSeconds(build.pid);
    const up0 = treeCpuSeconds(upstream.child.pid);
    const result = JSON.parse(
      await runProcess(process.execPath, [
        here('./gateway-load.mjs'),
        JSON.stringify({ ...build.load, durationS }),
      ]),
    );
    const cpu = treeCpuSeconds(build.pid) - cpu0;
    const split = splitTicks(threads0, threadTicks(build.pid));
    const perRequest = (ticks) => (ticks * 1e4) / result.total; // 100 ticks a second
    const up = treeCpuSeconds(upstream.child.pid) - up0;
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${build.name}: ${JSON.stringify(result)}`);
    return {
      rps: result.rps,
      us: (cpu * 1e6) / result.total,
      upUs: (up * 1e6) / result.total,
      mainUs: perRequest(split.main),
      busiestUs: perRequest(split.busiest),
      restUs: perRequest(split.rest),
      faults: split.mainFaults / result.total,
    };
  };
  for (const build of builds) await measure(build, 3); // warm-up: JIT, SQLite's pages, pools
  const ratios = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? builds : [...builds].reverse();
    const got = {};
    for (const build of order) got[build.name] = await measure(build, seconds);
    ratios.push(got.new.us / got.old.us);
    const show = (g) =>
      `${g.us.toFixed(1)} µs [main ${g.mainUs.toFixed(1)}, recorder ${g.busiestUs.toFixed(1)}, rest ${g.restUs.toFixed(1)}; main-thread page faults ${g.faults.toFixed(2)}] (upstream ${g.upUs.toFixed(1)}, ${Math.round(g.rps)} req/s)`;
    console.log(
      `round ${round + 1}: old ${show(got.old)}; new ${show(got.new)}; new/old ${(ratios.at(-1) * 100).toFixed(1)} %`,
    );
    for (const build of builds) build.perRequest.push(got[build.name].us);
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  console.log(
    `median CPU per request: old ${median(builds[0].perRequest).toFixed(1)} µs, new ${median(builds[1].perRequest).toFixed(1)} µs; ` +
      `median new/old ${(median(ratios) * 100).toFixed(1)} % (${rate > 0 ? `${rate} req/s offered` : 'saturation'}, ${connections} connections, ${seconds} s × ${rounds} rounds)`,
  );
} finally {
  for (const proc of started) await proc.stop();
  await upstream.stop();
  rmSync(tmp, { recursive: true, force: true });
}
