/**
 * What the scale benchmark's change storm writes, and when: a pace (how many changes are due so far
 * at a given rate), a plan of changes spread over tenants — adds of fresh addresses, and removes of
 * what the storm added (the oldest first) once enough are there, so lists keep their size — and the
 * paced run of such a plan. Shared by the storm made through the store (`storm-driver.mjs`) and the
 * one made through node A's admin API (`scale.bench.mjs`); the pace also drives the fixed-rate load.
 */
import { writeAddress } from './nodes.mjs';

/** A prime far above any tenant count: consecutive changes land on tenants spread over the store. */
const STRIDE = 15_485_863;

/**
 * How many changes to start now: those due `elapsedMs` into a storm of `rate`/s, less the `started`
 * ones, and no more than `maxInFlight - inFlight` (a slow store is not sent an unbounded backlog; the
 * achieved rate then says it fell behind).
 *
 * @example
 * changesToStart({ elapsedMs: 1000, rate: 200, started: 190, inFlight: 2, maxInFlight: 32 }); // 10
 */
export function changesToStart({ elapsedMs, rate, started, inFlight, maxInFlight }) {
  const due = Math.floor((elapsedMs * rate) / 1000) - started;
  return Math.max(0, Math.min(due, maxInFlight - inFlight));
}

/**
 * The storm's changes over `tenantIds`, numbered from `serial` (a different start per run keeps a
 * reused store from ever seeing an address twice): every other change removes the oldest entry the
 * storm added once more than `keep` are listed, the rest add a fresh address to the next tenant.
 * `added` records what an add created (only adds that succeeded can be removed).
 *
 * @example
 * const plan = stormPlan(tenantIds, { serial: 0 });
 * const change = plan.next(); // { kind: 'add', tenantId, address }
 * plan.added(change.tenantId, entry.id);
 */
export function stormPlan(tenantIds, { serial = 0, keep = 64 } = {}) {
  if (tenantIds.length === 0) throw new Error('a storm needs at least one tenant to write to');
  let next = serial;
  const listed = [];
  return {
    next() {
      const i = next++;
      if (i % 2 === 1 && listed.length > keep) return { kind: 'remove', ...listed.shift() };
      return {
        kind: 'add',
        tenantId: tenantIds[(i * STRIDE) % tenantIds.length],
        address: writeAddress(2_000_000 + i),
      };
    },
    added(tenantId, entryId) {
      listed.push({ tenantId, entryId });
    },
    /** The entries the storm added and has not removed, handed over (to remove when it ends). */
    takeListed() {
      return listed.splice(0);
    },
    get listed() {
      return listed.length;
    },
  };
}

/**
 * Runs `plan`'s changes at a set rate, each through `apply(change)` (resolving with the id of what an
 * add created), at most `maxInFlight` at once. `start(rate)` begins a run, `stop()` ends it once its
 * changes in flight are done and says what it made: counts, the rate achieved over the run, the
 * slowest change. A failed change counts in `failed` (with the first error's message), never stops
 * the run.
 *
 * @example
 * const storm = pacedStorm(stormPlan(tenantIds), (c) => write(c));
 * storm.start(200);
 * // … measure …
 * const { made, ratePerS } = await storm.stop();
 */
export function pacedStorm(plan, apply, { maxInFlight = 16, tickMs = 5 } = {}) {
  let run;
  const change = async (current) => {
    const c = plan.next();
    const at = performance.now();
    try {
      const id = await apply(c);
      if (c.kind === 'add') {
        plan.added(c.tenantId, id);
        current.adds++;
      } else current.removes++;
      current.made++;
      current.maxMs = Math.max(current.maxMs, performance.now() - at);
    } catch (e) {
      current.failed++;
      current.firstError ??= e instanceof Error ? e.message : String(e);
    }
  };
  return {
    start(rate) {
      if (run !== undefined) throw new Error('the storm is already running');
      const at = performance.now();
      const current = { at, started: 0, made: 0, adds: 0, removes: 0, failed: 0, maxMs: 0 };
      const inFlight = new Set();
      current.inFlight = inFlight;
      // A change is never more than a tick late while the store keeps up.
      current.tick = setInterval(() => {
        const n = changesToStart({
          elapsedMs: performance.now() - at,
          rate,
          started: current.started,
          inFlight: inFlight.size,
          maxInFlight,
        });
        for (let k = 0; k < n; k++) {
          current.started++;
          const p = change(current).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
      }, tickMs);
      run = current;
    },
    async stop() {
      const current = run;
      if (current === undefined) throw new Error('the storm is not running');
      run = undefined;
      clearInterval(current.tick);
      const seconds = (performance.now() - current.at) / 1000;
      await Promise.all(current.inFlight);
      const { made, adds, removes, failed, firstError, maxMs } = current;
      return {
        made,
        adds,
        removes,
        failed,
        ...(firstError === undefined ? {} : { firstError }),
        seconds: Math.round(seconds * 100) / 100,
        // Over the window the changes were due in (the last few finish just after it).
        ratePerS: Math.round((made / seconds) * 10) / 10,
        maxChangeMs: Math.round(maxMs * 10) / 10,
      };
    },
  };
}
