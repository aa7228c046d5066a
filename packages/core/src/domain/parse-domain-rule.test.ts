import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../errors/catalogue.js';
import { IpGateError } from '../errors/ip-gate-error.js';
import { formatDomainRule, parseDomainRule, tryParseDomainRule } from './parse-domain-rule.js';

describe('parseDomainRule accepts', () => {
  it.each([
    // input, canonical, scheme, host, wildcard, port
    ['example.com', 'example.com', undefined, 'example.com', false, undefined],
    ['*.example.com', '*.example.com', undefined, 'example.com', true, undefined],
    ['https://example.com', 'https://example.com', 'https', 'example.com', false, undefined],
    ['http://localhost:3000', 'http://localhost:3000', 'http', 'localhost', false, 3000],
    ['https://*.example.com:8443', 'https://*.example.com:8443', 'https', 'example.com', true, 8443],
    ['EXAMPLE.com', 'example.com', undefined, 'example.com', false, undefined],
    ['HTTPS://*.Example.COM', 'https://*.example.com', 'https', 'example.com', true, undefined],
    ['bücher.example', 'xn--bcher-kva.example', undefined, 'xn--bcher-kva.example', false, undefined],
    ['BÜCHER.example', 'xn--bcher-kva.example', undefined, 'xn--bcher-kva.example', false, undefined],
    ['*.bücher.example', '*.xn--bcher-kva.example', undefined, 'xn--bcher-kva.example', true, undefined],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example', undefined, 'xn--bcher-kva.example', false, undefined],
    [
      'https://例え.テスト',
      'https://xn--r8jz45g.xn--zckzah',
      'https',
      'xn--r8jz45g.xn--zckzah',
      false,
      undefined,
    ],
    // Full-width letters and the ideographic full stop are mapped the way the address bar maps them.
    ['ｅｘａｍｐｌｅ。com', 'example.com', undefined, 'example.com', false, undefined],
    ['http://192.0.2.1:8080', 'http://192.0.2.1:8080', 'http', '192.0.2.1', false, 8080],
    ['192.0.2.1', '192.0.2.1', undefined, '192.0.2.1', false, undefined],
    ['http://[2001:db8::1]', 'http://[2001:db8::1]', 'http', '[2001:db8::1]', false, undefined],
    ['http://[2001:DB8:0:0::1]:8080', 'http://[2001:db8::1]:8080', 'http', '[2001:db8::1]', false, 8080],
    ['[::1]:3000', '[::1]:3000', undefined, '[::1]', false, 3000],
    // Browsers print IPv4-mapped addresses in hex; the rule must use the same text to compare.
    ['http://[::ffff:192.0.2.1]', 'http://[::ffff:c000:201]', 'http', '[::ffff:c000:201]', false, undefined],
    ['https://a.com:443', 'https://a.com', 'https', 'a.com', false, undefined],
    ['http://a.com:80', 'http://a.com', 'http', 'a.com', false, undefined],
    ['https://*.a.com:443', 'https://*.a.com', 'https', 'a.com', true, undefined],
    // Another scheme's default is a real port.
    ['http://a.com:443', 'http://a.com:443', 'http', 'a.com', false, 443],
    ['https://a.com:80', 'https://a.com:80', 'https', 'a.com', false, 80],
    // Without a scheme there is no default to drop.
    ['a.com:443', 'a.com:443', undefined, 'a.com', false, 443],
    ['a.com:65535', 'a.com:65535', undefined, 'a.com', false, 65535],
    ['a.com:1', 'a.com:1', undefined, 'a.com', false, 1],
    ['https://example.com/', 'https://example.com', 'https', 'example.com', false, undefined],
    ['example.com/', 'example.com', undefined, 'example.com', false, undefined],
    ['https://example.com:8443/', 'https://example.com:8443', 'https', 'example.com', false, 8443],
    ['  example.com\t', 'example.com', undefined, 'example.com', false, undefined],
    ['localhost', 'localhost', undefined, 'localhost', false, undefined],
    ['my_app.example.com', 'my_app.example.com', undefined, 'my_app.example.com', false, undefined],
    ['a-b.c-d.example', 'a-b.c-d.example', undefined, 'a-b.c-d.example', false, undefined],
    ['0x7f.example.com', '0x7f.example.com', undefined, '0x7f.example.com', false, undefined],
    ['1.example.com', '1.example.com', undefined, '1.example.com', false, undefined],
    [`${'a'.repeat(63)}.com`, `${'a'.repeat(63)}.com`, undefined, `${'a'.repeat(63)}.com`, false, undefined],
  ] as const)('%j → %s', (input, canonical, scheme, host, wildcard, port) => {
    const rule = parseDomainRule(input);
    expect(rule).toEqual({ input, canonical, scheme, host, wildcard, port });
    expect(parseDomainRule(rule.canonical).canonical).toBe(canonical);
  });

  it('accepts a host of exactly 253 characters', () => {
    const host = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(host).toHaveLength(253);
    expect(parseDomainRule(host).host).toBe(host);
  });
});

describe('parseDomainRule rejects', () => {
  it.each<[string, ErrorCode]>([
    ['', 'IPG_DOMAIN_EMPTY'],
    ['   ', 'IPG_DOMAIN_EMPTY'],
    ['\t\n', 'IPG_DOMAIN_EMPTY'],

    ['*', 'IPG_DOMAIN_WILDCARD'],
    ['*:8080', 'IPG_DOMAIN_WILDCARD'],
    ['https://*', 'IPG_DOMAIN_WILDCARD'],
    ['*.', 'IPG_DOMAIN_WILDCARD'],
    ['*example.com', 'IPG_DOMAIN_WILDCARD'],
    ['**.example.com', 'IPG_DOMAIN_WILDCARD'],
    ['*.*.example.com', 'IPG_DOMAIN_WILDCARD'],
    ['a.*.example.com', 'IPG_DOMAIN_WILDCARD'],
    ['a*.example.com', 'IPG_DOMAIN_WILDCARD'],
    ['example.*', 'IPG_DOMAIN_WILDCARD'],
    ['example.com*', 'IPG_DOMAIN_WILDCARD'],
    ['*.com', 'IPG_DOMAIN_WILDCARD'],
    ['https://*.com', 'IPG_DOMAIN_WILDCARD'],
    ['*.localhost', 'IPG_DOMAIN_WILDCARD'],
    ['*.xn--p1ai', 'IPG_DOMAIN_WILDCARD'],
    ['*.192.0.2.1', 'IPG_DOMAIN_WILDCARD'],
    ['http://*.[::1]', 'IPG_DOMAIN_WILDCARD'],

    ['ftp://example.com', 'IPG_DOMAIN_SCHEME'],
    ['ws://example.com', 'IPG_DOMAIN_SCHEME'],
    ['wss://example.com', 'IPG_DOMAIN_SCHEME'],
    ['file:///etc/passwd', 'IPG_DOMAIN_SCHEME'],
    ['chrome-extension://abcdef', 'IPG_DOMAIN_SCHEME'],
    ['javascript:alert(1)', 'IPG_DOMAIN_SCHEME'],
    ['mailto:a@example.com', 'IPG_DOMAIN_SCHEME'],
    ['gopher://example.com', 'IPG_DOMAIN_SCHEME'],

    ['https://a.com/app', 'IPG_DOMAIN_HAS_PATH'],
    ['a.com/app', 'IPG_DOMAIN_HAS_PATH'],
    ['https://a.com//', 'IPG_DOMAIN_HAS_PATH'],
    ['https://a.com/?', 'IPG_DOMAIN_HAS_PATH'],
    ['https://a.com?x=1', 'IPG_DOMAIN_HAS_PATH'],
    ['https://a.com#top', 'IPG_DOMAIN_HAS_PATH'],
    ['https://a.com\\evil.com', 'IPG_DOMAIN_HAS_PATH'],
    ['https://user@a.com', 'IPG_DOMAIN_HAS_PATH'],
    ['https://user:pass@a.com', 'IPG_DOMAIN_HAS_PATH'],
    ['https://example.com@evil.com', 'IPG_DOMAIN_HAS_PATH'],
    ['user@a.com', 'IPG_DOMAIN_HAS_PATH'],
    ['@a.com', 'IPG_DOMAIN_HAS_PATH'],

    ['a.com:0', 'IPG_DOMAIN_PORT_INVALID'],
    ['a.com:00', 'IPG_DOMAIN_PORT_INVALID'],
    ['a.com:65536', 'IPG_DOMAIN_PORT_INVALID'],
    ['a.com:99999', 'IPG_DOMAIN_PORT_INVALID'],
    ['a.com:123456', 'IPG_DOMAIN_PORT_INVALID'],
    ['a.com:08', 'IPG_DOMAIN_PORT_INVALID'],
    ['a.com:0443', 'IPG_DOMAIN_PORT_INVALID'],
    ['a.com:abc', 'IPG_DOMAIN_PORT_INVALID'],
    ['a.com:', 'IPG_DOMAIN_PORT_INVALID'],
    ['a.com:+80', 'IPG_DOMAIN_PORT_INVALID'],
    ['a.com:-1', 'IPG_DOMAIN_PORT_INVALID'],
    ['a.com:8e3', 'IPG_DOMAIN_PORT_INVALID'],
    ['a.com:８０', 'IPG_DOMAIN_PORT_INVALID'],
    ['https://a.com:0', 'IPG_DOMAIN_PORT_INVALID'],
    ['http://[::1]:', 'IPG_DOMAIN_PORT_INVALID'],

    ['a.com, b.com', 'IPG_DOMAIN_INVALID'],
    ['a.com,b.com', 'IPG_DOMAIN_INVALID'],
    ['a.com;b.com', 'IPG_DOMAIN_INVALID'],
    ['a.com b.com', 'IPG_DOMAIN_INVALID'],
    ['a.com\nb.com', 'IPG_DOMAIN_INVALID'],
    ['a.com,', 'IPG_DOMAIN_INVALID'],
    ['exa mple.com', 'IPG_DOMAIN_INVALID'],
    ['exa\tmple.com', 'IPG_DOMAIN_INVALID'],
    ['exa\u00a0mple.com', 'IPG_DOMAIN_INVALID'],
    ['exa\u3000mple.com', 'IPG_DOMAIN_INVALID'],
    ['https://a.com, https://b.com', 'IPG_DOMAIN_INVALID'],
    ['a$b.com', 'IPG_DOMAIN_INVALID'],
    ['a!.com', 'IPG_DOMAIN_INVALID'],
    ['ex%61mple.com', 'IPG_DOMAIN_INVALID'],
    ['a"b.com', 'IPG_DOMAIN_INVALID'],
    ['a<b>.com', 'IPG_DOMAIN_INVALID'],
    ['a\u0000b.com', 'IPG_DOMAIN_INVALID'],
    ['a..com', 'IPG_DOMAIN_INVALID'],
    ['.example.com', 'IPG_DOMAIN_INVALID'],
    ['example.com.', 'IPG_DOMAIN_INVALID'],
    ['https://example.com.', 'IPG_DOMAIN_INVALID'],
    ['*.example.com.', 'IPG_DOMAIN_INVALID'],
    ['-a.com', 'IPG_DOMAIN_INVALID'],
    ['a-.com', 'IPG_DOMAIN_INVALID'],
    [`${'a'.repeat(64)}.com`, 'IPG_DOMAIN_INVALID'],
    [`${'a.'.repeat(126)}com`, 'IPG_DOMAIN_INVALID'],
    ['xn--zz.com', 'IPG_DOMAIN_INVALID'],
    ['bücher.0', 'IPG_DOMAIN_INVALID'],
    ['127.1', 'IPG_DOMAIN_INVALID'],
    ['http://127.1', 'IPG_DOMAIN_INVALID'],
    ['0x7f.0.0.1', 'IPG_DOMAIN_INVALID'],
    ['http://0x7f000001', 'IPG_DOMAIN_INVALID'],
    ['2130706433', 'IPG_DOMAIN_INVALID'],
    ['010.0.0.1', 'IPG_DOMAIN_INVALID'],
    ['256.0.0.1', 'IPG_DOMAIN_INVALID'],
    ['1.2.3.4.5', 'IPG_DOMAIN_INVALID'],
    ['example.123', 'IPG_DOMAIN_INVALID'],
    ['example.0x10', 'IPG_DOMAIN_INVALID'],
    ['１２７.０.０.１', 'IPG_DOMAIN_INVALID'],
    ['2001:db8::1', 'IPG_DOMAIN_INVALID'],
    ['http://2001:db8::1', 'IPG_DOMAIN_INVALID'],
    ['[2001:db8::1', 'IPG_DOMAIN_INVALID'],
    ['[::1]x', 'IPG_DOMAIN_INVALID'],
    ['[fe80::1%eth0]', 'IPG_DOMAIN_INVALID'],
    ['[not-an-address]', 'IPG_DOMAIN_INVALID'],
    ['[192.0.2.1]', 'IPG_DOMAIN_INVALID'],
    ['https://', 'IPG_DOMAIN_INVALID'],
    ['https:///example.com', 'IPG_DOMAIN_INVALID'],
    ['https:/example.com', 'IPG_DOMAIN_INVALID'],
    ['https:\\\\example.com', 'IPG_DOMAIN_INVALID'],
    ['https:example.com', 'IPG_DOMAIN_INVALID'],
    ['//example.com', 'IPG_DOMAIN_INVALID'],
    ['/app', 'IPG_DOMAIN_INVALID'],
    [':8080', 'IPG_DOMAIN_INVALID'],
    ['a.b／c.com', 'IPG_DOMAIN_INVALID'],
    ['a.b＠c.com', 'IPG_DOMAIN_INVALID'],
  ])('%j → %s', (input, code) => {
    const r = tryParseDomainRule(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(IpGateError);
    expect(r.error.code).toBe(code);
    expect(r.error.message.length).toBeGreaterThan(10);
    expect(r.error.hint?.length ?? 0).toBeGreaterThan(10);
    expect(r.error.input).toBe(input);
    expect(() => parseDomainRule(input)).toThrow(IpGateError);
  });

  it.each([
    ['https://a.com/app', 'Write https://a.com'],
    ['https://a.com:443/app?x', 'Write https://a.com'],
    ['*.Example.com/x', 'Write *.example.com'],
    ['https://example.com@evil.com', 'write https://evil.com'],
    ['*example.com', '*.example.com'],
    ['a.*.example.com', 'Write *.example.com'],
    ['example.com.', 'Write example.com'],
    ['.example.com', 'Write *.example.com'],
    ['a.com, b.com', 'a.com and b.com'],
    ['127.1', 'write 127.0.0.1'],
    ['010.0.0.1', 'write 8.0.0.1'],
    ['2001:db8::1', '[2001:db8::1]'],
    ['*.192.0.2.1', '192.0.2.1'],
    ['https:example.com', 'Write https://example.com'],
  ])('hint for %j says %j', (input, fragment) => {
    const r = tryParseDomainRule(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.hint).toContain(fragment);
  });

  it('reports bad ports before the path, so the suggested fix is one that parses', () => {
    const r = tryParseDomainRule('https://a.com:99999/app');
    expect(r.ok || r.error.code).toBe('IPG_DOMAIN_PORT_INVALID');
  });

  it('refuses non-text input with an IpGateError', () => {
    expect(() => parseDomainRule(42 as unknown as string)).toThrow(IpGateError);
    expect(() => parseDomainRule(undefined as unknown as string)).toThrow(IpGateError);
  });

  it('tryParseDomainRule returns what parseDomainRule throws', () => {
    const r = tryParseDomainRule('a.com,b.com');
    expect(r.ok).toBe(false);
    expect(() => parseDomainRule('a.com,b.com')).toThrow(r.ok ? 'unreachable' : r.error.message);
  });
});

describe('formatDomainRule', () => {
  it.each([
    [{ scheme: undefined, wildcard: false, host: 'a.com', port: undefined }, 'a.com'],
    [{ scheme: 'https', wildcard: true, host: 'a.com', port: 8443 }, 'https://*.a.com:8443'],
    [{ scheme: 'http', wildcard: false, host: '[::1]', port: 3000 }, 'http://[::1]:3000'],
  ] as const)('%j → %s', (parts, text) => {
    expect(formatDomainRule(parts)).toBe(text);
  });
});

// Small alphabets so that case, IDN mapping and default ports all come up often.
const asciiLabel = fc.constantFrom(
  'a',
  'B',
  'app',
  'Example',
  'x-y',
  '0',
  '9z',
  'my_app',
  'xn--bcher-kva',
  'c0m',
);
const unicodeLabel = fc.constantFrom('bücher', 'ÄÖ', '例え', 'テスト', 'ｅｘａｍｐｌｅ', 'straße', 'ελλάδα');
const label = fc.oneof(asciiLabel, unicodeLabel);
// A numeric last label would make the host an IPv4 candidate; those have their own tables.
const topLabel = fc.constantFrom('com', 'Example', 'テスト', 'xn--p1ai', 'c0m', 'ελλάδα');
const ruleText = fc
  .record({
    scheme: fc.constantFrom(undefined, 'http', 'https', 'HTTPS'),
    wildcard: fc.boolean(),
    labels: fc.array(label, { minLength: 1, maxLength: 3 }),
    top: topLabel,
    port: fc.constantFrom(undefined, 80, 443, 3000, 8443, 65535),
    slash: fc.boolean(),
  })
  .map(
    ({ scheme, wildcard, labels, top, port, slash }) =>
      (scheme === undefined ? '' : `${scheme}://`) +
      (wildcard ? '*.' : '') +
      [...labels, top].join('.') +
      (port === undefined ? '' : `:${port}`) +
      (slash ? '/' : ''),
  );

describe('parseDomainRule properties', () => {
  it('canonical is a fixed point, and parsing it gives the same rule', () => {
    fc.assert(
      fc.property(ruleText, (text) => {
        const rule = parseDomainRule(text);
        const again = parseDomainRule(rule.canonical);
        expect(again.canonical).toBe(rule.canonical);
        expect({ ...again, input: text }).toEqual(rule);
        expect(formatDomainRule(rule)).toBe(rule.canonical);
      }),
    );
  });

  it('canonical hosts are what URL serialises', () => {
    fc.assert(
      fc.property(ruleText, (text) => {
        const rule = parseDomainRule(text);
        expect(new URL(`http://${rule.host}`).hostname).toBe(rule.host);
        expect(rule.host).toBe(rule.host.toLowerCase());
        expect(rule.host).toMatch(/^[\x21-\x7e]+$/);
      }),
    );
  });

  const urlish = fc
    .array(
      fc.constantFrom(
        ...['a', 'b', 'X', '.', '*', '-', '_', ':', '/', '\\', '[', ']', '@', '?', '#', '%', ' ', ',', '\t'],
        ...['0', '1', '8', 'x', 'n', 'ü', '。', '１', 'http', 'https', '://', 'ftp', '::', '443', 'xn--'],
      ),
      { maxLength: 24 },
    )
    .map((parts) => parts.join(''));

  it('on any text, either returns a rule with a fixed-point canonical or throws a domain IpGateError', () => {
    fc.assert(
      fc.property(fc.oneof(urlish, fc.string({ unit: 'grapheme', maxLength: 30 })), (text) => {
        const r = tryParseDomainRule(text);
        if (r.ok) {
          expect(parseDomainRule(r.rule.canonical).canonical).toBe(r.rule.canonical);
        } else {
          expect(r.error.code).toMatch(/^IPG_DOMAIN_/);
          expect(r.error.hint).toBeTruthy();
        }
      }),
      { numRuns: 2000 },
    );
  });
});
