/**
 * The recorder thread's work per request, without the gateway: `createRecorder` over a SQLite store,
 * fed gateway-shaped calls (the benchmark's key, one client address, so one aggregated observation),
 * as many per second as `rate` says, in the hand-off's chunks; CPU per call of this process.
 *
 *   node bench/recorder-write.mjs [calls=60000] [batchSize=500] [rate=3000] [serverDist=apps/server/dist] [--request-log=all|denials]
 *
 * Compares the recorder's settings (batch size: how many records per transaction, and so how many
 * observation writes and commits per call) with the rest fixed, or two builds' recorders (`serverDist`:
 * another tree's `apps/server/dist`; the store is this tree's). Also prints the CPU per call spent in
 * the store's two writes, request records and observations: the parts the whole figure is too noisy
 * on a busy machine to show. `--request-log=denials` runs the recorder as `serve --request-log=denials`
 * does: the calls (all allowed) are counted per minute instead of written as records, and the
 * counts' write is timed as the third part. Needs a build (`npx tsc -b`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openSqliteStore } from '@ipgate/server';
import { createRequestIds } from '../apps/server/dist/gateway/request-ids.js';
import { setUpIpgate } from './gateway-ipgate.mjs';
import { sampleRequest } from './sample-request.mjs';

const requestLog =
  process.argv.find((a) => a.startsWith('--request-log='))?.slice('--request-log='.length) ?? 'all';
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const calls = Number(positional[0] ?? 60_000);
const batchSize = Number(positional[1] ?? 500);
const rate = Number(positional[2] ?? 3_000);
const serverDist = positional[3];
const { createRecorder } = await import(
  serverDist === undefined
    ? '../apps/server/dist/records/recorder.js'
    : pathToFileURL(resolve(serverDist, 'records/recorder.js')).href
);
const CHUNK = 300; // calls per hand-off message at this rate (every 100 ms)
const dir = mkdtempSync(join(os.tmpdir(), 'ipgate-recorder-write-'));
try {
  const { tenantId, keyId, apiId } = await setUpIpgate(dir, {
    upstreamUrl: 'http://127.0.0.1:1',
    apiAllow: ['127.0.0.1'],
    tenantAllow: ['127.0.0.1'],
  });
  const store = await openSqliteStore({ path: join(dir, 'ipgate.db') });
  // CPU inside each store write (better-sqlite3 is synchronous, so little else runs meanwhile).
  const inStore = { requests: 0, counts: 0, observations: 0, observationWrites: 0 };
  const timed = (method, part) => async (batch) => {
    const started = process.cpuUsage();
    try {
      return await store[method](batch);
    } finally {
      const used = process.cpuUsage(started);
      inStore[part] += used.user + used.system;
      if (part === 'observations') inStore.observationWrites++;
    }
  };
  const recorder = createRecorder({
    store: {
      appendRequests: timed('appendRequests', 'requests'),
      recordObservations: timed('recordObservations', 'observations'),
      appendRequestCounts: timed('appendRequestCounts', 'counts'),
    },
    batchSize,
    ...(requestLog === 'all' ? {} : { requestLog }),
  });
  const ids = createRequestIds();
  const call = () => ({
    request: sampleRequest({ requestId: ids.next(), at: new Date(), ids: { tenantId, apiId, keyId } }),
    observation: { tenantId, keyId, address: '127.0.0.1', status: 'authorized', reason: undefined },
  });
  const feed = async (n) => {
    for (let i = 0; i < n; i += CHUNK) {
      for (let j = 0; j < CHUNK && i + j < n; j++) recorder.record(call());
      await new Promise((resolve) => setTimeout(resolve, (1000 * CHUNK) / rate));
    }
    await recorder.flush();
  };
  await feed(Math.min(calls, 6_000)); // warm-up: the JIT, SQLite's page cache
  const before = process.cpuUsage();
  Object.assign(inStore, { requests: 0, counts: 0, observations: 0, observationWrites: 0 });
  await feed(calls);
  const cpu = process.cpuUsage(before);
  await recorder.close();
  await store.close();
  const kept = requestLog === 'denials' ? recorder.stats.requestsCounted : recorder.stats.requestsWritten;
  if (kept !== calls + Math.min(calls, 6_000)) throw new Error('records lost');
  console.log(
    `recorder, request log ${requestLog}, batch ${batchSize}, ${rate} calls/s: ${((cpu.user + cpu.system) / calls).toFixed(1)} µs CPU per call` +
      ` (user ${(cpu.user / calls).toFixed(1)}, system ${(cpu.system / calls).toFixed(1)});` +
      ` in the store: request records ${(inStore.requests / calls).toFixed(1)}, counts ${(inStore.counts / calls).toFixed(2)}, observations` +
      ` ${(inStore.observations / calls).toFixed(2)} µs per call (${inStore.observationWrites} writes)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
