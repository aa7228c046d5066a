/**
 * `gate.check` in a hot loop with the middleware benchmark's 1,000-entry list, an allowed peer
 * (127.0.0.1), with and without the connection whose decision the gate may reuse: behind the
 * "decide once per connection" figure in bench/README.md "Middlewares". Needs a build (`npx tsc -b`).
 *
 *   node bench/gate-check.bench.mjs
 */
import { createGate } from '@ipgate/node';
import { ruleList } from './gateway-data.mjs';

const gate = createGate({ allow: ruleList(1_000, 7) });
const headers = { host: '127.0.0.1:8080', 'user-agent': 'bench' };
const fresh = { remoteAddress: '127.0.0.1', headers };
const keptAlive = { remoteAddress: '127.0.0.1', headers, connection: {} };
const N = 2_000_000;
let allowed = 0;

/** ns per check, median of 7 batches after a warm-up batch. */
function time(request) {
  const batches = [];
  for (let b = 0; b < 8; b++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) if (gate.check(request).allow) allowed++;
    batches.push(Number(process.hrtime.bigint() - t) / N);
  }
  const s = batches.slice(1).sort((x, y) => x - y);
  return s[3];
}

console.log(`gate.check, 1,000 entries, allowed peer, node ${process.version}`);
console.log(`  decided every request (no connection):     ${time(fresh).toFixed(1)} ns`);
console.log(`  decision reused (same keep-alive connection): ${time(keptAlive).toFixed(1)} ns`);
if (allowed !== 2 * 8 * N) throw new Error('a check was denied');
