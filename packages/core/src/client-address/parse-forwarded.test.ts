import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseForwarded, scanForwarded } from './parse-forwarded.js';

describe('parseForwarded reads RFC 7239', () => {
  it.each([
    // [why, header, elements]
    ['one element', 'for=192.0.2.43', [{ for: '192.0.2.43' }]],
    [
      'RFC 7239 example list',
      'for=192.0.2.43, for=198.51.100.17',
      [{ for: '192.0.2.43' }, { for: '198.51.100.17' }],
    ],
    [
      'RFC 7239 example pairs',
      'for=192.0.2.60;proto=http;by=203.0.113.43',
      [{ for: '192.0.2.60', proto: 'http', by: '203.0.113.43' }],
    ],
    ['quoted IPv6 with port', 'for="[2001:db8:cafe::17]:4711"', [{ for: '[2001:db8:cafe::17]:4711' }]],
    ['quoted IPv4 with port', 'for="192.0.2.43:47011"', [{ for: '192.0.2.43:47011' }]],
    ['uppercase name', 'FOR=192.0.2.43', [{ for: '192.0.2.43' }]],
    ['mixed-case names', 'For=192.0.2.43;PROTO=https', [{ for: '192.0.2.43', proto: 'https' }]],
    ['values keep their case', 'for=_HiddenProxy', [{ for: '_HiddenProxy' }]],
    ['unknown', 'for=unknown', [{ for: 'unknown' }]],
    ['obfuscated', 'for=_gazonk', [{ for: '_gazonk' }]],
    ['comma inside quotes', 'for="a,b", for=192.0.2.1', [{ for: 'a,b' }, { for: '192.0.2.1' }]],
    ['semicolon inside quotes', 'for="a;by=b";proto=http', [{ for: 'a;by=b', proto: 'http' }]],
    ['equals inside quotes', 'for="x=y"', [{ for: 'x=y' }]],
    ['escaped quote', 'for="a\\"b"', [{ for: 'a"b' }]],
    ['escaped backslash', 'for="a\\\\b"', [{ for: 'a\\b' }]],
    ['escaped ordinary character', 'for="\\1\\9\\2.0.2.1"', [{ for: '192.0.2.1' }]],
    ['empty quoted value', 'for=""', [{ for: '' }]],
    ['space and tab inside quotes', 'for=" a\tb "', [{ for: ' a\tb ' }]],
    ['obs-text inside quotes', 'for="\u00e9"', [{ for: '\u00e9' }]],
    [
      'whitespace around elements',
      '  for=192.0.2.1 ,\tfor=192.0.2.2  ',
      [{ for: '192.0.2.1' }, { for: '192.0.2.2' }],
    ],
    ['whitespace around semicolons', 'for=192.0.2.1 ; proto=https', [{ for: '192.0.2.1', proto: 'https' }]],
    [
      'empty list elements are skipped',
      ', for=192.0.2.1,, ,for=192.0.2.2,',
      [{ for: '192.0.2.1' }, { for: '192.0.2.2' }],
    ],
    ['empty header', '', []],
    ['only whitespace', ' \t ', []],
    ['only commas', ',,', []],
    ['element without pairs', ';', [{}]],
    ['element of empty pairs', 'for=192.0.2.1, ;;', [{ for: '192.0.2.1' }, {}]],
    ['trailing semicolon', 'for=192.0.2.1;', [{ for: '192.0.2.1' }]],
    ['element without for', 'by=203.0.113.43;proto=https', [{ by: '203.0.113.43', proto: 'https' }]],
    ['unknown parameter names are kept', 'for=192.0.2.1;secret=x', [{ for: '192.0.2.1', secret: 'x' }]],
    ['token characters', "for=!#$%&'*+-.^_`|~09az", [{ for: "!#$%&'*+-.^_`|~09az" }]],
    [
      'a parameter named __proto__ is data',
      '__proto__=x;for=192.0.2.1',
      [{ ['__proto__']: 'x', for: '192.0.2.1' }],
    ],
    ['a parameter named constructor is data', 'constructor=x', [{ constructor: 'x' }]],
  ])('%s: %j', (_why, header, elements) => {
    const parsed = parseForwarded(header);
    expect(parsed).toBeDefined();
    expect(parsed?.map((e) => ({ ...e }))).toEqual(elements);
    for (const e of parsed ?? []) expect(Object.getPrototypeOf(e)).toBeNull();
  });
});

describe('parseForwarded refuses malformed headers', () => {
  it.each([
    // [why, header, offset of the problem]
    ['unquoted IPv6', 'for=[2001:db8::1]', 4],
    ['unquoted port', 'for=192.0.2.1:80', 13],
    ['unterminated quote', 'for="192.0.2.1', 4],
    ['unterminated quote ending in a backslash', 'for="192.0.2.1\\', 4],
    ['name without value', 'for', 3],
    ['name with empty value', 'for=', 4],
    ['value without name', '=192.0.2.1', 0],
    ['space before equals', 'for =192.0.2.1', 3],
    ['space after equals', 'for= 192.0.2.1', 4],
    ['two values', 'for=192.0.2.1 192.0.2.2', 14],
    ['text after a quoted value', 'for="192.0.2.1"x', 15],
    ['quote inside a token', 'for=a"b"', 5],
    ['repeated parameter', 'for=192.0.2.1;for=192.0.2.2', 14],
    ['repeated parameter in other case', 'for=192.0.2.1;FOR=192.0.2.2', 14],
    ['control character in quotes', 'for="a\u0001b"', 6],
    ['DEL in quotes', 'for="a\u007fb"', 6],
    ['newline in quotes', 'for="a\nb"', 6],
    ['character above U+00FF in quotes', 'for="\u0100"', 5],
    ['escaped control character', 'for="\\\u0000"', 6],
    ['non-token character in a name', 'f@r=192.0.2.1', 1],
    ['non-ASCII in a token', 'for=caf\u00e9', 7],
    ['a bare slash', 'for=a/b', 5],
  ])('%s: %j', (_why, header, offset) => {
    expect(parseForwarded(header)).toBeUndefined();
    const scan = scanForwarded(header);
    expect(scan.ok).toBe(false);
    if (!scan.ok) expect(scan.offset).toBe(offset);
  });
});

// Text made mostly of the characters that matter to the grammar, so the search reaches deep states.
const forwardedish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'for',
        'FOR',
        'by',
        '=',
        ';',
        ',',
        '"',
        '\\',
        ' ',
        '\t',
        '[',
        ']',
        ':',
        '_x',
        'unknown',
      ),
      fc.constantFrom(
        '192.0.2.1',
        '2001:db8::1',
        '"[2001:db8::1]:80"',
        '\u0000',
        '\u00ff',
        '\u0100',
        '\ud800',
      ),
      fc.string({ maxLength: 3 }),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

describe('parseForwarded properties', () => {
  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), forwardedish), (text) => {
        const parsed = parseForwarded(text);
        expect(parsed === undefined || Array.isArray(parsed)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back any value it can quote', () => {
    // Any latin-1 text without controls, quoted with escapes, comes back unchanged.
    const latin1 = fc.string({
      unit: fc
        .integer({ min: 0x20, max: 0xff })
        .filter((c) => c !== 0x7f)
        .map((c) => String.fromCharCode(c)),
      maxLength: 40,
    });
    fc.assert(
      fc.property(fc.array(latin1, { minLength: 1, maxLength: 5 }), (values) => {
        const header = values.map((v) => `for="${v.replace(/["\\]/g, '\\$&')}"`).join(', ');
        expect(parseForwarded(header)?.map((e) => e['for'])).toEqual(values);
      }),
    );
  });
});
