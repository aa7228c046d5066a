/**
 * Resident memory a SQLite store gains over recorder flushes of varying size (as a busy node's
 * are): each flush upserts 1–499 observations, so the upsert's SQL text changes with the flush.
 * Shows what the SQLite statement cache (`store/sqlite-statements.ts`) keeps alive.
 *
 *   npm run build && node --expose-gc bench/statement-cache-memory.mjs [root of a checkout] [flushes]
 *
 * Run it on two builds one after the other (the root argument) to compare them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

if (typeof global.gc !== 'function') throw new Error('Run with node --expose-gc.');
const root = resolve(process.argv[2] ?? join(fileURLToPath(import.meta.url), '../..'));
const flushes = Number(process.argv[3] ?? 1200);
const { openSqliteStore } = await import(`${root}/apps/server/dist/store/sqlite.js`);
const dir = mkdtempSync(join(tmpdir(), 'ipgate-statement-cache-'));
const store = await openSqliteStore({ path: join(dir, 'ipgate.db') });
const actor = { actor: 'bench' };
const tenantId = (await store.createTenant({ name: 't' }, actor)).id;
const keyId = (await store.createKey(tenantId, { name: 'k' }, actor)).key.id;
let seed = 5;
const random = () => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed;
};
const residentMiB = () => {
  global.gc();
  return process.memoryUsage().rss / 1048576;
};
const start = residentMiB();
let address = 0;
for (let flush = 0; flush < flushes; flush++) {
  const rows = 1 + (random() % 499);
  const now = new Date();
  const observations = [];
  for (let i = 0; i < rows; i++) {
    address = (address + 1) % 60000;
    observations.push({
      tenantId,
      keyId,
      address: `10.${(address >> 8) & 255}.${address & 255}.${flush % 200}`,
      firstAt: now,
      lastAt: now,
      count: 1,
      status: 'pending',
    });
  }
  await store.recordObservations(observations);
}
const end = residentMiB();
console.log(
  JSON.stringify({
    root,
    flushes,
    rssStartMiB: +start.toFixed(1),
    rssEndMiB: +end.toFixed(1),
    growthMiB: +(end - start).toFixed(1),
  }),
);
await store.close();
rmSync(dir, { recursive: true, force: true });
