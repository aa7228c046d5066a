import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { expiry, NEVER, onOff, wholeNumber } from './option-parsers.js';

describe('expiry', () => {
  it('reads times from now', () => {
    const before = Date.now();
    const at = Date.parse(expiry(false)('30d'));
    expect(at - before).toBeGreaterThanOrEqual(30 * 86_400_000 - 1000);
    expect(at - before).toBeLessThanOrEqual(30 * 86_400_000 + 5000);
    expect(Date.parse(expiry(false)('90m')) - Date.now()).toBeGreaterThan(89 * 60_000);
  });

  it('reads ISO times with a zone, as UTC', () => {
    expect(expiry(false)('2030-01-31T02:00:00+02:00')).toBe('2030-01-31T00:00:00.000Z');
    expect(expiry(false)('2030-01-31T00:00Z')).toBe('2030-01-31T00:00:00.000Z');
  });

  it('takes never only where an expiry can be cleared', () => {
    expect(expiry(true)('never')).toBe(NEVER);
    expect(() => expiry(false)('never')).toThrow(InvalidArgumentError);
  });

  it.each(['2030-01-31', '2030-01-31T00:00:00', 'tomorrow', '0d', '30w', '2030-13-45T00:00:00Z', ''])(
    'refuses %j',
    (value) => {
      expect(() => expiry(true)(value)).toThrow(/expected a time with a zone/);
    },
  );
});

describe('wholeNumber and onOff', () => {
  it('parse what they should and refuse the rest', () => {
    expect(wholeNumber(0)('0')).toBe(0);
    expect(wholeNumber(1)('500')).toBe(500);
    for (const bad of ['0', '-1', '1.5', '1e3', 'ten', ''])
      expect(() => wholeNumber(1)(bad)).toThrow(InvalidArgumentError);
    expect(onOff('on')).toBe(true);
    expect(onOff('off')).toBe(false);
    expect(() => onOff('true')).toThrow(/expected on or off/);
  });
});
