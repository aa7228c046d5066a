/**
 * Where ipgate's gateway workers spend their CPU under the benchmark's load: the same set-up as the
 * ipgate row of `gateway.bench.mjs` (1,000-entry lists, key auth, recording), `ipgate serve --workers`
 * with `--cpu-prof` in every process, autocannon for `seconds`, then the top self-time functions of
 * the busiest worker's profile. Needs a build (`npx tsc -b`).
 *
 *   node bench/gateway-profile.mjs [seconds=5] [top=40]        # keeps the .cpuprofile files, prints where
 *   node bench/gateway-profile.mjs 5 40 bare                   # the same for the bare undici proxy
 *   node bench/gateway-profile.mjs 5 40 dispatch               # … for the bare proxy on pool.dispatch
 *   PROFILE_WAIT_MS=15000 node bench/gateway-profile.mjs …     # wait longer for the profiles (busy box)
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ruleList } from './gateway-data.mjs';
import { setUpIpgate, startIpgate } from './gateway-ipgate.mjs';
import { runProcess, startProcess } from './gateway-processes.mjs';

const seconds = Number(process.argv[2] ?? 5);
const top = Number(process.argv[3] ?? 40);
const target = process.argv[4] ?? 'ipgate';
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const tmp = mkdtempSync(join(os.tmpdir(), 'ipgate-gateway-profile-'));
const profiles = join(tmp, 'profiles');

const upstream = await startProcess(process.execPath, [here('./gateway-upstream.mjs'), '2'], /"port":(\d+)/);
try {
  const upstreamUrl = `http://127.0.0.1:${upstream.match[1]}`;
  const profiled =
    target === 'bare' || target === 'dispatch'
      ? await startBare(upstreamUrl)
      : await startProfiledIpgate(upstreamUrl);
  const result = JSON.parse(
    await runProcess(process.execPath, [here('./gateway-load.mjs'), JSON.stringify(profiled.load)]),
  );
  await profiled.stop();
  // Cluster workers leave after their primary and write their profiles on the way out.
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.PROFILE_WAIT_MS ?? 3_000)));
  console.log(`load: ${Math.round(result.rps)} req/s, p99 ${result.p99} ms; profiles in ${profiles}`);
  summarise(busiest(profiles), top);
} finally {
  await upstream.stop();
}

async function startBare(upstreamUrl) {
  const bare = await startProcess(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${profiles}`,
      here('./gateway-bare-proxy.mjs'),
      '2',
      upstreamUrl,
      ...(target === 'dispatch' ? ['dispatch'] : []),
    ],
    /"port":(\d+)/,
  );
  const url = `http://127.0.0.1:${bare.match[1]}/v1/thing`;
  return { load: { url, connections: 50, durationS: seconds }, stop: bare.stop };
}

async function startProfiledIpgate(upstreamUrl) {
  const dataDir = join(tmp, 'ipgate');
  const rules = await setUpIpgate(dataDir, {
    upstreamUrl,
    apiAllow: ruleList(1_000, 3),
    tenantAllow: ruleList(1_000, 4),
  });
  const ipgate = await startIpgate(dataDir, os.availableParallelism(), {
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profiles}`],
  });
  const load = {
    url: `${ipgate.gatewayUrl}/v1/thing`,
    connections: 50,
    durationS: seconds,
    headers: { authorization: `Bearer ${rules.secret}` },
  };
  return { load, stop: ipgate.stop };
}

/** The profile with the most non-idle samples: a gateway worker, not the server process. */
function busiest(dir) {
  let best;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const busy = profile.nodes
      .filter((n) => n.callFrame.functionName !== '(idle)')
      .reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
    if (best === undefined || busy > best.busy) best = { file, profile, busy };
  }
  console.log(`busiest profile: ${best.file}`);
  return best.profile;
}

/** Self time per function (name, file, line), as a share of all samples. */
function summarise(profile, count) {
  const total = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  const self = new Map();
  for (const n of profile.nodes) {
    const { functionName, url, lineNumber } = n.callFrame;
    const where =
      url === '' ? '' : ` ${url.replace(/^.*\/(node_modules|apps|packages)\//, '$1/')}:${lineNumber + 1}`;
    const key = `${functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + (n.hitCount ?? 0));
  }
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, count);
  for (const [key, hits] of rows) console.log(`${((hits / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
}
