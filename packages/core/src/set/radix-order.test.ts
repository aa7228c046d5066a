import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparisonOrder, radixOrder } from './ipv4-segments.js';

describe.each([
  ['radixOrder', radixOrder],
  ['comparisonOrder', comparisonOrder],
])('%s', (_, order) => {
  it('sorts positions by unsigned 32-bit key, stably', () => {
    fc.assert(
      fc.property(
        // Past 32 keys too: comparisonOrder sorts short lists another way than longer ones.
        fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 3 })), {
          maxLength: 80,
        }),
        (keys) => {
          const expected = keys
            .map((_, k) => k)
            .sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b);
          expect(Array.from(order(keys, keys.length))).toEqual(expected);
        },
      ),
    );
  });
});
