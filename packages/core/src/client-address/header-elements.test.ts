import { describe, expect, it } from 'vitest';
import { forwardingHeaderLimits, headerLines, readHeaderNodes } from './header-elements.js';
import type { ForwardingHeader, HeaderValue } from './strategy.js';

const { maxElements, maxLength } = forwardingHeaderLimits;

describe('headerLines', () => {
  it.each([
    [undefined, []],
    ['', ['']],
    ['a, b', ['a, b']],
    [
      ['a', 'b'],
      ['a', 'b'],
    ],
    [[], []],
  ] satisfies Array<[HeaderValue, string[]]>)('%j → %j', (value, lines) => {
    expect(headerLines(value)).toEqual(lines);
  });
});

describe('readHeaderNodes', () => {
  it.each([
    // [why, header, value, nodes left to right]
    ['absent', 'x-forwarded-for', undefined, []],
    ['empty', 'x-forwarded-for', '', []],
    ['blank', 'x-forwarded-for', ' \t ', []],
    ['one', 'x-forwarded-for', '192.0.2.1', ['192.0.2.1']],
    ['list with OWS', 'x-forwarded-for', ' 192.0.2.1 ,\t10.0.0.1 ', ['192.0.2.1', '10.0.0.1']],
    ['node-joined duplicate lines', 'x-forwarded-for', '192.0.2.1, 10.0.0.1', ['192.0.2.1', '10.0.0.1']],
    [
      'several lines in order',
      'x-forwarded-for',
      ['192.0.2.1, 10.0.0.1', '10.0.0.2'],
      ['192.0.2.1', '10.0.0.1', '10.0.0.2'],
    ],
    [
      'empty elements are skipped',
      'x-forwarded-for',
      [',192.0.2.1,, ', '', '10.0.0.2,'],
      ['192.0.2.1', '10.0.0.2'],
    ],
    [
      'elements are not parsed here',
      'x-forwarded-for',
      'unknown, "x", [::1]:80',
      ['unknown', '"x"', '[::1]:80'],
    ],
    // Only SP and HTAB are optional whitespace; anything else stays and makes the node garbage.
    ['no-break space stays', 'x-forwarded-for', '\u00a0192.0.2.1', ['\u00a0192.0.2.1']],
    [
      'Forwarded for values',
      'forwarded',
      'for=192.0.2.1;proto=https, for="[::1]:80"',
      ['192.0.2.1', '[::1]:80'],
    ],
    ['Forwarded element without for', 'forwarded', 'for=192.0.2.1, by=10.0.0.1', ['192.0.2.1', undefined]],
    [
      'Forwarded lines in order',
      'forwarded',
      ['for=192.0.2.1', 'for=10.0.0.1, for=10.0.0.2'],
      ['192.0.2.1', '10.0.0.1', '10.0.0.2'],
    ],
    ['Forwarded empty', 'forwarded', '', []],
  ] satisfies Array<[string, ForwardingHeader, HeaderValue, Array<string | undefined>]>)(
    '%s',
    (_why, header, value, nodes) => {
      expect(readHeaderNodes({ [header]: value }, header)).toEqual({ ok: true, nodes });
    },
  );

  it('reads only the configured header', () => {
    expect(readHeaderNodes({ forwarded: 'for=192.0.2.1' }, 'x-forwarded-for')).toEqual({
      ok: true,
      nodes: [],
    });
    expect(readHeaderNodes({ 'x-forwarded-for': '192.0.2.1' }, 'forwarded')).toEqual({ ok: true, nodes: [] });
  });

  it('parses each Forwarded line on its own, so a quote left open cannot swallow the next line', () => {
    expect(readHeaderNodes({ forwarded: ['for="', 'for=10.0.0.1'] }, 'forwarded')).toMatchObject({
      ok: false,
    });
    expect(readHeaderNodes({ forwarded: ['for="a', 'b"'] }, 'forwarded')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('of line 1'),
    });
  });

  it.each([
    // [why, header, value, detail]
    [
      'Forwarded syntax error',
      'forwarded',
      'for=[::1]',
      'forwarded is malformed: expected a token or a quoted string after for= at offset 4, near "[::1]"',
    ],
    [
      'Forwarded error on the second line',
      'forwarded',
      ['for=192.0.2.1', 'for="x'],
      'forwarded is malformed: unterminated quoted string at offset 4 of line 2, near "\\"x"',
    ],
  ] satisfies Array<[string, ForwardingHeader, HeaderValue, string]>)('%s', (_why, header, value, detail) => {
    expect(readHeaderNodes({ [header]: value }, header)).toEqual({ ok: false, detail });
  });
});

describe('forwardingHeaderLimits', () => {
  const list = (n: number) => Array.from({ length: n }, (_, k) => `10.0.${k >> 8}.${k & 255}`).join(',');
  const forwarded = (n: number) =>
    Array.from({ length: n }, (_, k) => `for=10.0.${k >> 8}.${k & 255}`).join(',');
  const padded = (n: number) => `192.0.2.1${' '.repeat(n - 9)}`;

  it('are 64 elements and 8 KiB', () => {
    expect(forwardingHeaderLimits).toEqual({ maxElements: 64, maxLength: 8192 });
    expect(Object.isFrozen(forwardingHeaderLimits)).toBe(true);
  });

  it.each([
    // [why, header, value, read]
    ['64 X-Forwarded-For elements', 'x-forwarded-for', list(maxElements), true],
    ['65 X-Forwarded-For elements', 'x-forwarded-for', list(maxElements + 1), false],
    ['65 elements over several lines', 'x-forwarded-for', [list(30), list(30), list(5)], false],
    ['64 elements over several lines', 'x-forwarded-for', [list(30), list(30), list(4)], true],
    ['empty elements do not count', 'x-forwarded-for', `${','.repeat(500)}${list(maxElements)}`, true],
    ['64 Forwarded elements', 'forwarded', forwarded(maxElements), true],
    ['65 Forwarded elements', 'forwarded', forwarded(maxElements + 1), false],
    ['65 Forwarded elements over two lines', 'forwarded', [forwarded(60), forwarded(5)], false],
    ['8192 characters', 'x-forwarded-for', padded(maxLength), true],
    ['8193 characters', 'x-forwarded-for', padded(maxLength + 1), false],
    ['8193 characters of Forwarded', 'forwarded', `for=${'a'.repeat(maxLength - 3)}`, false],
    [
      '8192 characters over two lines, counting the join',
      'x-forwarded-for',
      [padded(4096), padded(4095)],
      true,
    ],
    [
      '8193 characters over two lines, counting the join',
      'x-forwarded-for',
      [padded(4096), padded(4096)],
      false,
    ],
    ['one huge line, not scanned', 'x-forwarded-for', ','.repeat(1_000_000), false],
  ] satisfies Array<[string, ForwardingHeader, HeaderValue, boolean]>)(
    '%s → read: %s',
    (_why, header, value, read) => {
      const r = readHeaderNodes({ [header]: value }, header);
      expect(r.ok).toBe(read);
    },
  );

  it.each([
    [
      'x-forwarded-for',
      list(maxElements + 1),
      'x-forwarded-for has more than 64 elements; at most 64 are read',
    ],
    ['x-forwarded-for', padded(9000), 'x-forwarded-for is 9000 characters long; at most 8192 are read'],
    ['forwarded', forwarded(maxElements + 1), 'forwarded has more than 64 elements; at most 64 are read'],
  ] satisfies Array<[ForwardingHeader, string, string]>)(
    '%s over a limit says which',
    (header, value, detail) => {
      expect(readHeaderNodes({ [header]: value }, header)).toEqual({ ok: false, detail });
    },
  );
});
