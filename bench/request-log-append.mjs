/**
 * The request log's write cost: CPU per record of `appendRequests` into a SQLite store, in the
 * batches the recorder writes (500), as the recorder thread pays it under the gateway's load.
 *
 *   node bench/request-log-append.mjs [records=50000] [batch=500] [shared]
 *
 * `shared`: consecutive records name their matched entries through one list object, as the recorder
 * thread hands them over since the hand-off sends a repeated list once (`records/packed-calls.ts`);
 * without it every record has a list of its own, as callers outside the gateway give them.
 *
 * CPU time of this process (not wall time), so it compares well on a busy machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '@ipgate/server';
import { createRequestIds } from '../apps/server/dist/gateway/request-ids.js';
import { sampleMatches, sampleRequest } from './sample-request.mjs';

const total = Number(process.argv[2] ?? 50_000);
const batch = Number(process.argv[3] ?? 500);
const shared = process.argv[4] === 'shared';
const dir = mkdtempSync(join(os.tmpdir(), 'ipgate-append-'));
const store = await openSqliteStore({ path: join(dir, 'ipgate.db') });
try {
  // The gateway's own ids: their order decides where each insert lands in the primary key's B-tree.
  const ids = createRequestIds();
  const sharedMatches = sampleMatches();
  const record = () =>
    sampleRequest({
      requestId: ids.next(),
      at: new Date(),
      matched: shared ? sharedMatches : sampleMatches(),
    });
  // Warm-up: the JIT and SQLite's page cache.
  for (let i = 0; i < 10; i++) await store.appendRequests(Array.from({ length: batch }, record));
  const batches = Array.from({ length: Math.ceil(total / batch) }, () =>
    Array.from({ length: batch }, record),
  );
  const before = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (const b of batches) await store.appendRequests(b);
  const cpu = process.cpuUsage(before);
  const wall = Number(process.hrtime.bigint() - started) / 1e3;
  const count = batches.length * batch;
  console.log(
    `appendRequests, ${count} records in batches of ${batch}${shared ? ', matched lists shared' : ''}: ${((cpu.user + cpu.system) / count).toFixed(1)} µs CPU per record` +
      ` (user ${(cpu.user / count).toFixed(1)}, system ${(cpu.system / count).toFixed(1)}; wall ${(wall / count).toFixed(1)} µs)`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
