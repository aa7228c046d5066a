/**
 * pathAmbiguity and windowsPath: a table of attacker inputs, plain paths that must pass, and a fuzz-style
 * property (any text: no throw, linear time, the answer never depends on what follows an ambiguity).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pathAmbiguity, windowsPath } from './ambiguous-path.js';

describe('pathAmbiguity', () => {
  it.each([
    ['/admin%00/x', /control byte \(%00\)/],
    ['/admin%0a', /control byte \(%0a\)/],
    ['/admin%1F/x', /control byte/],
    ['/admin%7f', /control byte \(%7f\)/],
    ['/%u002e%u002e/admin', /does not start a %XX escape/],
    ['/admin%U0041', /does not start a %XX escape/],
    ['/admin%', /does not start a %XX escape/],
    ['/admin%4', /does not start a %XX escape/],
    ['/admin%zz', /does not start a %XX escape/],
    ['/admin%%32%65', /does not start a %XX escape/],
    ['/%c0%ae%c0%ae/admin', /not well-formed UTF-8 \(%c0%ae\)/],
    ['/%c0%af', /not well-formed UTF-8/],
    ['/%c1%9c', /not well-formed UTF-8/],
    ['/%e0%80%ae', /not well-formed UTF-8/],
    ['/%f0%80%80%ae', /not well-formed UTF-8/],
    ['/%ed%a0%80', /not well-formed UTF-8/], // a surrogate
    ['/%f4%90%80%80', /not well-formed UTF-8/], // above U+10FFFF
    ['/%f5%80%80%80', /not well-formed UTF-8/],
    ['/%80', /not well-formed UTF-8/], // a continuation byte alone
    ['/%c3', /not well-formed UTF-8/], // cut short
    ['/%c3/', /not well-formed UTF-8/],
    ['/%e2%82', /not well-formed UTF-8/],
    ['/%ff', /not well-formed UTF-8/],
    ['/%ef%bc%8fadmin', /read as ASCII/], // fullwidth solidus
    ['/admin%ef%bc%8e', /read as ASCII/], // fullwidth full stop
    ['/admin%c2%a0', /read as ASCII/], // no-break space
    ['/admin%e2%80%a4', /read as ASCII/], // one dot leader
  ])('refuses %s', (raw, why) => {
    expect(pathAmbiguity(raw)).toMatch(why);
  });

  it.each([
    '/',
    '/v1/users',
    '/v1/users/42',
    '/files/a%2Fb',
    '/q/a%20b',
    '/caf%C3%A9',
    '/%e2%82%ac', // €
    '/%f0%9f%98%80', // an emoji
    '/%e4%b8%ad%e6%96%87',
    '/%25',
    '/%41%2e%7e',
  ])('passes %s', (raw) => {
    expect(pathAmbiguity(raw)).toBeUndefined();
  });

  it('agrees with the platform on which escape runs are UTF-8, for every one- and two-byte run', () => {
    const hex = (b: number) => `%${b.toString(16).padStart(2, '0')}`;
    const decodes = (s: string) => {
      try {
        decodeURIComponent(s);
        return true;
      } catch {
        return false;
      }
    };
    for (let a = 0x80; a < 0x100; a++) {
      for (let b = 0; b < 0x100; b++) {
        const raw = `/${hex(a)}${hex(b)}`;
        const verdict = pathAmbiguity(raw);
        // Whatever decodeURIComponent refuses must be refused; what passes must decode.
        if (!decodes(raw)) expect(verdict, raw).toBeDefined();
        if (verdict === undefined) expect(decodes(raw), raw).toBe(true);
      }
    }
  });

  it('never throws and stays linear on any text (fuzz)', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        '%',
        '%u',
        '%c0',
        '%ae',
        '%e0',
        '%80',
        '%2e',
        '%00',
        '%7f',
        '%ef%bc%8f',
        '/',
        '.',
        ' ',
        'a',
      ),
      fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, '0')}`),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const raw = `/${pieces.join('')}`;
        const verdict = pathAmbiguity(raw);
        expect(verdict === undefined || typeof verdict === 'string').toBe(true);
        // Fail closed: whatever passes is decodable.
        if (verdict === undefined) expect(() => decodeURIComponent(raw)).not.toThrow();
        windowsPath(raw);
      }),
      { numRuns: 3000 },
    );
    for (const long of ['%c3%a9'.repeat(20_000), `/${'.'.repeat(100_000)}x`, `/${'%'.repeat(50_000)}`]) {
      const started = performance.now();
      pathAmbiguity(long);
      windowsPath(long);
      expect(performance.now() - started).toBeLessThan(200);
    }
  });
});

describe('windowsPath', () => {
  it.each([
    ['/admin.', '/admin'],
    ['/admin ', '/admin'],
    ['/admin. . /x', '/admin/x'],
    ['/a/ ./b', '/a/b'],
    ['/v1/users', '/v1/users'],
    ['/v1/a.b/c', '/v1/a.b/c'],
  ])('reads %s as %s', (path, read) => {
    expect(windowsPath(path)).toBe(read);
  });
});
