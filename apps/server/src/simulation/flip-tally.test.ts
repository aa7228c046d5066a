import { describe, expect, it } from 'vitest';
import { FlipTally } from './flip-tally.js';

describe('FlipTally', () => {
  it('counts requests, distinct addresses and keys exactly while few, and lists the top addresses', () => {
    const t = new FlipTally({ exactDistinct: 100, trackedAddresses: 10 });
    for (let i = 0; i < 5; i++) t.add('203.0.113.7', 'key_1');
    t.add('203.0.113.8', 'key_2');
    t.add('10.0.0.1', null);
    expect(t.summary(2)).toEqual({
      requests: 7,
      requestsWithoutKey: 1,
      addresses: 3,
      keys: 2,
      topAddresses: [
        { address: '203.0.113.7', requests: 5 },
        { address: '10.0.0.1', requests: 1 },
      ],
      exact: true,
    });
  });

  it('keeps the heavy hitters in bounded memory among 200,000 one-off addresses, and says it estimated', () => {
    const t = new FlipTally({ exactDistinct: 1000, trackedAddresses: 100 });
    for (let i = 0; i < 200_000; i++) {
      t.add(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `key_${i % 7}`);
      if (i % 100 === 0) t.add('203.0.113.7', 'key_0');
      if (i % 400 === 0) t.add('203.0.113.8', 'key_0');
    }
    const s = t.summary(2);
    expect(s.exact).toBe(false);
    expect(s.keys).toBe(7);
    expect(s.topAddresses.map((a) => a.address)).toEqual(['203.0.113.7', '203.0.113.8']);
    expect(s.topAddresses[0]?.requests).toBe(2000);
    expect(Math.abs(s.addresses - 200_002) / 200_002).toBeLessThan(0.05);
  });
});
