/**
 * The accounting of `review.bench.mjs --interleave` (bench/README.md#auto-review): two gateways run at
 * once, a fixed offered rate goes to one and then the other in slices, and each gateway's CPU is read
 * at every slice boundary. Pure: the bench gathers the readings, this turns them into figures.
 *
 * Why a slice is charged from its start to the start of the same gateway's next slice, not to its own
 * end: the auto gateway's batch (250 ms of gathering, then a write on its recorder thread) and the
 * request log's flush run after the requests that caused them, often in the other gateway's slice;
 * ending the window at the slice's end would hand that spill to nobody and flatter `auto`.
 */

/**
 * CPU per slice: `boundaries[b]` holds every gateway's cumulative CPU (ms) read at boundary `b`;
 * slice `s` of `slices` (in the order they ran, `{ gateway, requests, newAddresses }`) starts at
 * boundary `s`. Its CPU runs to the start of that gateway's next slice, or for its last slice to the
 * final boundary (one more reading after the last slice: an idle stretch as long as a slice, so the
 * last slice's spill is read too). `boundaries` therefore has `slices.length + 1` readings.
 *
 * @example
 * attributeSlices(
 *   [{ gateway: 'm', requests: 10 }, { gateway: 'a', requests: 10 }],
 *   [{ m: 0, a: 0 }, { m: 5, a: 1 }, { m: 6, a: 9 }],
 * ); // [{ gateway: 'm', requests: 10, cpuMs: 6 }, { gateway: 'a', requests: 10, cpuMs: 8 }]
 */
export function attributeSlices(slices, boundaries) {
  if (boundaries.length !== slices.length + 1)
    throw new Error(
      `${slices.length} slices need ${slices.length + 1} boundary readings, got ${boundaries.length}`,
    );
  return slices.map((slice, s) => {
    let next = s + 1;
    while (next < slices.length && slices[next].gateway !== slice.gateway) next++;
    const from = boundaries[s][slice.gateway];
    const to = boundaries[next][slice.gateway];
    if (from === undefined || to === undefined)
      throw new Error(`no CPU reading for gateway ${slice.gateway}`);
    if (to < from) throw new Error(`gateway ${slice.gateway}'s CPU went back from ${from} to ${to} ms`);
    return { ...slice, cpuMs: to - from };
  });
}

/** The `q`-quantile (0…1) of `xs` by linear interpolation between the sorted values. */
export function quantile(xs, q) {
  if (xs.length === 0) throw new Error('quantile of no values');
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * The interleaved run's figures from its charged slices (`attributeSlices`' output, each with
 * `held`: whether it kept its offered rate). `base` and `test` name the two gateways (manual, auto);
 * pairs are the i-th slice of each.
 *
 * - `sumRatio`: test's CPU per request over all its slices ÷ base's — the figure to read; at a fixed
 *   rate below capacity, the capacity `test` loses ≈ 1 − 1 / sumRatio.
 * - `pairRatios` with its median and quartiles: the same per pair, to see the spread.
 * - `cpuPerNewMs`: the CPU `test` spent beyond `base`'s per-request CPU, per new address.
 */
export function summarize(charged, { base, test }) {
  const of = (g) => charged.filter((c) => c.gateway === g);
  const b = of(base);
  const t = of(test);
  if (b.length === 0 || t.length === 0) throw new Error(`no slices for ${b.length === 0 ? base : test}`);
  const sum = (cs, f) => cs.reduce((acc, c) => acc + (c[f] ?? 0), 0);
  const perRequestUs = (cs) => (sum(cs, 'cpuMs') * 1000) / sum(cs, 'requests');
  const baseUs = perRequestUs(b);
  const testUs = perRequestUs(t);
  const pairs = Math.min(b.length, t.length);
  const pairRatios = [];
  for (let i = 0; i < pairs; i++) pairRatios.push(perRequestUs([t[i]]) / perRequestUs([b[i]]));
  const newAddresses = sum(t, 'newAddresses');
  return {
    baseCpuUsPerRequest: baseUs,
    testCpuUsPerRequest: testUs,
    sumRatio: testUs / baseUs,
    pairRatios,
    median: quantile(pairRatios, 0.5),
    q1: quantile(pairRatios, 0.25),
    q3: quantile(pairRatios, 0.75),
    newAddresses,
    cpuPerNewMs:
      newAddresses === 0
        ? undefined
        : (sum(t, 'cpuMs') - (baseUs * sum(t, 'requests')) / 1000) / newAddresses,
    notHeld: charged.filter((c) => !c.held).length,
  };
}

/**
 * The interleaved run's two gateways, `[base, test]`: each `{ label, mode, warmNew, newEvery }` —
 * whether its warm-up sends new addresses until the network data is loaded (`warmNew`), and its
 * measured stream (`newEvery`, 0 for listed addresses only). Without `control`, the A/B: `manual`
 * with the known list against `auto` with one new address in `newEvery`, both warmed on new
 * addresses: a `manual` gateway loads the network data too, for the advice on its first unlisted
 * address, and a gateway that did not has another heap and another collector's history (fewer live
 * MB, more full collections: bench/README.md#auto-review). A `control` puts in place of `auto` what
 * reads the bench's own bias or one part of `auto`'s:
 *
 * - `same`: a second `manual` gateway, warmed the same way — an A/A; any ratio is the bench's.
 * - `cold`: `manual` warmed on listed addresses only, no network data loaded (the base of the runs
 *   before 2026-12-07 session 6).
 * - `auto-bare`: `auto` warmed on listed addresses only — its mode's request path, no data loaded,
 *   no list grown.
 *
 * @example interleavedPair('same', 50)[1]; // { label: 'manual-b', mode: 'manual', warmNew: true, newEvery: 0 }
 */
export function interleavedPair(control, newEvery) {
  const manual = { label: 'manual', mode: 'manual', warmNew: true, newEvery: 0 };
  if (control === undefined) return [manual, { label: 'auto', mode: 'auto', warmNew: true, newEvery }];
  const controls = {
    same: { label: 'manual-b', mode: 'manual', warmNew: true, newEvery: 0 },
    cold: { label: 'manual-cold', mode: 'manual', warmNew: false, newEvery: 0 },
    'auto-bare': { label: 'auto-bare', mode: 'auto', warmNew: false, newEvery: 0 },
  };
  if (!Object.hasOwn(controls, control))
    throw new Error(
      `--control takes same, cold or auto-bare (a bare --control is same); got ${JSON.stringify(control)}`,
    );
  return [manual, controls[control]];
}

/**
 * `summarize`'s CPU per new address as printed: a run that saw none (a stream too sparse for the
 * run's length, or a control) has no such figure, and says so.
 *
 * @example perNewAddress(0.4123); // 'per new address 0.412 ms'
 * perNewAddress(undefined); // 'per new address: no new address'
 */
export function perNewAddress(ms) {
  return ms === undefined ? 'per new address: no new address' : `per new address ${ms.toFixed(3)} ms`;
}
