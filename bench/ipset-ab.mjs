/**
 * Two builds of @ipgate/core in one process, alternating: IpSet lookups from text on the v6-1m list of
 * ipset.bench.mjs (1,000,000 random IPv6 CIDRs, seed 106; 100,000 queries, seed 1000, half inside).
 * On a machine shared with other work, absolute times drift from minute to minute; the ratio of two
 * builds timed in turn, round by round, does not.
 *
 *   npx tsc -b && cp -a packages/core/dist /tmp/core-new     # the build to try
 *   git checkout <old> -- packages/core && npx tsc -b packages/core && cp -a packages/core/dist /tmp/core-old
 *   git checkout HEAD -- packages/core && npx tsc -b packages/core
 *   node --expose-gc bench/ipset-ab.mjs /tmp/core-old /tmp/core-new [rounds] [--match]
 *
 * Prints each build's first build time (CPU), heap + external memory per entry, wrong answers, then the
 * median over rounds of wall and CPU ns per lookup and of the per-round new ÷ old ratio.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createReference, median, randomIPv6Cidrs, randomQueries } from './data.mjs';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const [oldDir, newDir, roundsArg] = args;
if (oldDir === undefined || newDir === undefined) {
  process.stderr.write(
    'usage: node --expose-gc bench/ipset-ab.mjs OLD_CORE_DIST NEW_CORE_DIST [rounds] [--match]\n',
  );
  process.exit(2);
}
const useMatch = process.argv.includes('--match');
const rounds = Number(roundsArg ?? 30);
const load = async (dir) => (await import(pathToFileURL(path.resolve(dir, 'index.js')).href)).IpSet;
const builds = [
  { name: 'old', IpSet: await load(oldDir) },
  { name: 'new', IpSet: await load(newDir) },
];

const list = randomIPv6Cidrs(1_000_000, 106);
const queries = randomQueries(list, 100_000, 1000, { family: 6, reference: createReference(list) });
const texts = queries.texts;

async function memory() {
  for (let k = 0; k < 3; k++) {
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

for (const build of builds) {
  const before = await memory();
  const cpu = process.cpuUsage();
  build.set = build.IpSet.from(list.entries);
  const used = process.cpuUsage(cpu);
  const bytes = ((await memory()) - before) / list.entries.length;
  let wrong = 0;
  for (let k = 0; k < texts.length; k++) {
    const inside = queries.expected[k] === 1;
    if (build.set.has(texts[k]) !== inside) wrong++;
    if ((build.set.match(texts[k]) !== undefined) !== inside) wrong++;
  }
  process.stdout.write(
    `${build.name}: build ${((used.user + used.system) / 1000).toFixed(0)} ms CPU, ` +
      `${globalThis.gc === undefined ? 'n/a (run with --expose-gc)' : bytes.toFixed(1)} B/entry, wrong answers ${wrong}\n`,
  );
}

let sink = 0;
function time(set) {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  if (useMatch) for (let k = 0; k < texts.length; k++) sink += set.match(texts[k]) === undefined ? 0 : 1;
  else for (let k = 0; k < texts.length; k++) sink += set.has(texts[k]) ? 1 : 0;
  const wall = Number(process.hrtime.bigint() - start) / texts.length;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: ((used.user + used.system) * 1000) / texts.length };
}

for (let k = 0; k < 3; k++) for (const build of builds) time(build.set);
const rows = [];
for (let r = 0; r < rounds; r++) {
  // Which build goes first alternates, so neither always runs on the other's cache leftovers.
  const order = r % 2 === 0 ? builds : [...builds].reverse();
  const t = Object.fromEntries(order.map((b) => [b.name, time(b.set)]));
  rows.push(t);
}
const m = (f) => median(rows.map(f)).toFixed(1);
const ratio = (f) => median(rows.map(f)).toFixed(3);
process.stdout.write(
  `${rounds} rounds of ${texts.length} ${useMatch ? 'match' : 'has'}() from text, medians:\n` +
    `  wall ns  old ${m((r) => r.old.wall)}  new ${m((r) => r.new.wall)}  new/old ${ratio((r) => r.new.wall / r.old.wall)}\n` +
    `  CPU ns   old ${m((r) => r.old.cpu)}  new ${m((r) => r.new.cpu)}  new/old ${ratio((r) => r.new.cpu / r.old.cpu)}\n` +
    `(checksum ${sink % 1000})\n`,
);
