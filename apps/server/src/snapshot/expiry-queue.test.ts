import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpiryQueue } from './expiry-queue.js';

type Op =
  | { readonly op: 'schedule'; readonly unit: string; readonly at: number }
  | { readonly op: 'cancel'; readonly unit: string }
  | { readonly op: 'take'; readonly now: number };

const unit = fc.integer({ min: 0, max: 20 }).map((n) => `tenant:${n}`);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('schedule' as const), unit, at: fc.integer({ min: 0, max: 1000 }) }),
  fc.record({ op: fc.constant('cancel' as const), unit }),
  fc.record({ op: fc.constant('take' as const), now: fc.integer({ min: 0, max: 1000 }) }),
);

describe('ExpiryQueue', () => {
  it('hands out exactly the units due, earliest first, as a list of live slots would', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const q = new ExpiryQueue<number>();
        const model = new Map<string, number>();
        for (const o of ops) {
          if (o.op === 'schedule') {
            q.schedule(o.unit, o.at, o.at);
            model.set(o.unit, o.at);
          } else if (o.op === 'cancel') {
            q.cancel(o.unit);
            model.delete(o.unit);
          } else {
            const due = q.takeDue(o.now);
            const expected = [...model].filter(([, at]) => at <= o.now).sort((a, b) => a[1] - b[1]);
            expect(due.map((d) => d.at)).toEqual(expected.map(([, at]) => at));
            expect(new Set(due.map((d) => d.unit))).toEqual(new Set(expected.map(([u]) => u)));
            for (const [u] of expected) model.delete(u);
          }
          expect(q.size).toBe(model.size);
          expect(q.next()).toBe(model.size === 0 ? null : Math.min(...model.values()));
        }
      }),
    );
  });

  it('does not pile up replaced slots for a unit that changes often', () => {
    const q = new ExpiryQueue<null>();
    for (let i = 0; i < 100_000; i++) q.schedule('tenant:busy', 1e12 + i, null);
    expect(q.size).toBe(1);
    expect(q.nodes).toBeLessThanOrEqual(2 * q.size + 64);
    expect(q.takeDue(2e12).map((d) => d.at)).toEqual([1e12 + 99_999]);
  });
});
