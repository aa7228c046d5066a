/**
 * One build's gateway in the calling process, as a gateway worker runs it (`run-worker.ts`): its own
 * SQLite store set up like the gateway benchmark's (1,000-entry lists, key auth; this tree's store
 * code), snapshot engine, threaded recorder and entry usage; no `auto` review. Shared by
 * `gateway-thread-ab.mjs` (two builds in one process) and `gateway-allocations.mjs` (one, profiled).
 *
 *   const g = await startInProcessGateway({ root: here('..'), dataDir, upstreamUrl });
 *   // load `${g.url}/v1/thing` with `authorization: Bearer ${g.secret}`; then await g.close();
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ruleList } from './gateway-data.mjs';
import { setUpIpgate } from './gateway-ipgate.mjs';

const silent = { info() {}, warn() {}, error() {} };

/**
 * Starts the gateway of the built tree at `root` on a free loopback port. `recorderTids` are the
 * threads of this process the recorder started (for per-thread CPU from /proc/self/task).
 */
export async function startInProcessGateway({ root, dataDir, upstreamUrl }) {
  const rules = await setUpIpgate(dataDir, {
    upstreamUrl,
    apiAllow: ruleList(1_000, 3),
    tenantAllow: ruleList(1_000, 4),
  });
  const load = (file) => import(pathToFileURL(resolve(root, file)).href);
  const { openSqliteStore } = await load('apps/server/dist/index.js');
  const { createSnapshotEngine } = await load('apps/server/dist/snapshot/snapshot-engine.js');
  const { createThreadedRecorder } = await load('apps/server/dist/records/threaded-recorder.js');
  const { startEntryUsage } = await load('apps/server/dist/usage/entry-usage.js');
  const { startGateway } = await load('apps/server/dist/gateway/start-gateway.js');
  const { socketPeer } = await load('packages/core/dist/index.js');
  const store = await openSqliteStore({ path: join(dataDir, 'ipgate.db') });
  const engine = createSnapshotEngine({ store, logger: silent });
  await engine.start();
  const before = new Set(readdirSync('/proc/self/task'));
  const recorder = await createThreadedRecorder({
    store: { dataDir, databaseUrl: undefined },
    recorder: {},
    logger: silent,
  });
  // The thread the recorder started (the newest of this process's threads that appeared meanwhile).
  const recorderTids = readdirSync('/proc/self/task').filter((t) => !before.has(t));
  const usage = startEntryUsage({ enabled: true, store: recorder, intervalMs: 10_000, logger: silent });
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
  return {
    url: gateway.url,
    secret: rules.secret,
    recorderTids,
    async close() {
      await gateway.close();
      await usage.close();
      await recorder.close();
      engine.close();
      await store.close();
    },
  };
}
