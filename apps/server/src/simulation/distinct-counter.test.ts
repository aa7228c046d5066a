import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DistinctCounter } from './distinct-counter.js';

describe('DistinctCounter', () => {
  it('counts exactly up to its limit', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 6 }), { maxLength: 200 }), (values) => {
        const c = new DistinctCounter(1000);
        for (const v of values) c.add(v);
        expect([c.count, c.exact]).toEqual([new Set(values).size, true]);
      }),
    );
  });

  it.each([20_000, 200_000])('estimates %i distinct values within 5 %% past its limit', (n) => {
    const c = new DistinctCounter(1000);
    for (let i = 0; i < n; i++) {
      c.add(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      // Repeats change nothing.
      if (i % 3 === 0) c.add(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    }
    expect(c.exact).toBe(false);
    expect(Math.abs(c.count - n) / n).toBeLessThan(0.05);
  });
});
