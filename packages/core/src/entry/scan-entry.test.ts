import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEntryBounds, scanEntry, scanEntryGeneral, scanPlainIPv4 } from './scan-entry.js';

function snapshot(b: ReturnType<typeof createEntryBounds>) {
  return {
    family: b.family,
    form: b.form,
    prefix: b.prefix,
    first: Array.from(b.first),
    last: Array.from(b.last),
  };
}

// Strings near the fast path's grammar: dotted quads with odd parts, slashes, lengths with leading zeros.
const part = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map(String),
  fc.constantFrom('00', '01', '256', '999', '0x1', '', ' 1', '1 ', 'a'),
);
const nearIPv4 = fc
  .tuple(
    fc.array(part, { minLength: 1, maxLength: 5 }),
    fc.option(
      fc.oneof(
        fc.integer({ min: 0, max: 40 }).map(String),
        fc.constantFrom('08', '', '/8', '-1', '8 ', '255.0.0.0'),
      ),
    ),
  )
  .map(([parts, len]) => parts.join('.') + (len === null ? '' : `/${len}`));
// Valid CIDRs: a random address masked to a random length.
const validCidr = fc
  .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }))
  .map(([v, len]) => {
    const net = len === 0 ? 0 : (v & (0xffffffff << (32 - len))) >>> 0;
    return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${len}`;
  });

describe('the IPv4 fast path', () => {
  it('accepts only what the general scanner accepts, with the same bounds', () => {
    fc.assert(
      fc.property(fc.oneof(nearIPv4, validCidr, fc.string()), (text) => {
        const fast = createEntryBounds();
        const general = createEntryBounds();
        const generalError = scanEntryGeneral(text, general);
        if (scanPlainIPv4(text, fast)) {
          expect(generalError).toBeUndefined();
          expect(snapshot(fast)).toEqual(snapshot(general));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('takes every valid plain CIDR (so big lists never fall to the slow path)', () => {
    fc.assert(
      fc.property(validCidr, (text) => {
        expect(scanPlainIPv4(text, createEntryBounds())).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['10.0.0.1/8', 'IPG_ENTRY_HOST_BITS'],
    ['10.0.0.0/08', 'IPG_ENTRY_PREFIX_INVALID'],
    ['10.0.0.0/33', 'IPG_ENTRY_PREFIX_INVALID'],
    ['010.0.0.0/8', 'IPG_ADDRESS_AMBIGUOUS_IPV4'],
  ])('leaves %s to the general scanner, which explains it (%s)', (text, code) => {
    expect(scanPlainIPv4(text, createEntryBounds())).toBe(false);
    expect(scanEntry(text, createEntryBounds())?.code).toBe(code);
  });

  it('still enforces the requested type', () => {
    expect(scanEntry('192.0.2.1', createEntryBounds(), 'range')?.code).toBe('IPG_ENTRY_TYPE_MISMATCH');
    expect(scanEntry('192.0.2.0/24', createEntryBounds(), 'ip')?.code).toBe('IPG_ENTRY_TYPE_MISMATCH');
    expect(scanEntry('192.0.2.0/24', createEntryBounds(), 'range')).toBeUndefined();
  });
});
