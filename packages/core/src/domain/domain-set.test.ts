import { describe, expect, it } from 'vitest';
import { IpGateError } from '../errors/ip-gate-error.js';
import { DomainSet } from './domain-set.js';
import { parseOrigin } from './origin.js';
import { parseDomainRule } from './parse-domain-rule.js';

describe('DomainSet matching', () => {
  // rules, Origin header value, expected
  it.each<[string, string, boolean]>([
    ['example.com', 'https://example.com', true],
    ['example.com', 'http://example.com', true],
    ['example.com', 'https://EXAMPLE.COM', true],
    ['EXAMPLE.COM', 'https://example.com', true],
    ['example.com', 'https://example.com:443', true],
    ['example.com', 'http://example.com:80', true],
    ['example.com', 'https://example.com:8443', false],
    ['example.com', 'http://example.com:443', false],
    ['example.com', 'https://www.example.com', false],
    ['example.com', 'https://example.com.evil.com', false],
    ['example.com', 'https://evilexample.com', false],
    ['example.com', 'https://example.com@evil.com', false],
    ['example.com', 'https://evil.com@example.com', false],
    ['example.com', 'https://example.com/', false],
    ['example.com', 'https://example.com/path', false],
    ['example.com', 'https://example.com\\@evil.com', false],
    ['example.com', 'https://exa\tmple.com', false],
    ['example.com', 'https://exa\nmple.com', false],
    ['example.com', 'https://example.com\n', false], // a line end is never part of a header value
    ['example.com', ' https://example.com\t', true], // optional whitespace around it is
    ['example.com', 'https://example.com\r\nX-Evil: 1', false],
    ['example.com', 'https://ex%61mple.com', false],
    ['example.com', 'https://ｅｘａｍｐｌｅ.com', false],
    ['example.com', 'null', false],
    ['example.com', '', false],
    ['example.com', 'example.com', false],
    ['example.com', '//example.com', false],
    ['example.com', 'ftp://example.com', false],
    ['example.com', 'wss://example.com', false],
    // Trailing dot: a distinct origin to the browser; fail closed.
    ['example.com', 'https://example.com.', false],
    ['*.example.com', 'https://a.example.com.', false],

    ['https://example.com', 'https://example.com', true],
    ['https://example.com', 'http://example.com', false],
    ['http://example.com', 'https://example.com', false],
    ['https://example.com:443', 'https://example.com', true],

    ['*.example.com', 'https://a.example.com', true],
    ['*.example.com', 'https://a.b.example.com', true],
    ['*.example.com', 'http://A.Example.COM', true],
    ['*.example.com', 'https://example.com', false],
    ['*.example.com', 'https://badexample.com', false],
    ['*.example.com', 'https://a.badexample.com', false],
    ['*.example.com', 'https://example.com.evil.net', false],
    ['*.example.com', 'https://a.example.com.evil.net', false],
    ['*.example.com', 'https://a.example.com:8443', false],
    ['*.example.com', 'https://*.example.com', false],
    ['*.example.com', 'https://.example.com', false],
    ['*.example.com', 'https://a..example.com', false],
    ['*.example.com', 'https://example.com@a.example.com', false],
    ['*.example.com', 'null', false],
    ['https://*.example.com:8443', 'https://a.example.com:8443', true],
    ['https://*.example.com:8443', 'http://a.example.com:8443', false],
    ['https://*.example.com:8443', 'https://a.example.com', false],

    ['localhost', 'http://localhost', true],
    ['localhost', 'http://localhost:3000', false],
    ['localhost:3000', 'http://localhost:3000', true],
    ['localhost:3000', 'https://localhost:3000', true],
    ['localhost:3000', 'http://localhost', false],
    ['http://localhost:3000', 'https://localhost:3000', false],
    ['example.com:443', 'https://example.com', true],
    ['example.com:443', 'http://example.com:443', true],
    ['example.com:443', 'http://example.com', false],

    // IDN: rules may be written in Unicode or punycode; browsers send punycode.
    ['bücher.example', 'https://xn--bcher-kva.example', true],
    ['xn--bcher-kva.example', 'https://xn--bcher-kva.example', true],
    ['*.bücher.example', 'https://shop.xn--bcher-kva.example', true],
    ['bücher.example', 'https://bücher.example', false],
    ['bucher.example', 'https://xn--bcher-kva.example', false],

    ['http://192.0.2.1:8080', 'http://192.0.2.1:8080', true],
    ['http://192.0.2.1:8080', 'http://192.0.2.1', false],
    ['192.0.2.1', 'http://127.1', false],
    ['127.0.0.1', 'http://127.1', false],
    ['127.0.0.1', 'http://0x7f.0.0.1', false],
    ['127.0.0.1', 'http://127.0.0.1', true],
    ['http://[2001:db8::1]', 'http://[2001:db8::1]', true],
    ['http://[2001:db8::1]', 'http://[2001:DB8::1]', true],
    ['http://[2001:db8::1]', 'http://[2001:db8::2]', false],
    ['[::ffff:192.0.2.1]', 'http://[::ffff:c000:201]', true],
  ])('rule %j, Origin %j → %s', (rule, header, expected) => {
    const set = DomainSet.from([rule]);
    expect(set.matchesOriginHeader(header)).toBe(expected);
    expect(set.matches(parseOrigin(header))).toBe(expected);
  });

  it('never matches a null origin, whatever the rules', () => {
    const set = DomainSet.from(['example.com', '*.example.com', 'localhost:3000']);
    expect(set.matches(null)).toBe(false);
    expect(set.match(null)).toBeNull();
  });

  it('answers an attacker-sized Origin in linear time (no walk over thousands of parent suffixes)', () => {
    const set = DomainSet.from(['*.example.com', '*.example.org']);
    const huge = `https://${'a.'.repeat(8000)}example.com`;
    const started = performance.now();
    for (let i = 0; i < 20; i++) expect(set.matchesOriginHeader(huge)).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('an empty set matches nothing', () => {
    const set = DomainSet.from([]);
    expect(set.size).toBe(0);
    expect(set.matchesOriginHeader('https://example.com')).toBe(false);
  });

  it('does not match schemes that have no default port when handed a made-up origin', () => {
    const set = DomainSet.from(['example.com']);
    expect(set.matches({ scheme: 'ftp', host: 'example.com', port: undefined })).toBe(false);
    expect(set.matches({ scheme: 'https', host: 'example.com', port: 443 })).toBe(true);
  });
});

describe('DomainSet.match', () => {
  const set = DomainSet.from([
    { value: 'https://app.example.com', name: 'web app', id: 'd1' },
    '*.example.com',
    { value: 'app.example.com', name: 'duplicate' },
    parseDomainRule('localhost:3000'),
  ]);

  it.each<[string, number | null, string | undefined]>([
    ['https://app.example.com', 0, 'web app'],
    ['http://app.example.com', 1, undefined],
    ['https://api.example.com', 1, undefined],
    ['http://localhost:3000', 3, undefined],
    ['https://example.com', null, undefined],
  ])('%j → rule %s', (header, index, name) => {
    const m = set.match(parseOrigin(header));
    expect(m?.index ?? null).toBe(index);
    expect(m?.name).toBe(name);
  });

  it('reports the first listed rule when several match', () => {
    const s = DomainSet.from(['*.example.com', '*.b.example.com', 'a.b.example.com']);
    expect(s.match(parseOrigin('https://a.b.example.com'))?.index).toBe(0);
    const t = DomainSet.from(['a.b.example.com', '*.b.example.com', '*.example.com']);
    expect(t.match(parseOrigin('https://a.b.example.com'))?.index).toBe(0);
    const u = DomainSet.from(['x.com', '*.example.com', '*.b.example.com']);
    expect(u.match(parseOrigin('https://a.b.example.com'))?.index).toBe(1);
  });

  it('carries name, id and the parsed rule', () => {
    const m = set.match(parseOrigin('https://app.example.com'));
    expect(m).toEqual({
      index: 0,
      name: 'web app',
      id: 'd1',
      rule: parseDomainRule('https://app.example.com'),
    });
  });
});

describe('DomainSet.from', () => {
  it('counts every rule, duplicates included, and keeps them in order', () => {
    const set = DomainSet.from(new Set(['b.com', 'A.com', 'a.com']));
    expect(set.size).toBe(3);
    expect(set.rules.map((r) => r.canonical)).toEqual(['b.com', 'a.com', 'a.com']);
  });

  it('takes any iterable', () => {
    function* rules(): Generator<string> {
      yield 'a.com';
      yield '*.b.com';
    }
    expect(DomainSet.from(rules()).size).toBe(2);
  });

  it.each([
    [['a.com', 'b.com/x'], 1, 'IPG_DOMAIN_HAS_PATH'],
    [['', 'a.com'], 0, 'IPG_DOMAIN_EMPTY'],
    [['a.com', 'b.com', '*.com'], 2, 'IPG_DOMAIN_WILDCARD'],
    [['a.com', { value: 'ftp://b.com', name: 'x' }], 1, 'IPG_DOMAIN_SCHEME'],
    [['a.com, b.com'], 0, 'IPG_DOMAIN_INVALID'],
  ] as const)('%j throws at index %i with %s', (rules, index, code) => {
    let caught: unknown;
    try {
      DomainSet.from(rules);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(IpGateError);
    const error = caught as IpGateError;
    expect(error.code).toBe(code);
    expect(error.index).toBe(index);
    expect(error.message).toMatch(new RegExp(`^entry ${index + 1}: `));
    expect(error.hint).toBeTruthy();
  });

  it('refuses a single string, which would otherwise become one rule per character', () => {
    expect(() => DomainSet.from('localhost')).toThrow(IpGateError);
  });

  it('refuses items that are not rules', () => {
    for (const bad of [null, 42, {}, { value: 1 }]) {
      expect(() => DomainSet.from([bad as unknown as string])).toThrow(IpGateError);
    }
  });

  it('re-parses a DomainRule object from its canonical text, so a forged host cannot slip in', () => {
    const forged = { ...parseDomainRule('a.com'), host: 'evil.com' };
    const set = DomainSet.from([forged]);
    expect(set.matchesOriginHeader('https://evil.com')).toBe(false);
    expect(set.matchesOriginHeader('https://a.com')).toBe(true);
    expect(() => DomainSet.from([{ ...parseDomainRule('a.com'), canonical: '*.com' }])).toThrow(IpGateError);
  });

  it('is immutable', () => {
    const set = DomainSet.from(['a.com']);
    expect(Object.isFrozen(set)).toBe(true);
    expect(Object.isFrozen(set.match(parseOrigin('https://a.com')))).toBe(true);
    const rules = set.rules as unknown as unknown[];
    rules.push('x');
    expect(set.rules).toHaveLength(1);
  });
});

describe('DomainSet scale', () => {
  it('answers right from a large set (speed is measured in bench/, not asserted here)', () => {
    const rules: string[] = [];
    for (let i = 0; i < 50_000; i++) rules.push(i % 2 === 0 ? `h${i}.example.com` : `*.w${i}.example.org`);
    const set = DomainSet.from(rules);
    expect(set.match(parseOrigin('https://h49998.example.com'))?.index).toBe(49_998);
    expect(set.match(parseOrigin('https://a.b.w49999.example.org'))?.index).toBe(49_999);
    expect(set.match(parseOrigin('https://nowhere.a.b.c.example.net'))).toBeNull();
  });
});
