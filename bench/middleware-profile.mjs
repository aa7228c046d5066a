/**
 * Where one server of the middleware benchmark spends its CPU under the benchmark's load: the server
 * (`middleware-server.mjs FRAMEWORK VARIANT`, same 1,000-entry list) with `--cpu-prof`, autocannon
 * for `seconds`, then the top self-time functions and the inclusive time of every ipgate function.
 * Needs a build (`npx tsc -b`).
 *
 *   node bench/middleware-profile.mjs hono ipgate [seconds=5] [top=30]
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ruleList } from './gateway-data.mjs';
import { runProcess, startProcess } from './gateway-processes.mjs';

const [framework = 'node', variant = 'ipgate', seconds = '5', top = '30'] = process.argv.slice(2);
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const tmp = mkdtempSync(join(os.tmpdir(), 'ipgate-middleware-profile-'));
const rulesFile = join(tmp, 'allow.json');
// The same list as middleware.bench.mjs.
writeFileSync(rulesFile, JSON.stringify(ruleList(1_000, 7)));

const server = await startProcess(
  process.execPath,
  ['--cpu-prof', `--cpu-prof-dir=${tmp}`, here('./middleware-server.mjs'), framework, variant, rulesFile],
  /"port":(\d+)/,
  { env: { ...process.env, NODE_ENV: 'production' } },
);
const url = `http://127.0.0.1:${server.match[1]}/`;
// A warm-up outside the profile's interesting part, then the profiled load.
await runProcess(process.execPath, [
  here('./gateway-load.mjs'),
  JSON.stringify({ url, connections: 50, durationS: 1 }),
]);
const result = JSON.parse(
  await runProcess(process.execPath, [
    here('./gateway-load.mjs'),
    JSON.stringify({ url, connections: 50, durationS: Number(seconds) }),
  ]),
);
await server.stop();
const file = readdirSync(tmp).find((f) => f.endsWith('.cpuprofile'));
console.log(
  `${framework} ${variant}: ${Math.round(result.rps)} req/s, p99 ${result.p99} ms; profile ${join(tmp, file)}`,
);
summarise(JSON.parse(readFileSync(join(tmp, file), 'utf8')), Number(top));

function label(n) {
  const { functionName, url: source, lineNumber } = n.callFrame;
  const where =
    source === '' ? '' : ` ${source.replace(/^.*\/(node_modules|apps|packages)\//, '$1/')}:${lineNumber + 1}`;
  return `${functionName || '(anonymous)'}${where}`;
}

/** Self time per function, then inclusive time of each function under packages/ (ipgate's own). */
function summarise(profile, count) {
  const total = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (const n of profile.nodes) self.set(label(n), (self.get(label(n)) ?? 0) + (n.hitCount ?? 0));
  console.log('\nself time');
  for (const [key, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, count))
    console.log(`${((hits / total) * 100).toFixed(1).padStart(5)} %  ${key}`);

  // Inclusive: a node's hits plus its subtree's, counted once per function along each stack.
  const inclusive = new Map();
  const walk = (node, onStack) => {
    let hits = node.hitCount ?? 0;
    const key = label(node);
    const first = !onStack.has(key);
    if (first) onStack.add(key);
    for (const child of node.children ?? []) hits += walk(byId.get(child), onStack);
    if (first) {
      onStack.delete(key);
      if (node.callFrame.url.includes('/packages/')) inclusive.set(key, (inclusive.get(key) ?? 0) + hits);
    }
    return hits;
  };
  walk(profile.nodes[0], new Set());
  console.log('\ninclusive time, ipgate functions (packages/)');
  for (const [key, hits] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, count))
    console.log(`${((hits / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
}
