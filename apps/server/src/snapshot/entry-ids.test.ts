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

  it('refuses an id with a comma rather than mixing up the positions after it', () => {
    expect(() => EntryIds.of(['ent_1', 'a,b'])).toThrow(/comma/);
    expect(EntryIds.of([])).toBe(EntryIds.none);
  });
});
