/**
 * What the gateway thread allocates per request, by function: one build's gateway in this process (as
 * `gateway-thread-ab.mjs` runs it: store, snapshot engine, threaded recorder, entry usage), the bench's
 * request at a fixed rate from a load process of its own, and V8's sampling heap profiler counting
 * every sampled allocation — also those the young generation's scavenges have collected since, which
 * is what a request's garbage is. Bytes are estimates from samples (one per `interval` bytes on
 * average), so read shares and sizes of a few hundred bytes and up.
 *
 *   node bench/gateway-allocations.mjs [seconds=8] [rate=1000] [top=30] [interval=4096]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ruleList } from './gateway-data.mjs';
import { setUpIpgate } from './gateway-ipgate.mjs';
import { runProcess, startProcess } from './gateway-processes.mjs';

const seconds = Number(process.argv[2] ?? 8);
const rate = Number(process.argv[3] ?? 1000);
const top = Number(process.argv[4] ?? 30);
const interval = Number(process.argv[5] ?? 4096);
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const tmp = mkdtempSync(join(os.tmpdir(), 'ipgate-gateway-allocations-'));
const silent = { info() {}, warn() {}, error() {} };
const dist = (file) => import(new URL(`../apps/server/dist/${file}`, import.meta.url).href);

const upstream = await startProcess(process.execPath, [here('./gateway-upstream.mjs'), '2'], /"port":(\d+)/);
const cleanups = [];
try {
  const dataDir = join(tmp, 'ipgate');
  const rules = await setUpIpgate(dataDir, {
    upstreamUrl: `http://127.0.0.1:${upstream.match[1]}`,
    apiAllow: ruleList(1_000, 3),
    tenantAllow: ruleList(1_000, 4),
  });
  const { openSqliteStore } = await dist('index.js');
  const { createSnapshotEngine } = await dist('snapshot/snapshot-engine.js');
  const { createThreadedRecorder } = await dist('records/threaded-recorder.js');
  const { startEntryUsage } = await dist('usage/entry-usage.js');
  const { startGateway } = await dist('gateway/start-gateway.js');
  const { socketPeer } = await import(new URL('../packages/core/dist/index.js', import.meta.url).href);
  const store = await openSqliteStore({ path: join(dataDir, 'ipgate.db') });
  cleanups.push(() => store.close());
  const engine = createSnapshotEngine({ store, logger: silent });
  await engine.start();
  cleanups.push(() => engine.close());
  const recorder = await createThreadedRecorder({
    store: { dataDir, databaseUrl: undefined },
    recorder: {},
    logger: silent,
  });
  cleanups.push(() => recorder.close());
  const usage = startEntryUsage({ enabled: true, store: recorder, intervalMs: 10_000, logger: silent });
  cleanups.push(() => usage.close());
  const gateway = await startGateway({
    engine,
    clientAddress: socketPeer(),
    recorder,
    usage: usage.counter,
    host: '127.0.0.1',
    port: 0,
    logger: silent,
    upstreamTimeoutMs: 30_000,
  });
  cleanups.push(() => gateway.close());
  const load = (durationS) =>
    runProcess(process.execPath, [
      here('./gateway-load.mjs'),
      JSON.stringify({
        url: `${gateway.url}/v1/thing`,
        connections: 50,
        durationS,
        rate,
        headers: { authorization: `Bearer ${rules.secret}` },
      }),
    ]).then((out) => JSON.parse(out));
  await load(3); // warm-up: the JIT, pools
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: interval,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const result = await load(seconds);
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  // Self bytes per function (name, file, line), summed over the call tree.
  const self = new Map();
  let total = 0;
  const walk = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where =
      url === '' ? '' : ` ${url.replace(/^.*\/(node_modules|apps|packages)\//, '$1/')}:${lineNumber + 1}`;
    const key = `${functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  console.log(
    `${result.total} requests at ${Math.round(result.rps)} req/s: ~${Math.round(total / result.total)} bytes allocated per request on this thread`,
  );
  for (const [key, bytes] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${String(Math.round(bytes / result.total)).padStart(6)} B  ${((bytes / total) * 100).toFixed(1).padStart(5)} %  ${key}`,
    );
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await upstream.stop();
  rmSync(tmp, { recursive: true, force: true });
}
