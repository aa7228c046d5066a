/**
 * Turns possibly overlapping intervals into sorted, disjoint segments, each owned by one interval.
 *
 * Where intervals overlap, the owner of a point is the most specific interval containing it: the one
 * that starts last, then ends first, then whose whole entry is smallest (an IPv6 entry is clipped to its
 * IPv4-mapped part for the IPv4 table, so its interval can tie with a narrower IPv4 entry), then came
 * first in the list. For CIDRs, which nest or are apart, that is the longest matching prefix;
 * `IpSet.match` reports it to explain a decision.
 *
 * Written for any key type; IPv6 keys are bigints (built once, never on the request path). IPv4 has
 * its own copy of the sweep over typed arrays (ipv4-segments.ts), since a million-entry IPv4 list
 * spends most of its build there.
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
 * buildSegments([0n, 5n], [10n, 6n], [0, 1], 2, bigintKeys);
 * // { starts: [0n, 5n, 7n], ends: [4n, 6n, 10n], owners: [0, 1, 0] }
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
