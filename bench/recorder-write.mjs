/**
 * The recorder thread's work per request, without the gateway: `createRecorder` over a SQLite store,
 * fed gateway-shaped calls (the benchmark's key, one client address, so one aggregated observation),
 * as many per second as `rate` says, in the hand-off's chunks; CPU per call of this process.
 *
 *   node bench/recorder-write.mjs [calls=60000] [batchSize=500] [rate=3000]
 *
 * Compares the recorder's settings (batch size: how many records per transaction, and so how many
 * observation writes and commits per call) with the rest fixed. Needs a build (`npx tsc -b`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '@ipgate/server';
import { createRequestIds } from '../apps/server/dist/gateway/request-ids.js';
import { createRecorder } from '../apps/server/dist/records/recorder.js';
import { setUpIpgate } from './gateway-ipgate.mjs';

const calls = Number(process.argv[2] ?? 60_000);
const batchSize = Number(process.argv[3] ?? 500);
const rate = Number(process.argv[4] ?? 3_000);
const CHUNK = 300; // calls per hand-off message at this rate (every 100 ms)
const dir = mkdtempSync(join(os.tmpdir(), 'ipgate-recorder-write-'));
try {
  const { tenantId, keyId, apiId } = await setUpIpgate(dir, {
    upstreamUrl: 'http://127.0.0.1:1',
    apiAllow: ['127.0.0.1'],
    tenantAllow: ['127.0.0.1'],
  });
  const store = await openSqliteStore({ path: join(dir, 'ipgate.db') });
  const recorder = createRecorder({ store, batchSize });
  const ids = createRequestIds();
  const call = () => ({
    request: {
      requestId: ids.next(),
      at: new Date(),
      tenantId,
      apiId,
      keyId,
      client: '127.0.0.1',
      method: 'GET',
      path: '/v1/thing',
      status: 200,
      decision: 'allow',
      stage: 'complete',
      reason: 'allowed',
      latencyMs: 1.234,
      origin: null,
      matched: [
        { list: 'api-allowlist', entryId: 'ent_0123456789abcdef' },
        { list: 'tenant', entryId: 'ent_0123456789abcdeg' },
        { list: 'key-ips', entryId: 'kip_0123456789abcdef' },
      ],
    },
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
  await feed(calls);
  const cpu = process.cpuUsage(before);
  await recorder.close();
  await store.close();
  if (recorder.stats.requestsWritten !== calls + Math.min(calls, 6_000)) throw new Error('records lost');
  console.log(
    `recorder, batch ${batchSize}, ${rate} calls/s: ${((cpu.user + cpu.system) / calls).toFixed(1)} µs CPU per call` +
      ` (user ${(cpu.user / calls).toFixed(1)}, system ${(cpu.system / calls).toFixed(1)})`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
