import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AsnNames } from './asn-names.js';

describe('AsnNames', () => {
  it('answers every ASN as the map it was built from, and null for any other', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 0xffffffff }), fc.string({ maxLength: 40 }))),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 20 }),
        (rows, probes) => {
          const map = new Map(rows);
          const names = AsnNames.from(map);
          expect(names.size).toBe(map.size);
          for (const [asn, name] of map) expect(names.nameOf(asn)).toBe(name);
          for (const asn of probes) expect(names.nameOf(asn)).toBe(map.get(asn) ?? null);
        },
      ),
    );
  });

  it('sorts ASNs as numbers, not as text, and keeps names with commas, quotes and non-ASCII', () => {
    const names = AsnNames.from(
      new Map([
        [100_000, 'Zeta "Z", Ltd.'],
        [9, 'Nine'],
        [4_294_967_295, 'Ωmega Networks'],
        [10, ''],
      ]),
    );
    expect(names.nameOf(9)).toBe('Nine');
    expect(names.nameOf(10)).toBe('');
    expect(names.nameOf(100_000)).toBe('Zeta "Z", Ltd.');
    expect(names.nameOf(4_294_967_295)).toBe('Ωmega Networks');
    expect(names.nameOf(11)).toBeNull();
    expect(AsnNames.from(new Map()).nameOf(1)).toBeNull();
  });
});
