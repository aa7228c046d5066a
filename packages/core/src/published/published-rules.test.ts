import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpGateError } from '../errors/ip-gate-error.js';
import { PUBLISHED_RULES_FORMAT, parsePublishedRules } from './published-rules.js';

const doc = (over: Record<string, unknown> = {}) => ({
  format: PUBLISHED_RULES_FORMAT,
  version: 7,
  scope: { kind: 'tenant', tenantId: 'ten_1', mode: 'manual' },
  entries: [{ id: 'ent_1', name: 'office', value: '203.0.113.0/24' }],
  ...over,
});

describe('parsePublishedRules', () => {
  it.each([
    ['tenant manual, listed', doc(), '203.0.113.7', true],
    ['tenant manual, not listed', doc(), '198.51.100.1', false],
    ['tenant manual, empty list denies everyone', doc({ entries: [] }), '203.0.113.7', false],
    [
      'tenant auto behaves as a list',
      doc({ scope: { kind: 'tenant', tenantId: 't', mode: 'auto' } }),
      '198.51.100.1',
      false,
    ],
    [
      'tenant off lets everyone through',
      doc({ scope: { kind: 'tenant', tenantId: 't', mode: 'off' } }),
      '198.51.100.1',
      true,
    ],
    [
      'api, empty allowlist is open',
      doc({ scope: { kind: 'api', apiId: 'api_1' }, entries: [] }),
      '198.51.100.1',
      true,
    ],
    ['api, listed', doc({ scope: { kind: 'api', apiId: 'api_1' } }), '203.0.113.7', true],
    ['api, not listed', doc({ scope: { kind: 'api', apiId: 'api_1' } }), '198.51.100.1', false],
    ['IPv4-mapped matches as IPv4', doc(), '::ffff:203.0.113.7', true],
    ['a malformed address is not allowed', doc(), '203.0.113.07', false],
  ] as const)('%s', (_name, document, address, allowed) => {
    expect(parsePublishedRules(document).allows(address)).toBe(allowed);
  });

  it('keeps version, scope and the entry that matches', () => {
    const rules = parsePublishedRules(doc());
    expect(rules.version).toBe(7);
    expect(rules.scope).toEqual({ kind: 'tenant', tenantId: 'ten_1', mode: 'manual' });
    expect(rules.list.match('203.0.113.9')).toMatchObject({ id: 'ent_1', name: 'office' });
  });

  it.each([
    ['not an object', [], 'document'],
    ['another format', doc({ format: 'ipgate.rules/2' }), 'format'],
    ['a negative version', doc({ version: -1 }), 'version'],
    ['a fractional version', doc({ version: 1.5 }), 'version'],
    ['an unknown scope kind', doc({ scope: { kind: 'key', keyId: 'k' } }), 'scope'],
    ['an unknown mode', doc({ scope: { kind: 'tenant', tenantId: 't', mode: 'open' } }), 'scope'],
    ['entries not a list', doc({ entries: {} }), 'entries'],
    ['an entry without a name', doc({ entries: [{ id: 'e', value: '10.0.0.0/8' }] }), 'entries[0]'],
    [
      'an entry that does not parse',
      doc({ entries: [{ id: 'e', name: '', value: '10.0.0.1/8' }] }),
      'entries[0].value',
    ],
  ] as const)('refuses %s (IPG_RULES_INVALID, field %s)', (_name, document, field) => {
    try {
      parsePublishedRules(document);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(IpGateError);
      expect((e as IpGateError).code).toBe('IPG_RULES_INVALID');
      expect((e as IpGateError).field).toBe(field);
    }
  });

  it('throws nothing but IpGateError on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parsePublishedRules(value);
        } catch (e) {
          expect(e).toBeInstanceOf(IpGateError);
        }
      }),
    );
  });
});
