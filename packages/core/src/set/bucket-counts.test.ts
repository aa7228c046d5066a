import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { twoLevel } from './bucket-counts.js';

describe('twoLevel', () => {
  it('a group whose count reaches 256 is narrowed: a byte counts to 255', () => {
    const below = new Uint32Array(40).fill(256);
    below[0] = 0;
    const { group, groups, within } = twoLevel(below);
    expect(group).toBe(0);
    const counts = [...below].map((_, k) => (groups[k >>> group] as number) + (within[k] as number));
    expect(counts).toEqual([...below]);
    below.fill(255, 1);
    expect(twoLevel(below).group).toBe(5);
  });

  it('a count per group plus a byte per bucket give every bucket its count, in the widest groups that fit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 300 })), {
          minLength: 1,
          maxLength: 300,
        }),
        (steps) => {
          // Counts below each bucket only grow.
          const below = new Uint32Array(steps.length);
          let total = 0;
          steps.forEach((step, k) => {
            total += step;
            below[k] = total;
          });
          const { group, groups, within } = twoLevel(below);
          for (let k = 0; k < below.length; k++)
            expect((groups[k >>> group] as number) + (within[k] as number)).toBe(below[k]);
          if (group < 5) {
            // One group of the next width up holds more than a byte can count.
            const width = 1 << (group + 1);
            let widest = 0;
            for (let k = 0; k < below.length; k++)
              widest = Math.max(widest, (below[k] as number) - (below[k & ~(width - 1)] as number));
            expect(widest).toBeGreaterThan(255);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
