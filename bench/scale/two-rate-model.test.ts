import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  atServedRate,
  fitTwoRates,
  lossAtCapacityPercent,
  pairedDifference,
  parseFixedRates,
} from './two-rate-model.mjs';

describe('pairedDifference', () => {
  it('takes storm − quiet within each pair and the median over pairs', () => {
    const quiet = [400, 600, 500].map((cpuMsPerS) => ({ cpuMsPerS }));
    const stormy = [430, 700, 520].map((cpuMsPerS) => ({ cpuMsPerS }));
    const d = pairedDifference({ quiet, stormy }, 'cpuMsPerS');
    expect(d.pairs).toEqual([30, 100, 20]);
    expect(d.median).toBe(30);
    expect(d.lowerQuartile).toBe(25);
    expect(d.upperQuartile).toBe(65);
  });

  it('is not moved by a drift that shifts both rounds of a pair alike', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -300, max: 300, noNaN: true }), { minLength: 1, maxLength: 20 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (drifts, extra) => {
          const quiet = drifts.map((d) => ({ cpuMsPerS: 500 + d }));
          const stormy = drifts.map((d) => ({ cpuMsPerS: 500 + d + extra }));
          expect(pairedDifference({ quiet, stormy }, 'cpuMsPerS').median).toBeCloseTo(extra, 6);
        },
      ),
    );
  });

  it('compares a pair at the requests its storm round served', () => {
    const quiet = [{ cpuMsPerS: 400, rps: 2000 }];
    const stormy = [{ cpuMsPerS: 410, rps: 1900 }];
    expect(pairedDifference({ quiet, stormy }, 'cpuMsPerS').median).toBe(10);
    expect(pairedDifference({ quiet, stormy }, 'cpuMsPerS', atServedRate).median).toBeCloseTo(30, 9);
  });

  it('refuses rounds that are not pairs', () => {
    expect(() => pairedDifference({ quiet: [{ x: 1 }], stormy: [] }, 'x')).toThrow(/as many quiet as storm/);
  });
});

describe('fitTwoRates and lossAtCapacityPercent', () => {
  it('separates the changes’ own cost from what they add per request', () => {
    const model = fitTwoRates({ rps: 1000, extraMsPerS: 50 }, { rps: 3000, extraMsPerS: 56 });
    expect(model.idleMsPerS).toBeCloseTo(47, 9);
    expect(model.perRequestUs).toBeCloseTo(3, 9);
    expect(model.levelled).toBe(false);
    // 47 ms/s for the changes and 3 µs × 8,000 requests: 71 ms of the 1,024 a storm round's
    // requests would need to keep the quiet rate.
    expect(lossAtCapacityPercent(model, 8000)).toBeCloseTo((71 / 1024) * 100, 9);
  });

  it('reads a falling line as nothing per request, level at the larger extra', () => {
    const model = fitTwoRates({ rps: 1000, extraMsPerS: 40 }, { rps: 2000, extraMsPerS: 35 });
    expect(model).toEqual({ idleMsPerS: 40, perRequestUs: 0, levelled: true });
    expect(lossAtCapacityPercent(model, 10_000)).toBeCloseTo(4, 9);
  });

  it('gives the requests/s a saturated node loses, from first principles', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 300, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.integer({ min: 500, max: 50_000 }),
        (idleMsPerS, perRequestUs, capacityRps) => {
          const quietUs = 1e6 / capacityRps;
          const stormRps = ((1000 - idleMsPerS) * 1000) / (quietUs + perRequestUs);
          const lost = (1 - stormRps / capacityRps) * 100;
          expect(lossAtCapacityPercent({ idleMsPerS, perRequestUs }, capacityRps)).toBeCloseTo(lost, 6);
        },
      ),
    );
  });

  it('recovers any line it is given from two points on it', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 200, noNaN: true }),
        fc.double({ min: 0.001, max: 20, noNaN: true }),
        fc.integer({ min: 100, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        (idle, perRequestUs, low, gap) => {
          const at = (rps) => ({ rps, extraMsPerS: idle + (perRequestUs * rps) / 1000 });
          const model = fitTwoRates(at(low), at(low + gap));
          expect(model.idleMsPerS).toBeCloseTo(idle, 6);
          expect(model.perRequestUs).toBeCloseTo(perRequestUs, 6);
        },
      ),
    );
  });

  it('needs two different rates', () => {
    expect(() => fitTwoRates({ rps: 1000, extraMsPerS: 1 }, { rps: 1000, extraMsPerS: 2 })).toThrow(
      /two different rates/,
    );
  });
});

describe('parseFixedRates', () => {
  it('reads auto, off and rates separated by commas', () => {
    expect(parseFixedRates('auto')).toBe('auto');
    expect(parseFixedRates('off')).toBe('off');
    expect(parseFixedRates('3000,1000')).toEqual([3000, 1000]);
  });

  it('refuses a rate that is not positive or not a number, saying what it was given', () => {
    for (const text of ['0', '1000,', 'fast', '1000,-5']) {
      expect(() => parseFixedRates(text)).toThrow(`not ${text}`);
    }
  });

  it('refuses a rate given twice before any round is run', () => {
    expect(() => parseFixedRates('1000,1000')).toThrow(/give each rate once/);
    expect(() => parseFixedRates('1000,3000,1000')).toThrow(/give each rate once/);
  });
});
