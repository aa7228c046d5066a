/**
 * The change storm of the scale benchmark, made straight through the store layer: a process of its
 * own that opens the seeded store with the server's own code (`root`'s build) and calls
 * `addTenantIpEntry` / `removeTenantIpEntry` across tenants at a set rate. Each call is the write an
 * admin request makes (one transaction: the entry, its change version, the audit event, and on
 * PostgreSQL the `NOTIFY` other nodes follow), without node A's HTTP, lockout guard and own refresh —
 * on two cores, node A could not make 200 changes/s beside PostgreSQL, wrk and the upstream.
 *
 * Forked by `scale.bench.mjs` (an IPC channel), which pins it with the rest to core 0. The tenants
 * come in a message (90,000 ids are too long for a command line):
 *
 *   ← { type: 'init', root, store, tenantIds, serial }   → { type: 'ready' }
 *   ← { type: 'start', rate }                            → { type: 'started' }
 *   ← { type: 'stop' }                  → { type: 'stopped', made, failed, ratePerS, cpuMsPerChange, … }
 *   ← { type: 'close' }   removes what the storm still lists → { type: 'closed', left }, exits
 */
import { openStore } from './stores.mjs';
import { pacedStorm, stormPlan } from './storm-plan.mjs';

const actor = { actor: 'token:bench-storm' };
let store;
let plan;
let storm;
let cpuFrom;

process.on('message', async (m) => {
  if (m.type === 'init') {
    store = await openStore(m.root, m.store);
    plan = stormPlan(m.tenantIds, { serial: m.serial });
    storm = pacedStorm(plan, async (c) =>
      c.kind === 'add'
        ? (await store.addTenantIpEntry(c.tenantId, { value: c.address, name: 'bench storm' }, actor)).id
        : store.removeTenantIpEntry(c.tenantId, c.entryId, actor),
    );
    process.send({ type: 'ready' });
  } else if (m.type === 'start') {
    cpuFrom = process.cpuUsage();
    storm.start(m.rate);
    process.send({ type: 'started' });
  } else if (m.type === 'stop') {
    const result = await storm.stop();
    const cpu = process.cpuUsage(cpuFrom);
    // The driver's own CPU per change (the store's client side: queries built, rows read).
    const cpuMsPerChange =
      Math.round(((cpu.user + cpu.system) / 1000 / Math.max(1, result.made)) * 1000) / 1000;
    process.send({ type: 'stopped', ...result, cpuMsPerChange });
  } else if (m.type === 'close') {
    // What the storm added and did not remove goes, so a reused store keeps the seed's lists.
    let left = 0;
    for (const { tenantId, entryId } of plan?.takeListed() ?? []) {
      await store.removeTenantIpEntry(tenantId, entryId, actor).catch(() => left++);
    }
    await store?.close();
    process.send({ type: 'closed', left }, () => process.exit(0));
  }
});
