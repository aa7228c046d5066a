/**
 * The IPv4 half of {@link buildSegments}, written for numbers in typed arrays: the same rule for who
 * owns a point (the interval that starts last, then ends first, then whose whole entry is smallest,
 * then came first), the same segments.
 *
 * Why a second sweep: a list of a million entries spends most of its build here, and the generic one
 * pays for what IPv4 does not need — comparisons through a parameter, a heap of closures, and output
 * arrays that grow by copying (and whose values above 2^31 are boxed doubles for the collector to
 * trace). This one keeps its heap and its output in typed arrays sized once, and takes an interval
 * that overlaps no other — four in five entries of a typical list, single addresses — straight to the
 * output without touching the heap.
 */

/** Sorted, disjoint IPv4 segments, each owned by one interval. */
export interface IPv4Segments {
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly owners: Int32Array;
}

/**
 * @param starts first address of each interval (unsigned 32-bit)
 * @param ends last address of each interval
 * @param owners what each interval's segments are labelled with (the entry's position)
 * @param count how many intervals the arrays hold (they may be longer)
 * @param entrySizes how many addresses each interval's whole entry covers; breaks ties between equal intervals
 * @example
 * buildIPv4Segments([0, 5], [10, 6], [0, 1], 2);
 * // { starts: Uint32Array [0, 5, 7], ends: Uint32Array [4, 6, 10], owners: Int32Array [0, 1, 0] }
 */
export function buildIPv4Segments(
  starts: ArrayLike<number>,
  ends: ArrayLike<number>,
  owners: ArrayLike<number>,
  count: number,
  entrySizes?: ArrayLike<number>,
): IPv4Segments {
  const order = count <= SHORT_LIST ? comparisonOrder(starts, count) : radixOrder(starts, count);
  // Each interval's start and the address after its end are the only places an owner can change,
  // so there are fewer than 2 × count segments.
  const capacity = Math.max(1, 2 * count);
  // A short list (most tenants' and keys' lists: a node compiles one on every change to it) works in
  // buffers kept for the purpose: the build is synchronous, and `result` copies out what it keeps.
  const small = count <= SCRATCH_COUNT;
  const out = small
    ? new Output(scratchStarts, scratchEnds, scratchOwners)
    : new Output(new Uint32Array(capacity), new Uint32Array(capacity), new Int32Array(capacity));
  const heap = new Heap(
    starts,
    ends,
    owners,
    entrySizes,
    small ? scratchHeap : new Int32Array(Math.max(1, count)),
  );
  let i = 0;
  let cursor = 0;
  while (i < count || heap.size > 0) {
    if (heap.size === 0) {
      const p = order[i] as number;
      const end = ends[p] as number;
      if (i + 1 === count || (starts[order[i + 1] as number] as number) > end) {
        // Overlaps nothing after it, and nothing before it reaches it (the heap is empty).
        out.emit(starts[p] as number, end, owners[p] as number);
        i++;
        continue;
      }
      cursor = starts[p] as number;
    }
    while (i < count && (starts[order[i] as number] as number) <= cursor) heap.push(order[i++] as number);
    // Intervals that ended before the cursor leave lazily, when they reach the top.
    while (heap.size > 0 && (ends[heap.top()] as number) < cursor) heap.pop();
    if (heap.size === 0) continue;
    const top = heap.top();
    const topEnd = ends[top] as number;
    const nextStart = i < count ? (starts[order[i] as number] as number) : Number.POSITIVE_INFINITY;
    if (nextStart <= topEnd) {
      out.emit(cursor, nextStart - 1, owners[top] as number);
      cursor = nextStart;
    } else {
      out.emit(cursor, topEnd, owners[top] as number);
      cursor = topEnd + 1;
    }
  }
  return out.result();
}

/** Segments written in order; one continuing the last with the same owner extends it. */
class Output {
  length = 0;

  constructor(
    private readonly starts: Uint32Array,
    private readonly ends: Uint32Array,
    private readonly owners: Int32Array,
  ) {}

  emit(from: number, to: number, owner: number): void {
    const n = this.length;
    if (n > 0 && this.owners[n - 1] === owner && (this.ends[n - 1] as number) + 1 === from) {
      this.ends[n - 1] = to;
      return;
    }
    this.starts[n] = from;
    this.ends[n] = to;
    this.owners[n] = owner;
    this.length = n + 1;
  }

  /** Copies of the written part, so the oversized buffers are freed. */
  result(): IPv4Segments {
    const n = this.length;
    return { starts: this.starts.slice(0, n), ends: this.ends.slice(0, n), owners: this.owners.slice(0, n) };
  }
}

/** Lists of up to this many intervals are built in the scratch buffers below. */
const SCRATCH_COUNT = 64;
const scratchStarts = new Uint32Array(2 * SCRATCH_COUNT);
const scratchEnds = new Uint32Array(2 * SCRATCH_COUNT);
const scratchOwners = new Int32Array(2 * SCRATCH_COUNT);
const scratchHeap = new Int32Array(SCRATCH_COUNT);

/** A max-heap of interval positions, the most specific on top. */
class Heap {
  size = 0;
  private readonly items: Int32Array;

  constructor(
    private readonly starts: ArrayLike<number>,
    private readonly ends: ArrayLike<number>,
    private readonly owners: ArrayLike<number>,
    private readonly entrySizes: ArrayLike<number> | undefined,
    /** At least as long as the intervals pushed; only its first `size` items mean anything. */
    items: Int32Array,
  ) {
    this.items = items;
  }

  top(): number {
    return this.items[0] as number;
  }

  /** True when interval a is more specific than b. */
  private before(a: number, b: number): boolean {
    const sa = this.starts[a] as number;
    const sb = this.starts[b] as number;
    if (sa !== sb) return sa > sb;
    const ea = this.ends[a] as number;
    const eb = this.ends[b] as number;
    if (ea !== eb) return ea < eb;
    const sizes = this.entrySizes;
    if (sizes !== undefined && sizes[a] !== sizes[b]) return (sizes[a] as number) < (sizes[b] as number);
    return (this.owners[a] as number) < (this.owners[b] as number);
  }

  push(p: number): void {
    const items = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const q = items[parent] as number;
      if (!this.before(p, q)) break;
      items[i] = q;
      i = parent;
    }
    items[i] = p;
  }

  pop(): void {
    const items = this.items;
    const n = --this.size;
    if (n === 0) return;
    const last = items[n] as number;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.before(items[r] as number, items[l] as number) ? r : l;
      if (!this.before(items[child] as number, last)) break;
      items[i] = items[child] as number;
      i = child;
    }
    items[i] = last;
  }
}

/** Up to this many keys, a comparison sort beats the radix sort's fixed cost. */
const SHORT_LIST = 512;

/**
 * Positions sorted by key with a comparison sort, for short lists. The radix sort pays for two
 * 65,537-counter passes whatever the count: a list of ten entries (most tenants' lists) would spend
 * almost all its build there.
 *
 * @example Array.from(comparisonOrder([5, 1, 3], 3)); // [1, 2, 0]
 */
export function comparisonOrder(keys: ArrayLike<number>, count: number): Uint32Array {
  const order = new Uint32Array(count);
  if (count <= INSERTION_MAX) {
    // An insertion sort: a typed array's `sort` with a comparator calls it through the runtime, a
    // fixed cost that is most of the sort for the ten entries of a typical list. Stable: a position
    // goes after every earlier one with an equal key.
    for (let k = 0; k < count; k++) {
      const key = keys[k] as number;
      let j = k;
      while (j > 0 && (keys[order[j - 1] as number] as number) > key) {
        order[j] = order[j - 1] as number;
        j--;
      }
      order[j] = k;
    }
    return order;
  }
  for (let k = 0; k < count; k++) order[k] = k;
  return order.sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b);
}

/** Up to this many keys, {@link comparisonOrder} sorts by insertion. */
const INSERTION_MAX = 32;

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
