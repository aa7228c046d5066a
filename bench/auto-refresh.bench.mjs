/**
 * What a node's snapshot refresh costs after one `auto` batch, by the size of the tenant's list
 * (bench/README.md#auto-review): the batch is written with `Store.autoAuthorizeAddresses` (one
 * change), then `engine.refresh()` follows it as the writing node does — `rulesSince` reads the
 * tenant's unit back from the store and `CompiledRules.apply` compiles it again. Both run on the
 * gateway's event loop, once per batch on every node; both are O(list), not O(batch). Prints CPU ms
 * per batch of each part (the write itself, for scale: on SQLite it runs on the recorder thread).
 *
 * The engine here keeps no copy on disk, as a gateway worker: it extends the tenant with the batch's
 * rows (`rulesSince` with `additions`). `--whole` reads and compiles the tenant whole on every batch
 * instead, as every node did before, for comparison in one sitting. `--copy` keeps the last good copy
 * as `ipgate serve` does, and writes its journal record after every batch (`copy` per batch: more
 * often than the 2 s of the process, so an upper bound); before the journal took added entries, that
 * process read the tenant whole (`--whole`).
 *
 *   npx tsc -b && node bench/auto-refresh.bench.mjs                  # lists of 1,500, 5,000 and 20,000 entries
 *   node bench/auto-refresh.bench.mjs --listed 5000 --batch 37 --batches 40
 *   node bench/auto-refresh.bench.mjs --batches 30 --whole
 *   node bench/auto-refresh.bench.mjs --batches 30 --copy
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '@ipgate/server';
import { assess } from '../apps/server/dist/review/assessment.js';
import { defaultReviewSettings } from '../apps/server/dist/review/review-settings.js';
import { CompiledRules } from '../apps/server/dist/snapshot/compiled-rules.js';
import { createLastGoodWriter } from '../apps/server/dist/snapshot/last-good-writer.js';
import { createSnapshotEngine } from '../apps/server/dist/snapshot/snapshot-engine.js';
import { freshAddress } from './review-addresses.mjs';
import { trustedAssessment } from './trusted-assessment.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i === -1) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a whole number from 1, e.g. ${name} 37`);
  return [n];
}
const sizes = option('--listed', [1500, 5000, 20000]);
// 37 addresses a batch: what review.bench.mjs's gateway gathers in 250 ms at ~150 new addresses/s.
const [batch] = option('--batch', [37]);
const [batches] = option('--batches', [40]);
const KEYS = 50;
const whole = process.argv.includes('--whole');
const copy = process.argv.includes('--copy');

const assessment = trustedAssessment(assess, defaultReviewSettings);

/** CPU ms (user + system) of this process while `fn` runs, added to `into[key]`. */
async function cpu(into, key, fn) {
  const before = process.cpuUsage();
  try {
    return await fn();
  } finally {
    const used = process.cpuUsage(before);
    into[key] = (into[key] ?? 0) + (used.user + used.system) / 1000;
  }
}

async function run(seeded) {
  const dir = mkdtempSync(join(tmpdir(), 'ipgate-auto-refresh-'));
  const store = await openSqliteStore({ path: join(dir, 'ipgate.db') });
  const storeLocation = `sqlite:${join(dir, 'ipgate.db')}`;
  const writer = copy
    ? createLastGoodWriter({ path: join(dir, 'last-good-rules'), storeLocation, delayMs: 60_000 })
    : undefined;
  const engine = createSnapshotEngine({
    store,
    ...(writer === undefined
      ? {}
      : { lastGood: { path: join(dir, 'last-good-rules'), storeLocation, writer } }),
  });
  const parts = {};
  // The engine's own calls, timed where they run (the store read, the compile).
  const rulesSince = store.rulesSince.bind(store);
  store.rulesSince = (version, options) =>
    cpu(parts, 'rulesSince', () => rulesSince(version, whole ? { ...options, additions: false } : options));
  const apply = CompiledRules.prototype.apply;
  CompiledRules.prototype.apply = function (...args) {
    const before = process.cpuUsage();
    try {
      return apply.apply(this, args);
    } finally {
      const used = process.cpuUsage(before);
      parts.apply = (parts.apply ?? 0) + (used.user + used.system) / 1000;
    }
  };
  try {
    const actor = { actor: 'user:bench' };
    const tenant = await store.createTenant({ name: 'b', ipMode: 'auto', ipEntryLimit: 1_000_000 }, actor);
    for (let i = 0; i < seeded; i += 1000) {
      const rows = [];
      for (let j = i; j < Math.min(seeded, i + 1000); j++) rows.push({ value: freshAddress('2a02:8100', j) });
      await store.importTenantIpEntries(tenant.id, { mode: 'merge', rows }, actor);
    }
    const keys = [];
    for (let i = 0; i < KEYS; i++)
      keys.push((await store.createKey(tenant.id, { name: `k${i}` }, actor)).key.id);
    await engine.refresh();
    await writer?.flush();
    for (const k of Object.keys(parts)) delete parts[k];
    let fresh = 0;
    for (let b = 0; b < batches; b++) {
      const addresses = [];
      for (let i = 0; i < batch; i++) {
        fresh++;
        const address = freshAddress('2003:e1:1', fresh);
        addresses.push({ keyId: keys[fresh % KEYS], address, assessment, at: new Date() });
      }
      await cpu(parts, 'write', () =>
        store.autoAuthorizeAddresses({
          tenantId: tenant.id,
          burst: { limit: 1000, windowMs: 3_600_000 },
          addresses,
        }),
      );
      await cpu(parts, 'refresh', () => engine.refresh());
      if (writer !== undefined) await cpu(parts, 'copy', () => writer.flush());
    }
    const size = engine.current.tenants.get(tenant.id).restriction.list.size;
    const per = (k) => Number(((parts[k] ?? 0) / batches).toFixed(2));
    console.log(
      JSON.stringify({
        path: whole ? 'whole' : 'extend',
        copy,
        listedBefore: seeded,
        listedAfter: size,
        batch,
        batches,
        cpuMsPerBatch: {
          write: per('write'),
          refresh: per('refresh'),
          'of which rulesSince': per('rulesSince'),
          'of which apply': per('apply'),
          ...(copy ? { 'copy (journal record)': per('copy') } : {}),
        },
        refreshMsPerNewAddress: Number((per('refresh') / batch).toFixed(3)),
      }),
    );
  } finally {
    CompiledRules.prototype.apply = apply;
    engine.close();
    await writer?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const n of sizes) await run(n);
