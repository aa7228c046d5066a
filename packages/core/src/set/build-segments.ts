/**
 * Turns possibly overlapping intervals into sorted, disjoint segments, each owned by one interval.
 *
 * Where intervals overlap, the owner of a point is the most specific interval containing it: the one
 * that starts last, then ends first, then whose whole entry is smallest (an IPv6 entry is clipped to its
 * IPv4-mapped part for the IPv4 table, so its interval can tie with a narrower IPv4 entry), then came
 * first in the list. For CIDRs, which nest or are apart, that is the longest matching prefix;
 * `IpSet.match` reports it to explain a decision.
 *
 * Written once for both key types: IPv4 keys are numbers, IPv6 keys are bigints (built once, never on
 * the request path).
 */
export interface KeyOps<K> {
  compare(a: K, b: K): number;
  next(a: K): K;
  previous(a: K): K;
  /** Positions 0..count-1 sorted by start ascending (ties in any order). */
  sortByStart(starts: readonly K[] | ArrayLike<K>, count: number): ArrayLike<number>;
}

export interface Segments<K> {
  readonly starts: K[];
  readonly ends: K[];
  readonly owners: number[];
}

/**
 * @example
 * buildSegments([0, 5], [10, 6], [0, 1], 2, numberKeys);
 * // { starts: [0, 5, 7], ends: [4, 6, 10], owners: [0, 1, 0] }
 */
export function buildSegments<K>(
  starts: ArrayLike<K>,
  ends: ArrayLike<K>,
  owners: ArrayLike<number>,
  count: number,
  ops: KeyOps<K>,
  /** How many addresses each interval's whole entry covers; breaks ties between equal intervals. */
  entrySizes?: ArrayLike<number>,
): Segments<K> {
  const order = ops.sortByStart(starts, count);
  const out: Segments<K> = { starts: [], ends: [], owners: [] };
  let disjoint = true;
  for (let k = 1; k < count; k++) {
    if (ops.compare(starts[order[k]!]!, ends[order[k - 1]!]!) <= 0) {
      disjoint = false;
      break;
    }
  }
  if (disjoint) {
    // The usual list: no entry overlaps another, so each entry is its own segment.
    for (let k = 0; k < count; k++) {
      const p = order[k]!;
      out.starts.push(starts[p]!);
      out.ends.push(ends[p]!);
      out.owners.push(owners[p]!);
    }
    return out;
  }
  sweep(starts, ends, owners, order, count, ops, out, entrySizes);
  return out;
}

function sweep<K>(
  starts: ArrayLike<K>,
  ends: ArrayLike<K>,
  owners: ArrayLike<number>,
  order: ArrayLike<number>,
  count: number,
  ops: KeyOps<K>,
  out: Segments<K>,
  entrySizes: ArrayLike<number> | undefined,
): void {
  // Max-heap of active positions by specificity.
  const heap: number[] = [];
  const before = (a: number, b: number): boolean => {
    const byStart = ops.compare(starts[a]!, starts[b]!);
    if (byStart !== 0) return byStart > 0;
    const byEnd = ops.compare(ends[a]!, ends[b]!);
    if (byEnd !== 0) return byEnd < 0;
    if (entrySizes !== undefined && entrySizes[a] !== entrySizes[b]) return entrySizes[a]! < entrySizes[b]!;
    return owners[a]! < owners[b]!;
  };
  const push = (p: number): void => {
    heap.push(p);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): void => {
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < heap.length && before(heap[l]!, heap[best]!)) best = l;
      if (r < heap.length && before(heap[r]!, heap[best]!)) best = r;
      if (best === i) break;
      [heap[i], heap[best]] = [heap[best]!, heap[i]!];
      i = best;
    }
  };
  const emit = (from: K, to: K, owner: number): void => {
    const n = out.owners.length;
    if (n > 0 && out.owners[n - 1] === owner && ops.compare(ops.next(out.ends[n - 1]!), from) === 0) {
      out.ends[n - 1] = to;
      return;
    }
    out.starts.push(from);
    out.ends.push(to);
    out.owners.push(owner);
  };

  let i = 0;
  let cursor: K = starts[order[0]!]!;
  while (i < count || heap.length > 0) {
    if (heap.length === 0) cursor = starts[order[i]!] as K;
    while (i < count && ops.compare(starts[order[i]!]!, cursor) <= 0) push(order[i++]!);
    // Intervals that ended before the cursor leave lazily, when they reach the top.
    while (heap.length > 0 && ops.compare(ends[heap[0]!]!, cursor) < 0) pop();
    if (heap.length === 0) continue;
    const top = heap[0]!;
    const topEnd = ends[top]!;
    if (i < count && ops.compare(starts[order[i]!]!, topEnd) <= 0) {
      const nextStart = starts[order[i]!]!;
      emit(cursor, ops.previous(nextStart), owners[top]!);
      cursor = nextStart;
    } else {
      emit(cursor, topEnd, owners[top]!);
      cursor = ops.next(topEnd);
    }
  }
}

/** IPv4 keys: unsigned 32-bit values as numbers. */
export const numberKeys: KeyOps<number> = {
  compare: (a, b) => a - b,
  next: (a) => a + 1,
  previous: (a) => a - 1,
  // The radix sort pays for two 65,537-counter passes whatever the count: a list of ten entries (most
  // tenants' lists) would spend almost all its build there, so short lists sort by comparison.
  sortByStart: (keys, count) =>
    count <= SHORT_LIST ? comparisonOrder(keys, count) : radixOrder(keys, count),
};

/** Up to this many keys, a comparison sort beats the radix sort's fixed cost. */
const SHORT_LIST = 512;

/**
 * Positions sorted by key with a comparison sort, for short lists.
 *
 * @example Array.from(comparisonOrder([5, 1, 3], 3)); // [1, 2, 0]
 */
export function comparisonOrder(keys: ArrayLike<number>, count: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let k = 0; k < count; k++) order[k] = k;
  return order.sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b);
}

/**
 * Positions sorted by their unsigned 32-bit key: an LSD radix sort in two 16-bit passes.
 * Linear, with no comparator calls: this is what keeps a million-entry build well under a second.
 *
 * @example Array.from(radixOrder([5, 1, 3], 3)); // [1, 2, 0]
 */
export function radixOrder(keys: ArrayLike<number>, count: number): Uint32Array {
  // Two stable counting passes, low 16 bits then high 16 bits. Written out rather than shared
  // through callbacks: calls through a parameter cost this loop half its speed.
  const next = new Uint32Array(65537);
  const low = new Uint32Array(count);
  for (let k = 0; k < count; k++) bump(next, ((keys[k] as number) & 0xffff) + 1);
  prefixSums(next);
  for (let k = 0; k < count; k++) low[bump(next, (keys[k] as number) & 0xffff)] = k;
  next.fill(0);
  const order = new Uint32Array(count);
  for (let k = 0; k < count; k++) bump(next, ((keys[k] as number) >>> 16) + 1);
  prefixSums(next);
  for (let j = 0; j < count; j++) {
    const k = low[j] as number;
    order[bump(next, (keys[k] as number) >>> 16)] = k;
  }
  return order;
}

/** Adds one to a counter and returns its value before. */
function bump(counters: Uint32Array, i: number): number {
  const v = counters[i] as number;
  counters[i] = v + 1;
  return v;
}

function prefixSums(counters: Uint32Array): void {
  for (let b = 1; b < counters.length; b++)
    counters[b] = (counters[b] as number) + (counters[b - 1] as number);
}

/** IPv6 keys: 128-bit values as bigints. */
export const bigintKeys: KeyOps<bigint> = {
  compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  next: (a) => a + 1n,
  previous: (a) => a - 1n,
  sortByStart(starts, count) {
    const order = Array.from({ length: count }, (_, k) => k);
    return order.sort((a, b) => {
      const x = starts[a] as bigint;
      const y = starts[b] as bigint;
      return x < y ? -1 : x > y ? 1 : 0;
    });
  },
};
