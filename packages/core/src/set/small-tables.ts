/**
 * The tables of short lists: a handful of segments in one plain array, read in order.
 *
 * A server that compiles one list per tenant and per key holds hundreds of thousands of sets of about
 * ten entries. As typed arrays, each such table costs three or four `ArrayBuffer`s with their views
 * and out-of-heap stores (~700 bytes before the first segment); as one array of numbers it costs one
 * array. A scan of at most {@link SMALL_TABLE_MAX} sorted, disjoint segments answers as fast as a
 * binary search of them.
 */

/** Most segments a small table holds; longer lists get the indexed typed-array tables. */
export const SMALL_TABLE_MAX = 16;

/** What a compiled set asks of its IPv4 half, whichever table holds it. */
export interface IPv4Lookup {
  readonly size: number;
  /** True when some segment holds `value` (unsigned 32-bit). */
  contains(value: number): boolean;
  /** The segment holding `value`, or -1. */
  find(value: number): number;
  startAt(segment: number): number;
  endAt(segment: number): number;
  ownerAt(segment: number): number;
}

/** What a compiled set asks of its IPv6 half, whichever table holds it. */
export interface IPv6Lookup {
  readonly size: number;
  /** True when some segment holds the address (four 32-bit words). */
  contains(w0: number, w1: number, w2: number, w3: number): boolean;
  /** The segment holding the address (four 32-bit words), or -1. */
  find(w0: number, w1: number, w2: number, w3: number): number;
  /** Segment bounds as bigints, for set algebra. */
  bounds(segment: number): [bigint, bigint];
  ownerAt(segment: number): number;
}

/**
 * Up to {@link SMALL_TABLE_MAX} IPv4 segments, sorted and disjoint: start, end and owner of each in turn.
 *
 * @example
 * const t = new IPv4SmallTable([10, 20], [15, 20], [0, 1]);
 * t.find(12); // 0
 * t.find(16); // -1
 */
export class IPv4SmallTable implements IPv4Lookup {
  readonly size: number;
  readonly #cells: number[];

  constructor(starts: ArrayLike<number>, ends: ArrayLike<number>, owners: ArrayLike<number>) {
    const n = starts.length;
    // Filled by push, so the array is packed (no hole checks on read); then copied by `slice`, whose
    // copy is exactly as long as the list (push leaves up to half as much again unused, ~16 MB at
    // 100,000 lists of ten).
    const cells: number[] = [];
    for (let k = 0; k < n; k++) cells.push(starts[k] as number, ends[k] as number, owners[k] as number);
    this.size = n;
    this.#cells = cells.slice();
  }

  contains(value: number): boolean {
    return this.find(value) !== -1;
  }

  find(value: number): number {
    const cells = this.#cells;
    for (let k = 0, i = 0; k < this.size; k++, i += 3) {
      // Sorted and disjoint: once a segment starts above the value, none later holds it.
      if (value < (cells[i] as number)) return -1;
      if (value <= (cells[i + 1] as number)) return k;
    }
    return -1;
  }

  startAt(segment: number): number {
    return this.#cells[3 * segment] as number;
  }

  endAt(segment: number): number {
    return this.#cells[3 * segment + 1] as number;
  }

  ownerAt(segment: number): number {
    return this.#cells[3 * segment + 2] as number;
  }
}

const M32 = 0xffffffffn;

/**
 * Up to {@link SMALL_TABLE_MAX} IPv6 segments, sorted and disjoint: the four words of the start, the
 * four of the end and the owner of each in turn.
 *
 * @example
 * const t = new IPv6SmallTable([0x20010db8n << 96n], [(0x20010db8n << 96n) | 0xffn], [0]);
 * t.find(0x20010db8, 0, 0, 7); // 0
 */
export class IPv6SmallTable implements IPv6Lookup {
  readonly size: number;
  readonly #cells: number[];

  constructor(starts: readonly bigint[], ends: readonly bigint[], owners: readonly number[]) {
    const n = starts.length;
    const cells: number[] = [];
    for (let k = 0; k < n; k++) {
      pushWords(cells, starts[k] as bigint);
      pushWords(cells, ends[k] as bigint);
      cells.push(owners[k] as number);
    }
    this.size = n;
    this.#cells = cells.slice(); // exactly as long as the list, as above
  }

  contains(w0: number, w1: number, w2: number, w3: number): boolean {
    return this.find(w0, w1, w2, w3) !== -1;
  }

  find(w0: number, w1: number, w2: number, w3: number): number {
    const c = this.#cells;
    for (let k = 0, i = 0; k < this.size; k++, i += 9) {
      if (compare(c, i, w0, w1, w2, w3) > 0) return -1;
      if (compare(c, i + 4, w0, w1, w2, w3) >= 0) return k;
    }
    return -1;
  }

  bounds(segment: number): [bigint, bigint] {
    return [readWords(this.#cells, 9 * segment), readWords(this.#cells, 9 * segment + 4)];
  }

  ownerAt(segment: number): number {
    return this.#cells[9 * segment + 8] as number;
  }
}

/** The bound at `o` against the address: negative when below it, 0 when equal, positive above. */
function compare(c: readonly number[], o: number, w0: number, w1: number, w2: number, w3: number): number {
  return (
    (c[o] as number) - w0 ||
    (c[o + 1] as number) - w1 ||
    (c[o + 2] as number) - w2 ||
    (c[o + 3] as number) - w3
  );
}

function pushWords(cells: number[], v: bigint): void {
  cells.push(Number((v >> 96n) & M32), Number((v >> 64n) & M32), Number((v >> 32n) & M32), Number(v & M32));
}

function readWords(cells: readonly number[], o: number): bigint {
  return (
    (BigInt(cells[o] as number) << 96n) |
    (BigInt(cells[o + 1] as number) << 64n) |
    (BigInt(cells[o + 2] as number) << 32n) |
    BigInt(cells[o + 3] as number)
  );
}
