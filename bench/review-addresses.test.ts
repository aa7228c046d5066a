import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freshAddress } from './review-addresses.mjs';

describe('freshAddress', () => {
  it('writes both halves of the counter in hex', () => {
    expect(freshAddress('2003:e1:1', 70_000)).toBe('2003:e1:1:1:1170::1');
    // The warm-up's seeds (1000 + i·10000, ·1,000,000): a decimal fourth group had five digits.
    expect(freshAddress('2003:e1:1', 1_000_000_000)).toBe('2003:e1:1:3b9a:ca00::1');
  });

  it('gives a valid IPv6 address in the /48, different for every counter value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (a, b) => {
          const x = freshAddress('2003:e1:1', a);
          expect(isIPv6(x)).toBe(true);
          expect(x.startsWith('2003:e1:1:')).toBe(true);
          if (a !== b) expect(freshAddress('2003:e1:1', b)).not.toBe(x);
        },
      ),
    );
  });
});
