/**
 * What a change storm costs a gateway at saturation, read from two fixed offered loads below it.
 *
 * Why a model: on two cores, node B has one core to itself and everything else (the storm's writer,
 * the store, the upstream, the load generator) shares the other. At full load the generator, starved
 * of its core by the storm's writer, cannot keep B busy during storm rounds, so B's requests/s there
 * measure core 0, not B. Below saturation the generator keeps up and B serves every request; what the
 * storm costs B then shows as the extra CPU a second it spends in storm rounds. That extra has two
 * parts: the work the changes themselves cost (a fixed amount a second, whatever the load: `idleMsPerS`)
 * and whatever the changes make each request cost more (caches, collections, the snapshot swapped under
 * it: `perRequestUs`). Measured at two rates, the two parts separate (a line through two points), and
 * the line read at B's capacity is the extra CPU a second the storm takes from a saturated B — as a share
 * of its core, the requests/s it loses.
 *
 * Extra CPU is read within pairs of rounds seconds apart (storm − quiet of the same pair), and the
 * median over pairs is taken, so that the host's speed drifting over minutes does not enter it.
 */

import { quantile } from '../review-interleave.mjs';

/**
 * `--fixed-rate`'s value: `auto`, `off`, or requests/s, several separated by commas. Rates must
 * differ: the model fits a line through the lowest and the highest, and a repeated rate would only
 * be found equal after every round at every rate had been run.
 *
 * @example
 * parseFixedRates('1000,3000'); // [1000, 3000]
 */
export function parseFixedRates(text) {
  if (text === 'auto' || text === 'off') return text;
  const rates = text.split(',').map(Number);
  if (!rates.every((r) => r > 0))
    throw new Error(
      `--fixed-rate: requests/s (one, or several separated by commas), auto or off, not ${text}`,
    );
  if (new Set(rates).size !== rates.length)
    throw new Error(`--fixed-rate: give each rate once (the model needs different rates), not ${text}`);
  return rates;
}

/**
 * Per pair, storm − quiet of `field` (B's CPU ms a second), or `difference(quiet, stormy)` when given
 * (e.g. {@link atServedRate}, or a ratio); the median over pairs and its quartiles.
 *
 * @example
 * pairedDifference({ quiet: [{ cpuMsPerS: 400 }], stormy: [{ cpuMsPerS: 430 }] }, 'cpuMsPerS').median; // 30
 */
export function pairedDifference({ quiet, stormy }, field, difference = (q, s) => s[field] - q[field]) {
  if (quiet.length === 0 || quiet.length !== stormy.length)
    throw new Error(`pairs need as many quiet as storm rounds (${quiet.length} and ${stormy.length})`);
  const differences = quiet.map((q, i) => difference(q, stormy[i]));
  return {
    median: quantile(differences, 0.5),
    lowerQuartile: quantile(differences, 0.25),
    upperQuartile: quantile(differences, 0.75),
    pairs: differences,
  };
}

/**
 * The line through the storm's extra CPU at two rates: `idleMsPerS` (the changes' own work, a second)
 * and `perRequestUs` (what the storm adds to each request). A slope at or below zero is noise around
 * "nothing per request" (a storm cannot make requests cheaper): the line is then level, at the larger
 * of the two extras — not the intercept of the falling line, which lies above both measurements — and
 * `levelled` says so.
 *
 * @example
 * fitTwoRates({ rps: 1000, extraMsPerS: 50 }, { rps: 3000, extraMsPerS: 56 });
 * // { idleMsPerS: 47, perRequestUs: 3, levelled: false }
 */
export function fitTwoRates(low, high) {
  if (!(high.rps > low.rps)) throw new Error(`two different rates are needed (${low.rps}, ${high.rps})`);
  const slope = (high.extraMsPerS - low.extraMsPerS) / (high.rps - low.rps); // ms of CPU per request
  if (slope <= 0)
    return { idleMsPerS: Math.max(low.extraMsPerS, high.extraMsPerS), perRequestUs: 0, levelled: true };
  return { idleMsPerS: low.extraMsPerS - slope * low.rps, perRequestUs: slope * 1000, levelled: false };
}

/**
 * The share of a saturated B's requests/s the storm takes. B has `coreMsPerS` of CPU a second (one
 * core); quiet, a request costs `1e6 / capacityRps` µs of it. In a storm the changes take `idleMsPerS`
 * and each request costs `perRequestUs` more, so B serves
 * `(coreMsPerS − idle) / (quiet cost + perRequest)`; the loss is 1 − that ÷ capacity, which is the
 * storm's extra CPU at capacity over (the core + the per-request part of that extra).
 *
 * @example
 * lossAtCapacityPercent({ idleMsPerS: 47, perRequestUs: 3 }, 8000); // 6.93 (71 ms of 1,024)
 */
export function lossAtCapacityPercent(model, capacityRps, coreMsPerS = 1000) {
  const perRequestMsPerS = (model.perRequestUs * capacityRps) / 1000;
  return ((model.idleMsPerS + perRequestMsPerS) / (coreMsPerS + perRequestMsPerS)) * 100;
}

/**
 * A pair's rounds compared at the same served rate: the quiet round's CPU a second scaled to the
 * requests the storm round served. At a fixed offered rate both should serve it; when the storm
 * round served fewer (its generator short of its core), the plain difference would hide the CPU
 * those requests would have cost.
 *
 * @example
 * atServedRate({ cpuMsPerS: 400, rps: 2000 }, { cpuMsPerS: 410, rps: 1900 }); // 30
 */
export function atServedRate(quiet, stormy) {
  return stormy.cpuMsPerS - (quiet.cpuMsPerS * stormy.rps) / quiet.rps;
}
