import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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

  it('refuses an id with a comma rather than mixing up the positions after it', () => {
    expect(() => EntryIds.of(['ent_1', 'a,b'])).toThrow(/comma/);
    expect(EntryIds.of([])).toBe(EntryIds.none);
  });
});
