import { IpAddress } from '@ipgate/core';
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../store/secrets.js';
import { fixtureDump } from './dump-fixture.test-support.js';
import { compileSnapshot, emptySnapshot } from './snapshot.js';

const now = new Date('2026-06-01T12:00:00Z');
const ip = (s: string) => IpAddress.parse(s);

describe('compileSnapshot', () => {
  it('leaves out disabled and expired tenant entries and knows the next expiry', () => {
    const s = compileSnapshot(
      fixtureDump({
        tenantEntries: [
          { value: '192.0.2.1', type: 'ip' },
          { value: '192.0.2.2', type: 'ip', enabled: false },
          { value: '192.0.2.3', type: 'ip', expiresAt: new Date('2026-06-01T11:59:59Z') },
          { value: '192.0.2.4', type: 'ip', expiresAt: new Date('2026-06-01T13:00:00Z') },
          { value: '192.0.2.5', type: 'ip', expiresAt: new Date('2026-06-01T12:30:00Z') },
        ],
      }),
      { now },
    );
    const list = s.tenants.get('ten_1')?.restriction.list;
    expect(
      ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'].map((a) => list?.has(a)),
    ).toEqual([true, false, false, true, true]);
    expect(s.nextExpiry?.toISOString()).toBe('2026-06-01T12:30:00.000Z');
    expect(s.problems).toEqual([]);
  });

  it('finds keys by the hash of their secret, with their restrictions', () => {
    const s = compileSnapshot(
      fixtureDump({
        keys: [{ secret: 'ipg_live_a', ipRestrictionEnabled: true, domainRestrictionEnabled: true }],
        keyIps: [{ value: '198.51.100.7' }],
        keyDomains: [{ value: '*.example.com', name: 'portal' }],
      }),
      { now },
    );
    const key = s.keysByHash.get(hashSecret('ipg_live_a'));
    expect(key?.id).toBe('key_1');
    expect(s.keysById.get('key_1')).toBe(key);
    expect(key?.restrictions.ips.list.hasAddress(ip('198.51.100.7'))).toBe(true);
    expect(key?.restrictions.domains.list.matchesOriginHeader('https://a.example.com')).toBe(true);
    expect(s.keysByHash.get(hashSecret('ipg_live_b'))).toBeUndefined();
  });

  it('leaves out revoked keys and keys whose tenant is missing', () => {
    const dump = fixtureDump({
      keys: [
        { secret: 'a', status: 'revoked' },
        { secret: 'b', tenantId: 'ten_x' },
      ],
    });
    const s = compileSnapshot(dump, { now });
    expect(s.keysById.size).toBe(0);
    expect(s.problems).toEqual(['key key_2: tenant ten_x is missing']);
  });

  it('routes by host and longest prefix', () => {
    const s = compileSnapshot(
      fixtureDump({ apis: [{ pathPrefix: '/' }, { pathPrefix: '/v1', host: 'api.example.com' }] }),
    );
    expect(s.routes.find('api.example.com', '/v1/x')?.id).toBe('api_2');
    expect(s.routes.find('api.example.com', '/v2')?.id).toBe('api_1');
  });

  it('skips a row that does not compile; an API allowlist with such a row denies everyone', () => {
    const s = compileSnapshot(
      fixtureDump({
        tenantEntries: [{ value: '192.0.2.1', type: 'ip' }, { value: '10.0.0.1/8' }],
        apiEntries: [{ value: 'garbage' }],
        apis: [{ upstreamUrl: 'ftp://x' }],
      }),
      { now },
    );
    expect(s.tenants.get('ten_1')?.restriction.list.has('192.0.2.1')).toBe(true);
    expect(s.tenants.get('ten_1')?.restriction.list.size).toBe(1);
    const api = s.apis.get('api_1');
    expect(api?.allowlist.isEmpty).toBe(true);
    expect(api?.allowlistBroken).toBe(true);
    expect(api?.upstream).toBeUndefined();
    expect(s.problems).toHaveLength(3);
  });

  it('starts empty', () => {
    const s = emptySnapshot();
    expect(s.version).toBe(0);
    expect(s.routes.find('h', '/')).toBeUndefined();
  });
});
