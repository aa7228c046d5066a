/**
 * What a refresh for a storm's changes costs a node's CPU, piece by piece, with builds alternating in
 * one process: the store's `rulesSince` for a delta of `--tenants` changed tenants (whole units, as
 * a node keeping the last good copy reads them), and `CompiledRules#apply` of that delta onto a
 * snapshot of the whole seeded store. CPU time (`process.cpuUsage`) per changed tenant, median of
 * `--rounds` rounds alternating the builds — ratios between builds, not absolute figures, on a
 * loaded machine.
 *
 *   node bench/scale/apply-cost.mjs --store=sqlite --label=mine --size=100000 --roots=/path/to/before,$PWD
 *   node bench/scale/apply-cost.mjs --store=postgres --tenants=15 --additions   # a refresh of a storm at 60/s
 *
 * The store is the one `scale.bench.mjs --reuse --label=<label> --sizes=<size>` seeded. This script
 * writes `--tenants` entries into it (one per tenant, through the store layer, so that `rulesSince`
 * has changes to read) and removes them when done.
 */
import { fileURLToPath } from 'node:url';
import { freshStore, openStore, serverModule } from './stores.mjs';

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const roots = arg('roots', here('../..')).split(',');
const kind = arg('store', 'sqlite');
const size = Number(arg('size', 100_000));
const label = arg('label', 'applycost');
const TENANTS = Number(arg('tenants', 50));
const ROUNDS = Number(arg('rounds', 7));
const REPEATS = Number(arg('repeats', 40));
// As every node asks (`additions: true`): the tenants the changes only added to come as those entries.
const ADDITIONS = process.argv.includes('--additions');
// Copies of the seeded tenants loaded beside them (renamed), for a snapshot of as many tenants as a
// larger store holds without seeding one: 10 copies of 100,000 entries' 10,000 tenants give 100,000.
const COPIES = Number(arg('copies', 10));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const log = (...parts) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const store = await freshStore(kind, `${label}_${size}`, { reuse: true });
const builds = [];
for (const root of roots) {
  const { CompiledRules } = await serverModule(root, 'snapshot/compiled-rules.js');
  const opened = await openStore(root, store);
  const rules = new CompiledRules();
  const load = rules.beginLoad(Date.now());
  const version = await opened.loadRules((chunk) => {
    load.add(chunk);
    for (let c = 1; c < COPIES; c++) {
      const tenants = chunk.tenants.map((t) => ({
        ...t,
        tenant: { ...t.tenant, id: `tc${c}${t.tenant.id}` },
      }));
      load.add({ version: chunk.version, tenants, apis: [], keys: [] });
    }
  });
  load.finish(version);
  builds.push({ root, store: opened, rules, version });
  log(`${root}: loaded ${rules.snapshot.tenants.size} tenants at version ${version}`);
}

// The changes: one fresh address on each of TENANTS tenants spread over the store, like the storm's.
const writer = builds[builds.length - 1].store;
const all = [...builds[0].rules.snapshot.tenants.keys()].filter((id) => id.startsWith('ten_')).sort();
const stride = Math.floor(all.length / TENANTS);
const chosen = Array.from({ length: TENANTS }, (_, i) => all[i * stride]);
const from = await writer.currentVersion();
const added = [];
for (const [i, tenantId] of chosen.entries()) {
  const entry = await writer.addTenantIpEntry(
    tenantId,
    { value: `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}` },
    { actor: 'token:bench' },
  );
  added.push([tenantId, entry.id]);
}

try {
  const results = builds.map(() => ({ read: [], apply: [] }));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [b, build] of builds.entries()) {
      const deltas = [];
      let t = cpuUs();
      for (let i = 0; i < REPEATS; i++)
        deltas.push(await build.store.rulesSince(from, { additions: ADDITIONS }));
      results[b].read.push((cpuUs() - t) / REPEATS / TENANTS);
      t = cpuUs();
      for (const delta of deltas) build.rules.apply(delta, Date.now());
      results[b].apply.push((cpuUs() - t) / REPEATS / TENANTS);
    }
  }
  const rows = builds.map((build, b) => ({
    root: build.root,
    readUsPerTenant: round(median(results[b].read)),
    applyUsPerTenant: round(median(results[b].apply)),
    rounds: { read: results[b].read.map((x) => round(x)), apply: results[b].apply.map((x) => round(x)) },
  }));
  console.log(
    JSON.stringify({ kind, size, tenants: TENANTS, additions: ADDITIONS, repeats: REPEATS, rows }, null, 1),
  );
} finally {
  for (const [tenantId, entryId] of added)
    await writer.removeTenantIpEntry(tenantId, entryId, { actor: 'token:bench' });
  for (const build of builds) await build.store.close();
}
