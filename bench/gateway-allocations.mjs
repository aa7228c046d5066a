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
import { startInProcessGateway } from './gateway-in-process.mjs';
import { runProcess, startProcess } from './gateway-processes.mjs';

const seconds = Number(process.argv[2] ?? 8);
const rate = Number(process.argv[3] ?? 1000);
const top = Number(process.argv[4] ?? 30);
const interval = Number(process.argv[5] ?? 4096);
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const tmp = mkdtempSync(join(os.tmpdir(), 'ipgate-gateway-allocations-'));

const upstream = await startProcess(process.execPath, [here('./gateway-upstream.mjs'), '2'], /"port":(\d+)/);
const cleanups = [];
try {
  const gateway = await startInProcessGateway({
    root: here('..'),
    dataDir: join(tmp, 'ipgate'),
    upstreamUrl: `http://127.0.0.1:${upstream.match[1]}`,
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
        headers: { authorization: `Bearer ${gateway.secret}` },
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
