/**
 * A map that forgets its oldest half once it holds `max` keys: two generations, the older dropped
 * whole when the newer fills. Why not one Map with delete-the-first-key eviction: V8 leaves deleted
 * entries in place until it rehashes, so `keys().next()` scans ever more holes and eviction turned
 * quadratic under a stream of new addresses.
 *
 * @example
 * const m = new BoundedMap<string, number>(100_000);
 * m.set('198.51.100.9', 1);
 * m.get('198.51.100.9'); // 1
 */
export class BoundedMap<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();

  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    const v = this.current.get(key);
    if (v !== undefined) return v;
    const old = this.previous.get(key);
    // Still wanted: keep it through the next turnover.
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: K, value: V): void {
    if (!this.current.has(key) && this.current.size >= this.max / 2) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }

  delete(key: K): void {
    this.current.delete(key);
    this.previous.delete(key);
  }

  /** Keys held (an upper bound: a key may be in both generations). */
  get size(): number {
    return this.current.size + this.previous.size;
  }
}
