import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatOrigin,
  type OriginHeaders,
  originOf,
  type ParsedOrigin,
  parseOrigin,
  parseRefererOrigin,
} from './origin.js';

const o = (scheme: string, host: string, port?: number): ParsedOrigin => ({ scheme, host, port });

describe('parseOrigin', () => {
  it.each<[string, ParsedOrigin]>([
    ['https://example.com', o('https', 'example.com')],
    ['http://example.com', o('http', 'example.com')],
    ['http://localhost:3000', o('http', 'localhost', 3000)],
    ['https://app.example.com:8443', o('https', 'app.example.com', 8443)],
    [`https://${'a.'.repeat(125)}abc`, o('https', `${'a.'.repeat(125)}abc`)],
    // Same origin, other spelling: case and an explicit default port change nothing.
    ['https://EXAMPLE.COM', o('https', 'example.com')],
    ['HTTPS://Example.com', o('https', 'example.com')],
    ['https://example.com:443', o('https', 'example.com')],
    ['http://example.com:80', o('http', 'example.com')],
    ['http://example.com:443', o('http', 'example.com', 443)],
    ['https://example.com:80', o('https', 'example.com', 80)],
    ['https://xn--bcher-kva.example', o('https', 'xn--bcher-kva.example')],
    ['http://192.0.2.1:8080', o('http', '192.0.2.1', 8080)],
    ['http://[2001:db8::1]', o('http', '[2001:db8::1]')],
    ['http://[2001:DB8::1]:8080', o('http', '[2001:db8::1]', 8080)],
    ['http://[::ffff:c000:201]', o('http', '[::ffff:c000:201]')],
    // Browsers keep the dot; it parses, and no rule can name it (see domain-set tests).
    ['https://example.com.', o('https', 'example.com.')],
    // HTTP strips optional whitespace around a field value; some stacks hand it over unstripped.
    [' https://example.com\t', o('https', 'example.com')],
  ])('%j → %j', (value, expected) => {
    expect(parseOrigin(value)).toEqual(expected);
  });

  it.each([
    ['null', 'the opaque origin'],
    ['NULL', 'not a URL'],
    ['', 'empty'],
    [' ', 'blank'],
    ['https://example.com/', 'a path, even just "/"'],
    ['https://example.com/app', 'a path'],
    ['https://example.com?x', 'a query'],
    ['https://example.com#x', 'a fragment'],
    ['https://example.com@evil.com', 'user info'],
    ['https://user:pass@example.com', 'user info'],
    ['https://example.com\\evil.com', 'a backslash'],
    ['https://exa\tmple.com', 'a tab URL would drop'],
    ['https://exa\nmple.com', 'a newline URL would drop'],
    ['https://example.com\r\n', 'CR LF'],
    ['https://a.com https://b.com', 'an origin list'],
    ['https://a.com, https://b.com', 'repeated header joined'],
    ['https://ex%61mple.com', 'a percent-escape URL would decode'],
    ['https://bücher.example', 'non-ASCII (browsers send punycode)'],
    ['https://ｅｘａｍｐｌｅ.com', 'full-width letters URL would map'],
    ['http://127.1', 'shortened IPv4'],
    [`https://${'a.'.repeat(125)}abcde`, 'a host longer than a DNS name (255 characters)'],
    ['http://0x7f.0.0.1', 'hex IPv4'],
    ['http://2130706433', 'integer IPv4'],
    ['http://010.0.0.1', 'octal IPv4'],
    ['http://[2001:db8:0:0::1]', 'uncompressed IPv6'],
    ['http://[fe80::1%25eth0]', 'IPv6 zone'],
    ['https://example.com:', 'empty port'],
    ['https://example.com:0443', 'port with leading zero'],
    ['https://example.com:0', 'port 0'],
    ['https://example.com:65536', 'port out of range'],
    ['https://example.com:abc', 'port not a number'],
    ['https://', 'no host'],
    ['https:example.com', 'no //'],
    ['https:///example.com', 'three slashes'],
    ['//example.com', 'no scheme'],
    ['example.com', 'no scheme'],
    ['ftp://example.com', 'not http(s)'],
    ['chrome-extension://abcdef', 'an extension origin'],
    ['file://', 'file'],
    ['https://*.example.com', 'a wildcard is not a host'],
    ['https://a..example.com', 'an empty label'],
    ['https://.example.com', 'a leading dot'],
    ['https://example.com..', 'two trailing dots'],
    ['https://a:b:c', 'colons in the host'],
    ['https://exa$mple.com', 'a character hosts cannot have'],
  ])('%j → null (%s)', (value) => {
    expect(parseOrigin(value)).toBeNull();
  });

  it('never throws, and what it returns is a serialised origin that parses to itself', () => {
    const piece = fc.constantFrom(
      ...[
        'https://',
        'http://',
        'ftp://',
        'a',
        'B',
        '.',
        '-',
        ':',
        '443',
        '80',
        '0',
        '[',
        ']',
        '::1',
        '@',
        '/',
      ],
      ...['%', '\\', '\t', ' ', 'ü', 'xn--bcher-kva', '127', '0x7f', '*', 'null'],
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(piece, { maxLength: 12 }).map((p) => p.join('')),
          fc.string({ unit: 'grapheme', maxLength: 30 }),
        ),
        (value) => {
          const parsed = parseOrigin(value);
          if (parsed === null) return;
          const text = formatOrigin(parsed);
          expect(parseOrigin(text)).toEqual(parsed);
          expect(new URL(text).origin).toBe(text);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('parseRefererOrigin', () => {
  it.each<[string, ParsedOrigin | null]>([
    ['https://app.example.com/page?x=1#y', o('https', 'app.example.com')],
    ['https://app.example.com:8443/a/b', o('https', 'app.example.com', 8443)],
    ['https://app.example.com:443/', o('https', 'app.example.com')],
    ['https://app.example.com', o('https', 'app.example.com')],
    ['https://app.example.com?q', o('https', 'app.example.com')],
    ['https://app.example.com/x@evil.com', o('https', 'app.example.com')],
    ['http://[::1]:3000/x', o('http', '[::1]', 3000)],
    ['https://example.com@evil.com/', null],
    ['https://example.com\\@evil.com/', null],
    ['https://example.com\\evil.com/', null],
    ['https://exa\tmple.com/', null],
    ['https://app.example.com/a b', null],
    ['about:client', null],
    ['android-app://com.example/', null],
    ['/relative/path', null],
    ['', null],
  ])('%j → %j', (value, expected) => {
    expect(parseRefererOrigin(value)).toEqual(expected);
  });
});

describe('originOf', () => {
  it.each<[string, OriginHeaders, unknown]>([
    ['no headers', {}, { kind: 'server' }],
    ['only undefined values', { origin: undefined, referer: undefined }, { kind: 'server' }],
    [
      'an Origin',
      { origin: 'https://app.example.com' },
      {
        kind: 'browser',
        origin: o('https', 'app.example.com'),
        raw: 'https://app.example.com',
        source: 'origin',
      },
    ],
    ['Origin null', { origin: 'null' }, { kind: 'browser', origin: null, raw: 'null', source: 'origin' }],
    [
      'an empty Origin (fail closed)',
      { origin: '' },
      { kind: 'browser', origin: null, raw: '', source: 'origin' },
    ],
    [
      'an Origin with a path',
      { origin: 'https://a.com/x' },
      { kind: 'browser', origin: null, raw: 'https://a.com/x', source: 'origin' },
    ],
    [
      'only a Referer',
      { referer: 'https://app.example.com/page?x=1' },
      {
        kind: 'browser',
        origin: o('https', 'app.example.com'),
        raw: 'https://app.example.com/page?x=1',
        source: 'referer',
      },
    ],
    ['an empty Referer', { referer: '' }, { kind: 'browser', origin: null, raw: '', source: 'referer' }],
    [
      'Origin null never falls back to the Referer',
      { origin: 'null', referer: 'https://app.example.com/' },
      { kind: 'browser', origin: null, raw: 'null', source: 'origin' },
    ],
    [
      'Origin wins over Referer',
      { origin: 'https://a.com', referer: 'https://b.com/' },
      { kind: 'browser', origin: o('https', 'a.com'), raw: 'https://a.com', source: 'origin' },
    ],
    [
      'a bad Origin never falls back to a good Referer',
      { origin: 'https://a.com/', referer: 'https://a.com/' },
      { kind: 'browser', origin: null, raw: 'https://a.com/', source: 'origin' },
    ],
  ])('%s', (_, headers, expected) => {
    expect(originOf(headers)).toEqual(expected);
  });

  it('treats a non-string header value (an array from some frameworks) as a browser request that never matches', () => {
    const r = originOf({ origin: ['https://a.com', 'https://b.com'] as unknown as string });
    expect(r).toEqual({
      kind: 'browser',
      origin: null,
      raw: 'https://a.com, https://b.com',
      source: 'origin',
    });
  });
});

describe('formatOrigin', () => {
  it.each([
    [o('https', 'example.com'), 'https://example.com'],
    [o('http', 'localhost', 3000), 'http://localhost:3000'],
    [o('http', '[::1]', 8080), 'http://[::1]:8080'],
  ])('%j → %s', (origin, text) => {
    expect(formatOrigin(origin)).toBe(text);
  });
});
