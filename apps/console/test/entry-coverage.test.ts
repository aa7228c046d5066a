/**
 * Which changes to one entry take addresses away from it, and so are replayed on the last day's
 * traffic before they are saved (apps/console/src/parts/entry-coverage.ts).
 */
import { describe, expect, it } from 'vitest';
import { inForce, letsIn, narrows } from '../src/parts/entry-coverage.js';

const NOW = Date.parse('2026-12-07T00:00:00Z');
const at = (value: string, enabled = true, expiresAt: string | null = null) => ({
  value,
  enabled,
  expiresAt,
});

describe('narrows', () => {
  it('is true for a value that covers fewer addresses, or none of the old ones', () => {
    expect(narrows(at('127.0.0.16/28'), at('127.0.0.16/29'), NOW)).toBe(true);
    expect(narrows(at('10.0.0.0/8'), at('192.168.0.0/16'), NOW)).toBe(true);
    expect(narrows(at('2001:db8::/32'), at('2001:db8::/48'), NOW)).toBe(true);
    // Same size, shifted: some old addresses are left out.
    expect(narrows(at('192.168.1.10-20'), at('192.168.1.11-21'), NOW)).toBe(true);
  });

  it('is false for the same addresses written otherwise, or more of them', () => {
    expect(narrows(at('127.0.0.16/29'), at('127.0.0.0/26'), NOW)).toBe(false);
    expect(narrows(at('192.168.0/16'), at('192.168.0.0/16'), NOW)).toBe(false);
    expect(narrows(at('192.168.0.0/16'), at('192.168.0.0/255.255.0.0'), NOW)).toBe(false);
    expect(narrows(at('203.0.113.7'), at('203.0.113.0/24'), NOW)).toBe(false);
  });

  it('counts an entry that is disabled or expired as covering nothing', () => {
    expect(narrows(at('10.0.0.0/8'), at('10.0.0.0/8', false), NOW)).toBe(true);
    expect(narrows(at('10.0.0.0/8', false), at('10.0.0.1'), NOW)).toBe(false);
    expect(narrows(at('10.0.0.0/8', true, '2026-12-06T00:00:00Z'), at('10.0.0.1'), NOW)).toBe(false);
    expect(narrows(at('10.0.0.0/8'), at('10.0.0.0/8', true, '2026-12-06T00:00:00Z'), NOW)).toBe(true);
  });

  it('leaves a value that does not parse to the form and the server', () => {
    expect(narrows(at('10.0.0.0/8'), at('10.0.0.1/8'), NOW)).toBe(false);
  });
});

describe('inForce', () => {
  it('is enabled and not expired', () => {
    expect(inForce(at('10.0.0.1'), NOW)).toBe(true);
    expect(inForce(at('10.0.0.1', false), NOW)).toBe(false);
    expect(inForce(at('10.0.0.1', true, '2026-12-08T00:00:00Z'), NOW)).toBe(true);
    expect(inForce(at('10.0.0.1', true, '2026-12-07T00:00:00Z'), NOW)).toBe(false);
  });
});

describe('letsIn', () => {
  const entry = (canonical: string, enabled = true, expiresAt: string | null = null) => ({
    canonical,
    enabled,
    expiresAt,
  });

  it('is true for an address an entry in force covers, false otherwise', () => {
    const list = [entry('10.0.0.0/8'), entry('2001:db8::/32')];
    expect(letsIn(list, '10.1.2.3', NOW)).toBe(true);
    expect(letsIn(list, '2001:db8::7', NOW)).toBe(true);
    expect(letsIn(list, '192.0.2.1', NOW)).toBe(false);
    expect(letsIn([], '192.0.2.1', NOW)).toBe(false);
  });

  it('leaves out entries that are disabled or expired', () => {
    expect(letsIn([entry('10.0.0.0/8', false)], '10.1.2.3', NOW)).toBe(false);
    expect(letsIn([entry('10.0.0.0/8', true, '2026-12-06T00:00:00Z')], '10.1.2.3', NOW)).toBe(false);
    expect(letsIn([entry('10.0.0.0/8', true, '2026-12-08T00:00:00Z')], '10.1.2.3', NOW)).toBe(true);
  });

  it('says nothing without an address, or when an entry does not parse', () => {
    expect(letsIn([entry('10.0.0.0/8')], null, NOW)).toBeUndefined();
    expect(letsIn([entry('not an address')], '10.1.2.3', NOW)).toBeUndefined();
  });
});
