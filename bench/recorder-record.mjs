/**
 * The recorder thread's JavaScript per call, without the store: calls packed as the gateway's thread
 * packs them (`CallPacker`, 1,000 per hand-off, one key, address and matched list), unpacked and given
 * to a build's `createRecorder` whose store does nothing; CPU per call of this process.
 *
 *   node bench/recorder-record.mjs [serverDist=apps/server/dist] [handoffs=150]
 *
 * Run two builds' `apps/server/dist` in turn, more than once. Needs a build (`npx tsc -b`).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sampleIds, sampleMatches, sampleRequest } from './sample-request.mjs';

const dist = resolve(process.argv[2] ?? 'apps/server/dist');
const handoffs = Number(process.argv[3] ?? 150);
const load = (file) => import(pathToFileURL(resolve(dist, file)).href);
const { createRecorder } = await load('records/recorder.js');
const { CallPacker, unpackCalls } = await load('records/packed-calls.js');
const recorder = createRecorder({
  store: { async appendRequests() {}, async recordObservations() {} },
  batchSize: 2000,
  flushIntervalMs: 60_000,
});
const matched = sampleMatches();
const { tenantId, keyId } = sampleIds;
let n = 0;
const packer = new CallPacker();
const packed = [];
for (let h = 0; h < 50 + handoffs; h++) {
  for (let i = 0; i < 1000; i++) {
    n++;
    packer.add({
      request: sampleRequest({
        requestId: `req_${n.toString(36).padStart(16, '0')}`,
        at: new Date(1.8e12 + n),
        latencyMs: 1.2,
        matched,
      }),
      observation: { tenantId, keyId, address: '127.0.0.1', status: 'authorized', reason: undefined },
    });
  }
  packed.push(packer.take());
}
// A turn of the event loop after each hand-off, as on the thread: the recorder's writes start.
const tick = () => new Promise((done) => setImmediate(done));
const give = async (lists) => {
  for (const fields of lists) {
    unpackCalls(fields, (call) => recorder.record(call));
    await tick();
  }
};
await give(packed.slice(0, 50)); // warm-up: the JIT
const before = process.cpuUsage();
await give(packed.slice(50));
const cpu = process.cpuUsage(before);
await recorder.close();
console.log(
  `${dist}: unpack + record ${((cpu.user + cpu.system) / (handoffs * 1000)).toFixed(2)} µs CPU per call`,
);
