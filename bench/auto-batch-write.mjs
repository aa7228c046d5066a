/**
 * The `auto` mode's store write alone (bench/README.md#auto-review): `Store.autoAuthorizeAddresses`
 * with batches of 37 new, trusted addresses (what the gateway run gathers in 250 ms) over 50 keys, on
 * a fresh SQLite file, one after the other, no refresh, no HTTP. Prints the CPU (user + system) per
 * batch and per address, the wall time per batch (the commit's fsync included) and the run's window
 * in `--cpu-prof` time. The build is given by its root, so that an old build and a new one run the
 * same script in one sitting.
 *
 *   npx tsc -b && node bench/auto-batch-write.mjs . 200             # this build, 200 batches
 *   node bench/auto-batch-write.mjs /work/old-build 200              # another build's dist
 *   node bench/auto-batch-write.mjs . 50 20000                       # a list of 20,000 entries before
 *   node bench/auto-batch-write.mjs . 200 0 --observed               # each address recorded pending first
 *
 * `--observed`: before each batch, its addresses are recorded `pending` with their assessment
 * (`recordObservations`, not timed), as the gateway's recorder does when it flushes before the
 * writer's 250 ms are up; the batch then updates those rows instead of inserting them.
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/auto-batch-write.mjs . 200
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freshAddress } from './review-addresses.mjs';
import { trustedAssessment } from './trusted-assessment.mjs';

const root = resolve(process.argv[2] ?? '.');
const batches = Number(process.argv[3] ?? 200);
if (!Number.isInteger(batches) || batches < 1)
  throw new Error(
    `the batch count is a whole number from 1, e.g. node bench/auto-batch-write.mjs . 200; got ${process.argv[3]}`,
  );
const observedFirst = process.argv.includes('--observed');
const seeded = Number(process.argv[4] ?? 0);
if (!Number.isInteger(seeded) || seeded < 0)
  throw new Error(`the entries listed before are a whole number from 0; got ${process.argv[4]}`);
const from = (path) => import(pathToFileURL(join(root, path)).href);
const { openSqliteStore } = await from('apps/server/dist/index.js');
const { assess } = await from('apps/server/dist/review/assessment.js');
const { defaultReviewSettings } = await from('apps/server/dist/review/review-settings.js');

const BATCH = 37;
const KEYS = 50;
const assessment = trustedAssessment(assess, defaultReviewSettings);

const dir = mkdtempSync(join(tmpdir(), 'ipgate-auto-batch-'));
const store = await openSqliteStore({ path: join(dir, 'ipgate.db') });
try {
  const actor = { actor: 'user:bench' };
  const tenant = await store.createTenant({ name: 'b', ipMode: 'auto', ipEntryLimit: 1_000_000 }, actor);
  await store.addTenantIpEntry(tenant.id, { value: '2003:e1:1::1' }, actor);
  // Single addresses elsewhere, as a list `auto` filled for a long time.
  for (let i = 0; i < seeded; i += 1000) {
    const rows = [];
    for (let j = i; j < Math.min(seeded, i + 1000); j++) rows.push({ value: freshAddress('2a02:8100', j) });
    await store.importTenantIpEntries(tenant.id, { mode: 'merge', rows }, actor);
  }
  const keys = [];
  for (let i = 0; i < KEYS; i++)
    keys.push((await store.createKey(tenant.id, { name: `k${i}` }, actor)).key.id);
  let fresh = 0;
  let cpuMs = 0;
  let wallMs = 0;
  // CLOCK_MONOTONIC µs, the clock of a --cpu-prof profile's timestamps: the run's window in it.
  const windowStartUs = Number(process.hrtime.bigint() / 1000n);
  for (let b = 0; b < batches; b++) {
    const addresses = [];
    for (let i = 0; i < BATCH; i++) {
      fresh++;
      const address = freshAddress('2003:e1:1', fresh);
      addresses.push({ keyId: keys[fresh % KEYS], address, assessment, at: new Date() });
    }
    if (observedFirst)
      await store.recordObservations(
        addresses.map((a) => ({
          tenantId: tenant.id,
          keyId: a.keyId,
          address: a.address,
          firstAt: a.at,
          lastAt: a.at,
          count: 1,
          status: 'pending',
          reason: 'tenant-ip-not-listed',
          assessment,
        })),
      );
    const cpu = process.cpuUsage();
    const started = performance.now();
    await store.autoAuthorizeAddresses({
      tenantId: tenant.id,
      burst: { limit: 1000, windowMs: 3_600_000 },
      addresses,
    });
    const used = process.cpuUsage(cpu);
    cpuMs += (used.user + used.system) / 1000;
    wallMs += performance.now() - started;
  }
  const windowEndUs = Number(process.hrtime.bigint() / 1000n);
  console.log(
    JSON.stringify({
      root,
      batches,
      batch: BATCH,
      listedBefore: seeded + 1,
      observedFirst,
      cpuMsPerBatch: Number((cpuMs / batches).toFixed(2)),
      cpuUsPerAddress: Math.round((cpuMs * 1000) / batches / BATCH),
      wallMsPerBatch: Number((wallMs / batches).toFixed(2)),
      profileWindowUs: [windowStartUs, windowEndUs],
    }),
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
