import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShardedMap } from './sharded-map.js';

const key = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer({ min: 0, max: 5000 }).map((n) => `ten_${n}`),
);
const change = fc.tuple(key, fc.option(fc.integer(), { nil: undefined }));

describe('ShardedMap', () => {
  it('behaves like a Map through any sequence of changes, and never changes an older map', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, fc.integer()), { maxLength: 300 }),
        fc.array(fc.array(change, { maxLength: 200 }), { maxLength: 8 }),
        (initial, rounds) => {
          let map = ShardedMap.from(initial);
          const model = new Map(initial);
          const history: [ShardedMap<number>, Map<string, number>][] = [[map, new Map(model)]];
          for (const changes of rounds) {
            map = map.with(changes);
            for (const [k, v] of changes) {
              if (v === undefined) model.delete(k);
              else model.set(k, v);
            }
            history.push([map, new Map(model)]);
          }
          for (const [m, expected] of history) {
            expect(m.size).toBe(expected.size);
            expect(new Map(m)).toEqual(expected);
            for (const [k, v] of expected) expect(m.get(k)).toBe(v);
            for (const [k] of initial) expect(m.has(k)).toBe(expected.has(k));
          }
        },
      ),
    );
  });

  it('copies only the shards a change touches', () => {
    const map = ShardedMap.from(Array.from({ length: 10_000 }, (_, i) => [`ten_${i}`, i] as const));
    const next = map.with([['ten_5', -5]]);
    let shared = 0;
    const a = (map as unknown as { shards: Map<string, number>[] }).shards;
    const b = (next as unknown as { shards: Map<string, number>[] }).shards;
    for (let i = 0; i < a.length; i++) if (a[i] === b[i]) shared++;
    expect(a.length).toBeGreaterThanOrEqual(256);
    expect(shared).toBe(a.length - 1);
    expect(next.get('ten_5')).toBe(-5);
    expect(map.get('ten_5')).toBe(5);
  });

  it('spreads over more shards as it grows, one change at a time', () => {
    let map = ShardedMap.empty<number>();
    for (let i = 0; i < 5_000; i++) map = map.with([[`key_${i}`, i]]);
    expect(map.size).toBe(5_000);
    const shards = (map as unknown as { shards: unknown[] }).shards.length;
    expect(5_000 / shards).toBeLessThanOrEqual(128);
    expect(map.get('key_4321')).toBe(4321);
  });

  it('returns itself for no changes', () => {
    const map = ShardedMap.from([['a', 1]]);
    expect(map.with([])).toBe(map);
  });
});
