/**
 * When each unit must be compiled again because one of its entries expires: a min-heap by time,
 * one live slot per unit. Scheduling a unit again replaces its slot; the old heap node is skipped
 * when it reaches the top (lazy deletion), so every operation is O(log n) in the units waiting
 * (amortised: the heap is rebuilt when replaced nodes outnumber live ones).
 */

interface Slot<P> {
  readonly unit: string;
  readonly at: number;
  readonly payload: P;
}

/**
 * @example
 * const q = new ExpiryQueue<string>();
 * q.schedule('tenant:ten_1', 1_000, 'rules of ten_1');
 * q.next(); // 1000
 * q.takeDue(999); // []
 * q.takeDue(1_000); // [{ unit: 'tenant:ten_1', at: 1000, payload: 'rules of ten_1' }]
 */
export class ExpiryQueue<P> {
  readonly #heap: Slot<P>[] = [];
  readonly #live = new Map<string, Slot<P>>();

  /** How many units wait. */
  get size(): number {
    return this.#live.size;
  }

  /** Heap nodes held, replaced ones included: at most twice the units waiting, plus 64. */
  get nodes(): number {
    return this.#heap.length;
  }

  /** Sets (or replaces) when `unit` is due, with what it needs then. */
  schedule(unit: string, at: number, payload: P): void {
    const slot: Slot<P> = { unit, at, payload };
    this.#live.set(unit, slot);
    this.#push(slot);
    // Replaced slots wait in the heap until they reach the top; a unit changed often while its
    // expiry is far ahead would pile them up, so the heap is rebuilt from the live ones now and then.
    if (this.#heap.length > 2 * this.#live.size + 64) this.#rebuild();
  }

  /** What `unit` was scheduled with, while it waits. */
  payloadOf(unit: string): P | undefined {
    return this.#live.get(unit)?.payload;
  }

  /** Forgets `unit` (it was compiled again without an expiry ahead, or it is gone). */
  cancel(unit: string): void {
    this.#live.delete(unit);
  }

  /** The earliest time a unit is due, or null when none waits. */
  next(): number | null {
    this.#dropStale();
    return this.#heap[0]?.at ?? null;
  }

  /** Removes and returns every unit due at or before `now`, earliest first. */
  takeDue(now: number): Slot<P>[] {
    const due: Slot<P>[] = [];
    for (;;) {
      this.#dropStale();
      const top = this.#heap[0];
      if (top === undefined || top.at > now) return due;
      this.#pop();
      this.#live.delete(top.unit);
      due.push(top);
    }
  }

  #dropStale(): void {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || this.#live.get(top.unit) === top) return;
      this.#pop();
    }
  }

  #rebuild(): void {
    this.#heap.length = 0;
    for (const slot of this.#live.values()) this.#push(slot);
  }

  #push(slot: Slot<P>): void {
    const heap = this.#heap;
    heap.push(slot);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as Slot<P>).at <= slot.at) break;
      heap[i] = heap[parent] as Slot<P>;
      i = parent;
    }
    heap[i] = slot;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as Slot<P>;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const child = r < heap.length && (heap[r] as Slot<P>).at < (heap[l] as Slot<P>).at ? r : l;
      if ((heap[child] as Slot<P>).at >= last.at) break;
      heap[i] = heap[child] as Slot<P>;
      i = child;
    }
    heap[i] = last;
  }
}
