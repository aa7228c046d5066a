import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHostHeader } from './host-header.js';

describe('parseHostHeader', () => {
  it.each([
    ['api.example.com', 'api.example.com'],
    ['API.Example.COM.', 'api.example.com'],
    ['api.example.com:8443', 'api.example.com:8443'],
    ['localhost', 'localhost'],
    ['_svc.internal', '_svc.internal'],
    ['127.0.0.1:80', '127.0.0.1:80'],
    ['[::1]', '[::1]'],
    ['[2001:DB8:0::1]:8080', '[2001:db8::1]:8080'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ])('reads %j as %j', (value, text) => {
    expect(parseHostHeader(value)?.text).toBe(text);
  });

  it.each([
    'secure.example,x',
    'evil@secure.example',
    'secure.example/',
    'secure.example\\',
    'secure.example:',
    'secure.example:0',
    'secure.example:080',
    'secure.example:65536',
    'secure.example:80:80',
    'secure.example ',
    ' secure.example',
    'secure example',
    'secure..example',
    '.secure.example',
    'secure.example..',
    'sec%75re.example',
    'secure.example;x',
    'secure.example?x',
    'secure.example#x',
    'a.example\u0000',
    'bücher.example',
    '127.1',
    '0x7f.0.0.1',
    '127.0.0.1.',
    '010.0.0.1',
    '[::1',
    '[::1]x',
    '[fe80::1%eth0]',
    '[v1.x]',
    '[127.0.0.1]',
    '::1',
    `${'a'.repeat(64)}.example`,
    `${'a.'.repeat(130)}example`,
  ])('refuses %j', (value) => {
    expect(parseHostHeader(value)).toBeNull();
  });

  it('reads an empty header as no host', () => {
    expect(parseHostHeader('')).toBeUndefined();
  });

  it('property: an accepted host has one spelling, reads back as itself, and holds no separator', () => {
    const chars = fc.constantFrom(...'aZ09-_.:[]@,/\\;%! ?#x'.split(''));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: chars, maxLength: 40 }),
          fc.domain(),
          fc.ipV4(),
          fc.ipV6().map((a) => `[${a}]`),
        ),
        (value) => {
          const parsed = parseHostHeader(value);
          if (parsed === null || parsed === undefined) return;
          expect(parsed.text).toMatch(/^[a-z0-9_.:[\]-]+$/);
          expect(parseHostHeader(parsed.text)).toEqual(parsed);
          expect(parsed.text).toBe(parsed.port === undefined ? parsed.name : `${parsed.name}:${parsed.port}`);
        },
      ),
    );
  });
});
