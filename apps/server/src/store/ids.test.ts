import { describe, expect, it } from 'vitest';
import { newId } from './ids.js';

describe('newId', () => {
  it('has the prefix and 26 lower-case base-32 characters', () => {
    expect(newId('ten')).toMatch(/^ten_[0-9a-v]{26}$/);
  });

  it('sorts in the order the ids were made, also within one millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => newId('ent'));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('starts with the time it was made', () => {
    const before = Date.now();
    const id = newId('key');
    const ms = Number(parseBase32(id.slice(4)) >> 80n);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1);
  });
});

function parseBase32(text: string): bigint {
  let n = 0n;
  for (const c of text) n = n * 32n + BigInt(Number.parseInt(c, 32));
  return n;
}
