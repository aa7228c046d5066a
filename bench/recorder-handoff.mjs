/**
 * The hand-off of recorded calls from a gateway thread to its recorder thread, alone: gateway-shaped
 * calls (the same API, tenant, key and client strings call after call, a new request id and path
 * string each, three matched entries, an observation) packed, posted every 1,024 calls to a worker
 * thread that unpacks them and keeps the last 2,000 (as the recorder keeps a batch until it writes).
 * Two builds of `packed-calls.js` in one process, alternating round by round; CPU per call of the
 * sending thread and of the whole process (the receiving thread and V8's helpers included).
 *
 *   node bench/recorder-handoff.mjs OLD_RECORDS_DIST NEW_RECORDS_DIST [calls=300000] [rounds=6]
 *   node bench/recorder-handoff.mjs /tmp/ipgate-old/apps/server/dist/records apps/server/dist/records
 *
 * Either build's API works: `packCall(call, out)` (before) or `new CallPacker()` (since).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const [oldDir, newDir, callsArg, roundsArg] = process.argv.slice(2);
if (oldDir === undefined || newDir === undefined) {
  process.stderr.write(
    'usage: node bench/recorder-handoff.mjs OLD_RECORDS_DIST NEW_RECORDS_DIST [calls] [rounds]\n',
  );
  process.exit(2);
}
const calls = Number(callsArg ?? 300_000);
const rounds = Number(roundsArg ?? 6);
const POST_AT = 1024;

const RECEIVER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.url).then(({ unpackCalls }) => {
  let kept = [];
  let count = 0;
  parentPort.on('message', (m) => {
    if (m === 'sync') return parentPort.postMessage(count);
    unpackCalls(m, (call) => {
      count++;
      kept.push(call);
      if (kept.length >= 2000) kept = [];
    });
  });
  parentPort.postMessage('ready');
});`;

const builds = [];
for (const [name, dir] of [
  ['old', oldDir],
  ['new', newDir],
]) {
  const url = pathToFileURL(path.resolve(dir, 'packed-calls.js')).href;
  const module = await import(url);
  const worker = new Worker(RECEIVER, { eval: true, workerData: { url } });
  await new Promise((resolve) => worker.once('message', resolve));
  const packer =
    module.CallPacker === undefined
      ? (() => {
          let fields = [];
          let n = 0;
          return {
            add: (call) => {
              module.packCall(call, fields);
              n++;
            },
            get calls() {
              return n;
            },
            take: () => {
              const f = fields;
              fields = [];
              n = 0;
              return f;
            },
          };
        })()
      : new module.CallPacker();
  builds.push({ name, worker, packer, main: [], all: [] });
}

const tenantId = 'ten_0123456789abcdef01';
const apiId = 'api_0123456789abcdef01';
const keyId = 'key_0123456789abcdef01';
const client = '127.0.0.1';
const entries = ['ent_0123456789abcdef', 'ent_0123456789abcdeg', 'kip_0123456789abcdef'];
let serial = 0;
/** What `callRecord` builds for one allowed request of the benchmark's set-up. */
const call = () => {
  serial++;
  return {
    request: {
      requestId: `req_${(1e15 + serial).toString(36)}`,
      at: new Date(),
      tenantId,
      apiId,
      keyId,
      client,
      method: 'GET',
      path: `/v1/thing?${serial}`.slice(0, 9),
      status: 200,
      decision: 'allow',
      stage: 'complete',
      reason: 'allowed',
      latencyMs: 1.234,
      origin: null,
      matched: [
        { list: 'api-allowlist', entryId: entries[0] },
        { list: 'tenant', entryId: entries[1] },
        { list: 'key-ips', entryId: entries[2] },
      ],
    },
    observation: {
      tenantId,
      keyId,
      address: client,
      status: 'authorized',
      reason: undefined,
      assessment: undefined,
    },
  };
};

const mainTicks = () => {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
};
const sync = (worker) =>
  new Promise((resolve) => {
    worker.once('message', resolve);
    worker.postMessage('sync');
  });

async function run(build, n) {
  for (let i = 0; i < n; i++) {
    build.packer.add(call());
    if (build.packer.calls >= POST_AT) {
      build.worker.postMessage(build.packer.take());
      // Let the receiver run beside the sender, as the gateway's event loop would between requests.
      if ((i & 8191) === 8191) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  if (build.packer.calls > 0) build.worker.postMessage(build.packer.take());
  await sync(build.worker);
}

for (const build of builds) await run(build, 50_000); // warm-up
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? builds : [...builds].reverse();
  for (const build of order) {
    const t0 = mainTicks();
    const c0 = process.cpuUsage();
    await run(build, calls);
    const c = process.cpuUsage(c0);
    build.main.push(((mainTicks() - t0) * 1e4) / calls);
    build.all.push((c.user + c.system) / calls);
  }
  console.log(
    `round ${round + 1}: ${builds.map((b) => `${b.name} ${b.main.at(-1).toFixed(2)} µs sending thread, ${b.all.at(-1).toFixed(2)} µs process`).join('; ')}`,
  );
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `median per call: ${builds.map((b) => `${b.name} ${median(b.main).toFixed(2)} µs sending thread, ${median(b.all).toFixed(2)} µs process`).join('; ')}`,
);
for (const build of builds) await build.worker.terminate();
