/**
 * `AutoReview.decide` as the gateway calls it (bench/README.md#auto-review): one new address now and
 * then, not a million in a row. Every `--every-ms` (20) this process sleeps, then decides four new
 * addresses back to back: the first one's time is what a call costs after the thread was idle (or
 * ran other work), the three after it what the in-process figure of review.bench.mjs shows. Prints
 * both medians (µs, wall clock) over `--rounds` (600, the first 100 left out as warm-up).
 *
 *   npm run build && node bench/decide-cold.mjs
 *   node bench/decide-cold.mjs --every-ms 1 --rounds 3000
 */
import { IpAddress, IpSet } from '@ipgate/core';
import { loadIpLocationData } from '@ipgate/server';
import { AutoReview } from '../apps/server/dist/review/auto-review.js';
import { parseReviewSettings } from '../apps/server/dist/review/review-settings.js';
import { freshAddress } from './review-addresses.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i === -1) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${name} needs a whole number from 1, e.g. ${name} ${fallback}`);
  return n;
}
const everyMs = option('--every-ms', 20);
const rounds = option('--rounds', 600);
const WARM_UP = Math.min(100, Math.floor(rounds / 2));

// As review.bench.mjs: listed ordinary networks, new addresses from the /48 of the IPv6 one.
const list = IpSet.from(['81.2.69.142', '85.214.132.117', '193.99.144.80', '2003:e1:1::1']);
const tenant = {
  id: 'ten_bench',
  restriction: { mode: 'auto', list },
  entryIds: undefined,
  rulesVersion: 1,
  expired: 0,
  // As every compiled tenant carries it: the addresses a person rejected (none here).
  rejected: new Set(),
};
const data = await loadIpLocationData();
const review = new AutoReview({
  facts: data,
  settings: parseReviewSettings('burstLimit=1000'),
  // Never answered: the overlay keeps every address, as while a batch is being written.
  authorize: () => new Promise(() => {}),
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};
let n = 0;
const first = [];
const next = [];
for (let round = 0; round < rounds; round++) {
  await new Promise((resolve) => setTimeout(resolve, everyMs));
  for (let k = 0; k < 4; k++) {
    n++;
    const address = IpAddress.parse(freshAddress('2003:e1:1', n));
    const t = process.hrtime.bigint();
    review.decide(tenant, `key_${n % 50}`, address);
    const us = Number(process.hrtime.bigint() - t) / 1000;
    if (round >= WARM_UP) (k === 0 ? first : next).push(us);
  }
}
console.log(
  JSON.stringify({
    everyMs,
    rounds,
    firstAfterSleepMedianUs: Number(median(first).toFixed(1)),
    nextThreeMedianUs: Number(median(next).toFixed(1)),
  }),
);
