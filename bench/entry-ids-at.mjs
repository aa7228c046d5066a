/**
 * CPU per request of naming the entries a request matched: `EntryIds.at` for three lists (an API's
 * allowlist and a tenant's list of 1,000 store ids, a key's 3), the same positions every time, as a
 * busy node records them. Needs a build (`npx tsc -b`).
 *
 *   node bench/entry-ids-at.mjs [module=apps/server/dist/snapshot/entry-ids.js]
 *
 * `module`: another build of `entry-ids.js` (e.g. a copy of the previous one) to compare in one sitting.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { newId } from '../apps/server/dist/store/ids.js';

const module =
  process.argv[2] ?? new URL('../apps/server/dist/snapshot/entry-ids.js', import.meta.url).pathname;
const { EntryIds } = await import(pathToFileURL(resolve(module)).href);
const list = (kind, n) => EntryIds.of(Array.from({ length: n }, () => newId(kind)));
const api = list('ent', 1000);
const tenant = list('ent', 1000);
const key = list('kie', 3);
let chars = 0;
const request = () => {
  chars += api.at(999).length + tenant.at(999).length + key.at(0).length;
};
for (let i = 0; i < 100_000; i++) request();
const n = 1_000_000;
const before = process.cpuUsage();
for (let i = 0; i < n; i++) request();
const cpu = process.cpuUsage(before);
if (chars === 0) throw new Error('no ids read');
console.log(`${module}: ${(((cpu.user + cpu.system) * 1000) / n).toFixed(0)} ns of CPU per request (3 ids)`);
