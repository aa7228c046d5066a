import { describe, expect, it } from 'vitest';
import {
  createReference,
  crossCheck,
  entryContaining,
  ipv6Text,
  median,
  randomIPv4Cidrs,
  randomMixedCidrs,
  randomQueries,
  realisticIPv4List,
  seededRandom,
} from './data.mjs';

describe('bench data', () => {
  it('is the same for the same seed and different for another', () => {
    const a = randomMixedCidrs(200, 7);
    const b = randomMixedCidrs(200, 7);
    expect(b.entries).toEqual(a.entries);
    expect(randomQueries(b, 100, 9, { family: 'mixed' })).toEqual(
      randomQueries(a, 100, 9, { family: 'mixed' }),
    );
    expect(randomMixedCidrs(200, 8).entries).not.toEqual(a.entries);
    const next = seededRandom(42);
    const first = [next(), next(), next()];
    const again = seededRandom(42);
    expect([again(), again(), again()]).toEqual(first);
  });

  it('makes exactly half of the queries hits, each inside an entry, the other half outside all', () => {
    const list = randomIPv4Cidrs(500, 3);
    const { texts, values, families, expected } = randomQueries(list, 400, 4);
    expect(expected.reduce((n, v) => n + v, 0)).toBe(200);
    for (let k = 0; k < texts.length; k++) {
      // A brute-force scan over every entry agrees with the generator's answer.
      expect(entryContaining(list, families[k], values[k]) !== undefined).toBe(expected[k] === 1);
    }
  });

  it('shapes the realistic list as described: 80 % single addresses, the rest networks, bounds as written', () => {
    const list = realisticIPv4List(20_000, 3);
    expect(realisticIPv4List(20_000, 3).entries).toEqual(list.entries);
    const singles = list.entries.filter((e) => !e.includes('/')).length;
    expect(singles / 20_000).toBeGreaterThan(0.78);
    expect(singles / 20_000).toBeLessThan(0.82);
    const lengths = list.entries.filter((e) => e.includes('/')).map((e) => Number(e.split('/')[1]));
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(12);
    expect(lengths.filter((l) => l < 24).length).toBeGreaterThan(0);
    expect(lengths.filter((l) => l >= 24 && l <= 31).length).toBeGreaterThan(3500);
    for (let k = 0; k < 2000; k++) {
      const [address, length = '32'] = (list.entries[k] as string).split('/');
      const value = (address as string).split('.').reduce((v, part) => v * 256 + Number(part), 0);
      expect(list.v4.firsts[k]).toBe(value);
      expect(list.v4.lasts[k]).toBe(value + 2 ** (32 - Number(length)) - 1);
      expect(value).toBeGreaterThanOrEqual(2 ** 24);
      expect(value).toBeLessThan(224 * 2 ** 24);
    }
  });

  it('writes IPv4-mapped queries when asked', () => {
    const list = randomIPv4Cidrs(10, 5);
    const { texts } = randomQueries(list, 10, 6, { mapped: true });
    for (const t of texts) expect(t).toMatch(/^::ffff:\d+\.\d+\.\d+\.\d+$/);
  });

  it('has a reference that agrees with a linear scan on a mixed list', () => {
    const list = randomMixedCidrs(300, 11);
    const reference = createReference(list);
    const { values, families } = randomQueries(list, 300, 12, { family: 'mixed' });
    for (let k = 0; k < values.length; k++) {
      const linear = entryContaining(list, families[k], values[k]) !== undefined;
      expect(reference.contains(families[k], values[k])).toBe(linear);
    }
  });

  it('prints IPv6 per RFC 5952', () => {
    expect(ipv6Text(0x20010db8000000000000000000000001n)).toBe('2001:db8::1');
    expect(ipv6Text(0x20010db8000100000001000000000000n)).toBe('2001:db8:1:0:1::');
    expect(ipv6Text(0x20010db8000000010000000000000000n)).toBe('2001:db8:0:1::');
    expect(ipv6Text(0n)).toBe('::');
  });

  it('catches a wrong answer in the cross-check', () => {
    const list = randomIPv4Cidrs(50, 13);
    const { texts, expected } = randomQueries(list, 20, 14);
    const right = Array.from(expected, (v) => v === 1);
    expect(crossCheck(texts, expected, right).mismatches).toBe(0);
    const wrong = [...right];
    const at = wrong.indexOf(false);
    wrong[at] = true;
    const check = crossCheck(texts, expected, wrong);
    expect(check).toMatchObject({ checked: 20, mismatches: 1, falseAllows: 1 });
    expect(check.examples).toEqual([{ index: at, query: texts[at], got: true }]);
  });

  it('takes medians', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
