/**
 * An immutable map from strings that is cheap to change a few keys of: the keys are spread over
 * shards (plain `Map`s), and a change copies only the shards it touches plus the small array that
 * holds them. A snapshot with 100,000 tenants and as many keys can then take one tenant's change by
 * copying a few hundred entries instead of every one, while a lookup stays one string hash and one
 * `Map#get`. The old map stays valid and unchanged, so a request that read it keeps a consistent view.
 */

/** Most entries a shard holds on average before {@link ShardedMap#with} spreads them over more shards. */
const MAX_PER_SHARD = 64;
/**
 * Entries per shard aimed at when the shard count is chosen. A change copies the `Map` of each shard
 * it touches, and that copy reads every key of the shard (its hash, from the key string: a cache miss
 * each, the keys being spread over the heap), so the copy is most of what a swap costs: at 100,000
 * tenants, 50 tenants' changes cost ~600 µs with 32 a shard, ~390 µs with 16 (8,192 shards). Not
 * fewer: the shard array itself is copied too, and at 16,384 shards (128 KB) it is a large object of
 * V8's, allocated and collected apart, which cost more than it saved (~1,000 µs with 8 a shard).
 */
const TARGET_PER_SHARD = 16;

/** Changes for {@link ShardedMap#with}: the value to set, or `undefined` to delete the key. */
export type MapChanges<V> = Iterable<readonly [key: string, value: V | undefined]>;

/**
 * @example
 * const a = ShardedMap.from([['ten_1', 1], ['ten_2', 2]]);
 * const b = a.with([['ten_2', undefined], ['ten_3', 3]]);
 * a.get('ten_2'); // 2 — the old map is unchanged
 * b.get('ten_2'); // undefined
 * b.size; // 2
 */
export class ShardedMap<V> implements Iterable<readonly [string, V]> {
  private constructor(
    private readonly shards: readonly ReadonlyMap<string, V>[],
    /** shards.length - 1; the count is a power of two. */
    private readonly mask: number,
    readonly size: number,
  ) {}

  /** A map with nothing in it. */
  static empty<V>(): ShardedMap<V> {
    return ShardedMap.from<V>([]);
  }

  /**
   * Builds a map from its entries; a key given twice keeps its last value.
   *
   * @example
   * ShardedMap.from([['k', 'v']]).get('k'); // 'v'
   */
  static from<V>(entries: Iterable<readonly [string, V]>): ShardedMap<V> {
    const list = Array.isArray(entries) ? (entries as readonly (readonly [string, V])[]) : [...entries];
    const count = shardCountFor(list.length);
    const shards: Map<string, V>[] = [];
    for (let i = 0; i < count; i++) shards.push(new Map());
    for (const [key, value] of list) (shards[shardOf(key, count - 1)] as Map<string, V>).set(key, value);
    let size = 0;
    for (const shard of shards) size += shard.size;
    return new ShardedMap(shards, count - 1, size);
  }

  get(key: string): V | undefined {
    return (this.shards[shardOf(key, this.mask)] as ReadonlyMap<string, V>).get(key);
  }

  has(key: string): boolean {
    return (this.shards[shardOf(key, this.mask)] as ReadonlyMap<string, V>).has(key);
  }

  /**
   * A new map with the changes applied (later changes to the same key win); this one is unchanged.
   * Costs the size of the shards touched, not of the map; when it has grown well past its shard
   * count it is spread over more shards, once, at the cost of the whole map.
   *
   * @example
   * ShardedMap.from([['a', 1]]).with([['a', undefined]]).size; // 0
   */
  with(changes: MapChanges<V>): ShardedMap<V> {
    let shards: (ReadonlyMap<string, V> | Map<string, V>)[] | undefined;
    let size = this.size;
    for (const [key, value] of changes) {
      const at = shardOf(key, this.mask);
      shards ??= this.shards.slice();
      let shard = shards[at] as Map<string, V>;
      // Still this map's shard: copy it once, then change the copy.
      if (shard === this.shards[at]) {
        shard = new Map(shard);
        shards[at] = shard;
      }
      const had = shard.has(key);
      if (value === undefined) {
        if (had) {
          shard.delete(key);
          size--;
        }
      } else {
        shard.set(key, value);
        if (!had) size++;
      }
    }
    if (shards === undefined) return this;
    const next = new ShardedMap<V>(shards, this.mask, size);
    return size > (this.mask + 1) * MAX_PER_SHARD ? ShardedMap.from(next) : next;
  }

  *[Symbol.iterator](): IterableIterator<readonly [string, V]> {
    for (const shard of this.shards) yield* shard;
  }

  *values(): IterableIterator<V> {
    for (const shard of this.shards) yield* shard.values();
  }

  *keys(): IterableIterator<string> {
    for (const shard of this.shards) yield* shard.keys();
  }
}

function shardCountFor(size: number): number {
  let count = 1;
  while (count * TARGET_PER_SHARD < size) count *= 2;
  return count;
}

/**
 * FNV-1a over the last 16 characters: ids (`ten_01jd…`) and secret hashes differ most at the end, and
 * a bounded loop keeps the per-request cost fixed whatever the key's length.
 */
function shardOf(key: string, mask: number): number {
  if (mask === 0) return 0;
  let h = 0x811c9dc5;
  for (let i = Math.max(0, key.length - 16); i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h ^ (h >>> 16)) & mask;
}
