/**
 * The gateway recorder's observation write in an `auto` stream (bench/README.md#auto-review):
 * `Store.recordObservations` with what one flush carries — 4 known addresses and 10 new ones, each
 * new one with its trusted assessment (~1.4 KB of JSON) — on a fresh SQLite file, one flush after
 * the other. Prints CPU (user + system) and wall time per flush, the commit's fsync included. The
 * build is given by its root, so an old and a new build run the same script in one sitting.
 *
 *   npx tsc -b && node bench/recorder-observations.mjs . 300          # this build, 300 flushes
 *   node bench/recorder-observations.mjs /work/old-build 300           # another build's dist
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { trustedAssessment } from './trusted-assessment.mjs';

const root = resolve(process.argv[2] ?? '.');
const flushes = Number(process.argv[3] ?? 300);
if (!Number.isInteger(flushes) || flushes < 1)
  throw new Error(`the flush count is a whole number from 1; got ${process.argv[3]}`);
const from = (path) => import(pathToFileURL(join(root, path)).href);
const { openSqliteStore } = await from('apps/server/dist/index.js');
const { assess } = await from('apps/server/dist/review/assessment.js');
const { defaultReviewSettings } = await from('apps/server/dist/review/review-settings.js');
const assessment = trustedAssessment(assess, defaultReviewSettings);

const dir = mkdtempSync(join(tmpdir(), 'ipgate-recorder-observations-'));
const store = await openSqliteStore({ path: join(dir, 'ipgate.db') });
try {
  const actor = { actor: 'user:bench' };
  const tenant = await store.createTenant({ name: 'b', ipMode: 'auto' }, actor);
  const keys = [];
  for (let i = 0; i < 10; i++) keys.push((await store.createKey(tenant.id, { name: `k${i}` }, actor)).key.id);
  let fresh = 0;
  const flush = () => {
    const now = new Date();
    const batch = [];
    for (let i = 0; i < 4; i++)
      batch.push({
        tenantId: tenant.id,
        keyId: keys[0],
        address: `81.2.69.${140 + i}`,
        firstAt: now,
        lastAt: now,
        count: 120,
        status: 'authorized',
      });
    for (let i = 0; i < 10; i++) {
      fresh++;
      batch.push({
        tenantId: tenant.id,
        keyId: keys[fresh % keys.length],
        address: `2003:e1:1:${(fresh >>> 16) & 0xffff}:${(fresh & 0xffff).toString(16)}::1`,
        firstAt: now,
        lastAt: now,
        count: 1,
        status: 'authorized',
        assessment,
      });
    }
    return store.recordObservations(batch);
  };
  for (let i = 0; i < 50; i++) await flush(); // warm-up
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < flushes; i++) await flush();
  const used = process.cpuUsage(cpu);
  console.log(
    `${root}: ${((used.user + used.system) / flushes).toFixed(0)} µs CPU per flush of 14 observations (10 new), wall ${(((performance.now() - t0) * 1000) / flushes).toFixed(0)} µs`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
