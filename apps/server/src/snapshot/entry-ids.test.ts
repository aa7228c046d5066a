import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newId } from '../store/ids.js';
import { EntryIds } from './entry-ids.js';

describe('EntryIds', () => {
  it('gives back every id by its position, and nothing outside the list', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9_]{1,30}$/), { maxLength: 50 }), (ids) => {
        const joined = EntryIds.of(ids);
        expect(joined.size).toBe(ids.length);
        for (const [i, id] of ids.entries()) expect(joined.at(i)).toBe(id);
        for (const outside of [-1, ids.length, 0.5, Number.NaN]) expect(joined.at(outside)).toBeUndefined();
      }),
    );
  });

  it('packs the ids the store makes, and gives each back exactly, whatever its digits', () => {
    const storeId = fc
      .tuple(fc.constantFrom('ent', 'kie'), fc.stringMatching(/^[0-7][0-9a-v]{25}$/))
      .map(([prefix, digits]) => `${prefix}_${digits}`);
    fc.assert(
      fc.property(
        fc.constantFrom('ent', 'kie'),
        fc.array(storeId, { minLength: 1, maxLength: 40 }),
        (prefix, ids) => {
          const same = ids.map((id) => `${prefix}${id.slice(3)}`);
          const packed = EntryIds.of(same);
          for (const [i, id] of same.entries()) expect(packed.at(i)).toBe(id);
          // Mixed prefixes are kept joined, and still exact.
          const mixed = EntryIds.of([...ids, 'other_1']);
          for (const [i, id] of ids.entries()) expect(mixed.at(i)).toBe(id);
          expect(mixed.at(ids.length)).toBe('other_1');
        },
      ),
    );
    const extremes = ['ent_00000000000000000000000000', 'ent_7vvvvvvvvvvvvvvvvvvvvvvvvv'];
    expect([0, 1].map((i) => EntryIds.of(extremes).at(i))).toEqual(extremes);
  });

  it("keeps ids that only look like the store's joined, and gives each back exactly", () => {
    const good = 'ent_0123456789abcdefghijklmnov';
    const nearMisses = [
      'ent_0123456789abcdefghijklmnow', // w is not a base-32 digit
      'ent_0123456789ABCDEFGHIJKLMNOV', // upper case
      'ent_0123456789abcdefghijklmno', // 25 digits
      'ent_0123456789abcdefghijklmnovv', // 27
      'en1_0123456789abcdefghijklmnov', // a digit in the prefix
      '_0123456789abcdefghijklmnov0000', // no prefix
      'ent-0123456789abcdefghijklmnov', // no underscore
      'kie_0123456789abcdefghijklmnov', // another prefix than the first id's
    ];
    for (const odd of nearMisses) {
      for (const ids of [
        [good, odd],
        [odd, good],
      ]) {
        const kept = EntryIds.of(ids);
        expect(ids.map((_, i) => kept.at(i))).toEqual(ids);
        expect(kept.all()).toEqual(ids);
      }
    }
    expect(EntryIds.of([good, good]).all()).toEqual([good, good]);
  });

  it('gives each list its own ids when ids of several lists are read in turn (the cache of recent ids)', () => {
    // Same last digits: the same slot of the cache, so each read pushes the other list's id out.
    const a = EntryIds.of(['ent_0000000000000000000000000a', 'ent_0000000000000000000000000b']);
    const b = EntryIds.of(['ent_1000000000000000000000000a', 'ent_2000000000000000000000000b']);
    const again = EntryIds.of(['ent_0000000000000000000000000a', 'ent_0000000000000000000000000b']);
    for (let round = 0; round < 3; round++) {
      expect(a.at(0)).toBe('ent_0000000000000000000000000a');
      expect(b.at(0)).toBe('ent_1000000000000000000000000a');
      expect(b.at(1)).toBe('ent_2000000000000000000000000b');
      expect(a.at(1)).toBe('ent_0000000000000000000000000b');
      expect(again.at(1)).toBe('ent_0000000000000000000000000b');
    }
    // Many lists and positions read at random, far more than the cache holds: always the right id.
    const lists = Array.from({ length: 20 }, (_, l) =>
      Array.from(
        { length: 300 },
        (_, i) => `kie_${String(l).padStart(2, '0')}${i.toString(32).padStart(24, '0')}`,
      ),
    );
    const packed = lists.map((ids) => EntryIds.of(ids));
    for (let n = 0; n < 20_000; n++) {
      const l = (n * 7919) % 20;
      const i = (n * 104_729) % 300;
      expect(packed[l]?.at(i)).toBe(lists[l]?.[i]);
    }
  });

  it('extended by more ids, holds what a list of all of them holds, packed or joined', () => {
    const store = Array.from({ length: 40 }, () => newId('ent'));
    const other = ['e1', 'e2', 'e3'];
    for (const [base, more] of [
      [store.slice(0, 30), store.slice(30)],
      [[], store.slice(0, 3)],
      [store.slice(0, 3), []],
      [other, ['e4']],
      [store.slice(0, 3), ['e5']], // packed, then an id that does not pack: all joined
      [store.slice(0, 3), [newId('obs')]], // another prefix
    ] as const) {
      const extended = EntryIds.of(base).with(more);
      const whole = EntryIds.of([...base, ...more]);
      expect(extended.all()).toEqual([...base, ...more]);
      expect(extended.size).toBe(whole.size);
      for (let i = -1; i <= whole.size; i++) expect(extended.at(i)).toBe(whole.at(i));
    }
    expect(() => EntryIds.of(other).with(['a,b'])).toThrow(/comma/);
  });

  it('picks the ids at some positions as at() gives them, packed or joined, nothing outside the list', () => {
    const store = Array.from({ length: 50 }, () => newId('ent'));
    for (const ids of [
      EntryIds.of(store),
      EntryIds.of(['e1', 'e2', 'e3']),
      EntryIds.of(store).with(['e9']),
    ]) {
      const positions = [ids.size - 1, 0, 2, -1, 1.5, ids.size, 2];
      expect(ids.pick(positions)).toEqual(positions.map((i) => ids.at(i)));
    }
    expect(EntryIds.none.pick([0])).toEqual([undefined]);
  });

  it('refuses an id with a comma rather than mixing up the positions after it', () => {
    expect(() => EntryIds.of(['ent_1', 'a,b'])).toThrow(/comma/);
    expect(EntryIds.of([])).toBe(EntryIds.none);
  });
});
