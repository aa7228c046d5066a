/**
 * The web console's first-page weight: the JavaScript index.html loads (its module script and
 * modulepreloads), gzipped at level 9 as a server would, against the 300 KB budget; then each lazily
 * loaded page. Run after `npm run build`: node bench/console-bundle.mjs
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = fileURLToPath(new URL('../apps/console/dist/', import.meta.url));
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const first = [...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const firstTotal = first.reduce((sum, f) => sum + gz(f), 0);
console.log(
  `first page (sign-in): ${kb(firstTotal)} gzipped JS in ${first.length} file(s); budget 300 KB (${((firstTotal / (300 * 1024)) * 100).toFixed(0)} %)`,
);
const css = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.css'));
for (const f of css) console.log(`  css ${f}: ${kb(gz(`assets/${f}`))} gzipped`);
for (const f of readdirSync(join(dist, 'assets')).filter(
  (f) => f.endsWith('.js') && !first.includes(`assets/${f}`),
)) {
  console.log(`  lazy ${f}: ${kb(gz(`assets/${f}`))} gzipped`);
}
