/**
 * A fixed offered load, in a process of its own: `rate` requests/s spread evenly over the window
 * (1 ms ticks, not one burst a second as autocannon's `overallRate` sends), over `connections`
 * keep-alive connections (undici). At a rate below the target's capacity the target serves every
 * request, so its CPU per request says what each costs it — the storm's cost to a gateway shows as
 * the rise of that figure, whatever the load generator's own core is doing.
 *
 *   node bench/scale/fixed-rate-load.mjs '{"url":"http://127.0.0.1:8080/bench","rate":4000,"durationS":10,"headers":{…}}'
 *
 * Prints one JSON line: offered and achieved requests/s, counts, p50/p99 (ms), and whether it kept
 * its schedule: `mostBehind`, the most requests held back at once by the in-flight bound (the target
 * was short), and `longestTickGapMs`, the longest time between two ticks (the generator's own core
 * was short: a late tick starts its whole backlog at once, so `mostBehind` alone would not show it).
 */
import { Pool } from 'undici';
import { changesToStart } from './storm-plan.mjs';

const {
  url,
  rate,
  durationS,
  connections = 32,
  headers = {},
  maxInFlight = 256,
} = JSON.parse(process.argv[2]);
const { origin, pathname, search } = new URL(url);
const pool = new Pool(origin, { connections, pipelining: 1 });
const path = pathname + search;
const times = [];
let started = 0;
let ok = 0;
let non2xx = 0;
let errors = 0;
let inFlight = 0;
let behind = 0;
let lastTickMs = 0;
let longestTickGapMs = 0;

async function request() {
  const at = performance.now();
  try {
    const { statusCode, body } = await pool.request({ path, method: 'GET', headers });
    await body.dump();
    if (statusCode >= 200 && statusCode < 300) {
      ok++;
      times.push(performance.now() - at);
    } else non2xx++;
  } catch {
    errors++;
  } finally {
    inFlight--;
  }
}

const cpuBefore = process.cpuUsage();
const at = performance.now();
await new Promise((resolve) => {
  const tick = setInterval(() => {
    const elapsedMs = performance.now() - at;
    longestTickGapMs = Math.max(longestTickGapMs, elapsedMs - lastTickMs);
    lastTickMs = elapsedMs;
    if (elapsedMs >= durationS * 1000) {
      clearInterval(tick);
      resolve();
      return;
    }
    // The pace and the in-flight bound of the storm, applied to requests.
    const n = changesToStart({ elapsedMs, rate, started, inFlight, maxInFlight });
    const due = Math.floor((elapsedMs * rate) / 1000) - started;
    if (due > n) behind = Math.max(behind, due - n);
    for (let k = 0; k < n; k++) {
      started++;
      inFlight++;
      void request();
    }
  }, 1);
});
const seconds = (performance.now() - at) / 1000;
while (inFlight > 0) await new Promise((r) => setTimeout(r, 1));
await pool.close();
times.sort((a, b) => a - b);
const percentile = (p) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] ?? NaN;
const round = (n) => Math.round(n * 100) / 100;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(
  `${JSON.stringify({
    offeredRps: rate,
    rps: Math.round((ok + non2xx) / seconds),
    total: ok + non2xx,
    ok,
    non2xx,
    errors,
    p50: round(percentile(50)),
    p99: round(percentile(99)),
    mostBehind: behind,
    longestTickGapMs: round(longestTickGapMs),
    cpuS: round((cpu.user + cpu.system) / 1e6),
  })}\n`,
);
