/**
 * The entry-usage counter's drain in an `auto` tenant (bench/README.md#auto-review): the tenant is
 * compiled again after every batch, so one drain (every 10 s) finds hits on many compiled lists of
 * the same tenant; here 8 lists of `entries` + 37·k entries (ids as the store makes them), 4
 * positions hit on each. Prints CPU µs per drain. The build is given by its root.
 *
 *   npx tsc -b && node bench/usage-drain.mjs . 5000
 *   node bench/usage-drain.mjs /work/old-build 20000
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(process.argv[2] ?? '.');
const entries = Number(process.argv[3] ?? 5000);
if (!Number.isInteger(entries) || entries < 4)
  throw new Error(`the entry count is a whole number from 4; got ${process.argv[3]}`);
const from = (path) => import(pathToFileURL(join(root, path)).href);
const { EntryIds } = await from('apps/server/dist/snapshot/entry-ids.js');
const { UsageCounter } = await from('apps/server/dist/usage/usage-counter.js');
const { newId } = await from('apps/server/dist/store/ids.js');

let ids = EntryIds.of(Array.from({ length: entries }, () => newId('ent')));
const lists = [];
for (let i = 0; i < 8; i++) {
  ids = ids.with(Array.from({ length: 37 }, () => newId('ent')));
  lists.push(ids);
}
const counter = new UsageCounter();
const round = () => {
  for (const list of lists) for (const p of [0, 1, 2, 3]) counter.count(list, p, Date.now());
  return counter.drain().length;
};
for (let i = 0; i < 50; i++) round(); // warm-up
const cpu = process.cpuUsage();
let n = 0;
const end = performance.now() + 1500;
while (performance.now() < end) {
  round();
  n++;
}
const used = process.cpuUsage(cpu);
console.log(
  `${root}, ${entries} entries: ${((used.user + used.system) / n).toFixed(1)} µs CPU per drain of 8 lists`,
);
