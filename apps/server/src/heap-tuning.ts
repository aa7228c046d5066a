/**
 * V8 settings of a node process (`ipgate serve` and its gateway workers), applied once at start.
 *
 * Allocation-site pretenuring off: V8 watches, per place in the code that allocates objects, how
 * many survive a young-generation collection, and when most do it allocates that place's later
 * objects directly in the old generation. Reading rules produces rows in batches (a query's result,
 * a unit's entries) that are all alive while the batch is compiled, so a collection that falls
 * inside a batch sees nearly all of them survive: the database driver's and the loader's row sites
 * are then pretenured, and every later row — garbage once its unit is compiled — lands in the old
 * generation, where only a full collection frees it. At 1,000,000 entries on PostgreSQL that was
 * ~200 MB of dead rows in the old generation while the first load ran (a 643 MB peak, 483 MB without
 * pretenuring); the same happens, smaller, in every refresh of a storm of changes. The request path
 * makes short-lived objects only, which pretenuring never helps. See bench/README.md#platform-scale.
 */
import { setFlagsFromString } from 'node:v8';

let applied = false;

/**
 * Applies the node's V8 settings to this process; later calls do nothing.
 *
 * @example
 * tuneHeapForRules(); // first thing in `ipgate serve` and in each gateway worker
 */
export function tuneHeapForRules(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString('--no-allocation-site-pretenuring');
}
