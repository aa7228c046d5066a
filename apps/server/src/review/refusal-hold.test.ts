import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIRST_RETRY_MS, MAX_RETRY_MS, RULE_REFUSAL_HOLD_MS, refusalHoldMs } from './refusal-hold.js';

describe('how long a refused trusted address is held', () => {
  it('a rule holds it for the hour, whatever came before', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 1_000 }), (inRow) => {
        expect(refusalHoldMs({ transient: false, inRow })).toBe(RULE_REFUSAL_HOLD_MS);
      }),
    );
  });

  it('transient failures: 5, 10, 20, then 30 s from then on', () => {
    expect([1, 2, 3, 4, 5, 50].map((inRow) => refusalHoldMs({ transient: true, inRow }))).toEqual([
      5_000, 10_000, 20_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('a transient failure is always held seconds, never less than the first wait, never more than the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 10_000 }), fc.integer({ min: 0, max: 10 }), (inRow, more) => {
        const hold = refusalHoldMs({ transient: true, inRow });
        expect(hold).toBeGreaterThanOrEqual(FIRST_RETRY_MS);
        expect(hold).toBeLessThanOrEqual(MAX_RETRY_MS);
        // More failures in a row never wait less.
        expect(refusalHoldMs({ transient: true, inRow: inRow + more })).toBeGreaterThanOrEqual(hold);
      }),
    );
  });
});
