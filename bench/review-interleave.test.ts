import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attributeSlices,
  interleavedPair,
  perNewAddress,
  quantile,
  summarize,
} from './review-interleave.mjs';

describe('attributeSlices', () => {
  it("charges a slice from its start to its gateway's next slice, the spill into the other's slice included", () => {
    const slices = [
      { gateway: 'm', requests: 100, newAddresses: 0 },
      { gateway: 'a', requests: 100, newAddresses: 2 },
      { gateway: 'm', requests: 100, newAddresses: 0 },
      { gateway: 'a', requests: 100, newAddresses: 2 },
    ];
    // `a` spends 3 ms in `m`'s second slice (its batch's write); the last reading comes an idle
    // slice's length after the last slice, so that slice's spill is read too.
    const boundaries = [
      { m: 0, a: 0 },
      { m: 10, a: 0 },
      { m: 10, a: 12 },
      { m: 20, a: 15 },
      { m: 20, a: 28 },
    ];
    const charged = attributeSlices(slices, boundaries).map((c) => c.cpuMs);
    expect(charged).toEqual([10, 15, 10, 13]);
  });

  it('refuses readings that do not match the slices or a clock that went back', () => {
    const slices = [{ gateway: 'm', requests: 1 }];
    expect(() => attributeSlices(slices, [{ m: 0 }])).toThrow(/2 boundary readings/);
    expect(() => attributeSlices(slices, [{ m: 5 }, { m: 4 }])).toThrow(/went back/);
    expect(() => attributeSlices(slices, [{ a: 0 }, { a: 1 }])).toThrow(/no CPU reading for gateway m/);
  });

  it("charges each gateway exactly its CPU from its first slice's start to the last reading", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('m', 'a'), fc.nat(50), fc.nat(50)), {
          minLength: 1,
          maxLength: 30,
        }),
        (steps) => {
          const slices = steps.map(([gateway]) => ({ gateway, requests: 1 }));
          let m = 0;
          let a = 0;
          const boundaries = [{ m, a }];
          for (const [, dm, da] of steps) {
            m += dm;
            a += da;
            boundaries.push({ m, a });
          }
          const charged = attributeSlices(slices, boundaries);
          for (const g of ['m', 'a'] as const) {
            const first = slices.findIndex((s) => s.gateway === g);
            const total = charged.filter((c) => c.gateway === g).reduce((s, c) => s + c.cpuMs, 0);
            expect(total).toBe(first === -1 ? 0 : boundaries.at(-1)?.[g] - boundaries[first][g]);
          }
        },
      ),
    );
  });
});

describe('summarize', () => {
  const charged = [
    { gateway: 'm', requests: 1000, cpuMs: 100, newAddresses: 0, held: true },
    { gateway: 'a', requests: 1000, cpuMs: 110, newAddresses: 20, held: true },
    { gateway: 'm', requests: 1000, cpuMs: 200, newAddresses: 0, held: true },
    { gateway: 'a', requests: 1000, cpuMs: 206, newAddresses: 20, held: false },
  ];

  it('gives the ratio of the sums, the per-pair spread, the CPU per new address and the slices not held', () => {
    const s = summarize(charged, { base: 'm', test: 'a' });
    expect(s.baseCpuUsPerRequest).toBe(150);
    expect(s.testCpuUsPerRequest).toBe(158);
    expect(s.sumRatio).toBeCloseTo(158 / 150, 12);
    expect(s.pairRatios).toEqual([1.1, 1.03]);
    expect(s.median).toBeCloseTo(1.065, 12);
    // (316 ms − 150 µs × 2,000 requests) ÷ 40 new addresses.
    expect(s.cpuPerNewMs).toBeCloseTo(0.4, 12);
    expect(s.notHeld).toBe(1);
  });

  it('has no CPU per new address for a run that saw none, and prints that instead of failing', () => {
    const none = charged.map((c) => ({ ...c, newAddresses: 0 }));
    const s = summarize(none, { base: 'm', test: 'a' });
    expect(s.cpuPerNewMs).toBeUndefined();
    expect(perNewAddress(s.cpuPerNewMs)).toBe('per new address: no new address');
    expect(perNewAddress(0.4)).toBe('per new address 0.400 ms');
  });

  it('refuses a run without slices of one of the gateways', () => {
    expect(() => summarize(charged.slice(0, 1), { base: 'm', test: 'a' })).toThrow(/no slices for a/);
  });
});

describe('quantile', () => {
  it('interpolates between sorted values', () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(quantile([3, 1, 2, 4], 0.25)).toBe(1.75);
    expect(quantile([7], 0.75)).toBe(7);
    expect(() => quantile([], 0.5)).toThrow();
  });
});

describe('interleavedPair', () => {
  it('is manual against auto with the stream, or against a control that sends no new address', () => {
    expect(interleavedPair(undefined, 50)).toEqual([
      { label: 'manual', mode: 'manual', warmNew: true, newEvery: 0 },
      { label: 'auto', mode: 'auto', warmNew: true, newEvery: 50 },
    ]);
    for (const control of ['same', 'cold', 'auto-bare']) {
      const [base, test] = interleavedPair(control, 50);
      expect(base.label).toBe('manual');
      expect(test.label).not.toBe(base.label);
      expect(test.newEvery).toBe(0);
    }
    // The A/A is the base gateway again, under another name.
    const [base, same] = interleavedPair('same', 50);
    expect({ ...same, label: base.label }).toEqual(base);
  });

  it('names the controls it takes when given another', () => {
    expect(() => interleavedPair('toString', 50)).toThrow(/same, cold or auto-bare.*"toString"/);
    expect(() => interleavedPair('', 50)).toThrow(/same, cold or auto-bare/);
  });
});
