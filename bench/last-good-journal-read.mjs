/**
 * How long a node takes to read its last good copy back when the journal holds many small records
 * (an `auto` tenant's batches: one entry added per record), as it does when it starts while the
 * store is down (bench/README.md#last-good-rules-on-disk).
 *
 *   npm run build && node bench/last-good-journal-read.mjs [entries] [records] [root ...]
 *   node bench/last-good-journal-read.mjs 1000 4000 /work/old-checkout .   # two builds, alternating
 *
 * Writes a base of one tenant with `entries` entries (default 1,000) and `records` journal records
 * (default 4,000) of one added entry each, with each root's own writer, then reads it back with each
 * root's reader, three times in turn; prints CPU and wall ms per read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const entries = Number(process.argv[2] ?? 1000);
const records = Number(process.argv[3] ?? 4000);
const roots = process.argv.length > 4 ? process.argv.slice(4) : ['.'];
const LOCATION = 'sqlite:/x';
const entry = (id, value) => ({ id, name: '', type: 'ip', value, expiresAt: null });
const ip = (k) => `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;

async function load(root) {
  const dist = join(resolve(root), 'apps/server/dist/snapshot/');
  const { createLastGoodWriter } = await import(join(dist, 'last-good-writer.js'));
  const { readLastGood } = await import(join(dist, 'last-good-read.js'));
  return { root, createLastGoodWriter, readLastGood };
}

async function write(build, path) {
  const writer = build.createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 0, journalShare: 1e9 });
  const full = writer.beginFull();
  const list = Array.from({ length: entries }, (_, k) => entry(`ent_${k}`, ip(k)));
  full.add({
    version: 1,
    tenants: [{ tenant: { id: 'ten_a', ipMode: 'auto' }, entries: list }],
    apis: [],
    keys: [],
  });
  full.finish(1, 'sto_a');
  await writer.flush();
  for (let v = 2; v < 2 + records; v++) {
    const added = new Map([['ten_a', [entry(`ent_a${v}`, ip(entries + v))]]]);
    writer.noteDelta({
      version: v,
      tenants: new Map(),
      tenantAdditions: added,
      apis: new Map(),
      keys: new Map(),
    });
    await writer.flush();
  }
  await writer.close();
}

const dir = mkdtempSync(join(tmpdir(), 'ipgate-journal-read-'));
try {
  const builds = [];
  for (const [i, root] of roots.entries()) {
    const build = await load(root);
    build.path = join(dir, `copy-${i}`);
    await write(build, build.path);
    builds.push(build);
  }
  for (let round = 1; round <= 3; round++) {
    for (const build of builds) {
      const cpu = process.cpuUsage();
      const wall = performance.now();
      let read = 0;
      const copy = await build.readLastGood(build.path, { storeLocation: LOCATION }, (c) => {
        for (const t of c.tenants) read += t.entries.length;
      });
      const used = process.cpuUsage(cpu);
      console.log(
        `round ${round} ${build.root}: ${read} entries at version ${copy.version}, CPU ${((used.user + used.system) / 1000).toFixed(0)} ms, wall ${(performance.now() - wall).toFixed(0)} ms`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
