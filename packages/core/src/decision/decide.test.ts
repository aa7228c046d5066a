import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpAddress } from '../address/ip-address.js';
import { DomainSet } from '../domain/domain-set.js';
import { originOf } from '../domain/origin.js';
import { IpSet } from '../set/ip-set.js';
import {
  type DecisionInput,
  decide,
  denyClientAddress,
  isBrowserKey,
  type KeyRestrictions,
  type RestrictionMode,
} from './decide.js';
import { DENIAL_MESSAGE, denialBody } from './denial-body.js';

const apiList = IpSet.from([{ value: '198.51.100.0/24', name: 'partner network' }, '203.0.113.0/24']);
const tenantList = IpSet.from([{ value: '203.0.113.0/24', name: 'office', id: 'ent_1' }]);
const keyIps = IpSet.from([{ value: '203.0.113.7', name: 'build server' }]);
const keyDomains = DomainSet.from([{ value: 'app.example.com', name: 'web app' }]);

const server = originOf({});
const browser = originOf({ origin: 'https://app.example.com' });
const otherBrowser = originOf({ origin: 'https://evil.example.net' });
const nullBrowser = originOf({ origin: 'null' });
const refererBrowser = originOf({ referer: 'https://app.example.com/page?x=1' });

function key(ips: 'off' | 'on' | 'empty', domains: 'off' | 'on' | 'empty'): KeyRestrictions {
  return {
    ips: { enabled: ips !== 'off', list: ips === 'on' ? keyIps : IpSet.empty },
    domains: { enabled: domains !== 'off', list: domains === 'on' ? keyDomains : DomainSet.from([]) },
  };
}

function tenant(mode: RestrictionMode, list: IpSet = tenantList) {
  return { mode, list };
}

const ip = (s: string) => IpAddress.parse(s);

describe('decide: the stages of the pipeline in order', () => {
  it.each([
    // [description, input, allow, stage, reason]
    [
      'nothing configured lets everyone through',
      { client: ip('192.0.2.1'), origin: server },
      true,
      'complete',
      'allowed',
    ],
    [
      'empty API allowlist is open',
      { client: ip('192.0.2.1'), origin: server, apiAllowlist: IpSet.empty },
      true,
      'complete',
      'allowed',
    ],
    [
      'API allowlist hit',
      { client: ip('198.51.100.9'), origin: server, apiAllowlist: apiList },
      true,
      'complete',
      'allowed',
    ],
    [
      'API allowlist miss',
      { client: ip('192.0.2.1'), origin: server, apiAllowlist: apiList },
      false,
      'api-allowlist',
      'api-allowlist-not-listed',
    ],
    [
      'API allowlist runs before the tenant stage',
      {
        client: ip('192.0.2.1'),
        origin: server,
        apiAllowlist: apiList,
        tenant: tenant('manual', IpSet.empty),
      },
      false,
      'api-allowlist',
      'api-allowlist-not-listed',
    ],
    [
      'tenant off lets every address through',
      { client: ip('192.0.2.1'), origin: server, tenant: tenant('off') },
      true,
      'complete',
      'allowed',
    ],
    [
      'tenant off ignores an empty list',
      { client: ip('192.0.2.1'), origin: server, tenant: tenant('off', IpSet.empty) },
      true,
      'complete',
      'allowed',
    ],
    [
      'manual with empty list blocks everything',
      { client: ip('203.0.113.7'), origin: server, tenant: tenant('manual', IpSet.empty) },
      false,
      'tenant-restriction',
      'tenant-list-empty',
    ],
    [
      'auto with empty list blocks everything',
      { client: ip('203.0.113.7'), origin: server, tenant: tenant('auto', IpSet.empty) },
      false,
      'tenant-restriction',
      'tenant-list-empty',
    ],
    [
      'manual listed',
      { client: ip('203.0.113.50'), origin: server, tenant: tenant('manual') },
      true,
      'complete',
      'allowed',
    ],
    [
      'manual unlisted',
      { client: ip('192.0.2.1'), origin: server, tenant: tenant('manual') },
      false,
      'tenant-restriction',
      'tenant-ip-not-listed',
    ],
    [
      'auto unlisted',
      { client: ip('192.0.2.1'), origin: server, tenant: tenant('auto') },
      false,
      'tenant-restriction',
      'tenant-ip-not-listed',
    ],
    [
      'mapped client is its IPv4 address',
      { client: ip('::ffff:203.0.113.50').unmap(), origin: server, tenant: tenant('manual') },
      true,
      'complete',
      'allowed',
    ],
    [
      'key without restrictions',
      { client: ip('192.0.2.1'), origin: server, key: key('off', 'off') },
      true,
      'complete',
      'allowed',
    ],
    // Domain on, IP off: browsers only.
    [
      'domain-only key, server request',
      { client: ip('203.0.113.7'), origin: server, key: key('off', 'on') },
      false,
      'key-restriction',
      'key-server-request-not-allowed',
    ],
    [
      'domain-only key, listed origin',
      { client: ip('192.0.2.1'), origin: browser, key: key('off', 'on') },
      true,
      'complete',
      'allowed',
    ],
    [
      'domain-only key, referer origin',
      { client: ip('192.0.2.1'), origin: refererBrowser, key: key('off', 'on') },
      true,
      'complete',
      'allowed',
    ],
    [
      'domain-only key, other origin',
      { client: ip('192.0.2.1'), origin: otherBrowser, key: key('off', 'on') },
      false,
      'key-restriction',
      'key-domain-not-listed',
    ],
    [
      'domain-only key, null origin',
      { client: ip('192.0.2.1'), origin: nullBrowser, key: key('off', 'on') },
      false,
      'key-restriction',
      'key-domain-not-listed',
    ],
    [
      'domain restriction on, nothing listed',
      { client: ip('192.0.2.1'), origin: browser, key: key('off', 'empty') },
      false,
      'key-restriction',
      'key-domain-list-empty',
    ],
    // IP on, domain off: servers only.
    [
      'ip-only key, browser request',
      { client: ip('203.0.113.7'), origin: browser, key: key('on', 'off') },
      false,
      'key-restriction',
      'key-browser-request-not-allowed',
    ],
    [
      'ip-only key, listed server',
      { client: ip('203.0.113.7'), origin: server, key: key('on', 'off') },
      true,
      'complete',
      'allowed',
    ],
    [
      'ip-only key, unlisted server',
      { client: ip('203.0.113.8'), origin: server, key: key('on', 'off') },
      false,
      'key-restriction',
      'key-ip-not-listed',
    ],
    [
      'ip restriction on, nothing listed',
      { client: ip('203.0.113.7'), origin: server, key: key('empty', 'off') },
      false,
      'key-restriction',
      'key-ip-list-empty',
    ],
    // Both on: each kind of request is held to its own rule.
    [
      'both on, browser from listed origin, any address',
      { client: ip('192.0.2.1'), origin: browser, key: key('on', 'on') },
      true,
      'complete',
      'allowed',
    ],
    [
      'both on, browser from other origin',
      { client: ip('203.0.113.7'), origin: otherBrowser, key: key('on', 'on') },
      false,
      'key-restriction',
      'key-domain-not-listed',
    ],
    [
      'both on, listed server',
      { client: ip('203.0.113.7'), origin: server, key: key('on', 'on') },
      true,
      'complete',
      'allowed',
    ],
    [
      'both on, unlisted server',
      { client: ip('192.0.2.1'), origin: server, key: key('on', 'on') },
      false,
      'key-restriction',
      'key-ip-not-listed',
    ],
    [
      'tenant runs before the key',
      { client: ip('192.0.2.1'), origin: browser, tenant: tenant('manual'), key: key('on', 'on') },
      false,
      'tenant-restriction',
      'tenant-ip-not-listed',
    ],
    [
      'a browser key is judged by its domain rules instead of the tenant list',
      { client: ip('192.0.2.1'), origin: browser, tenant: tenant('manual'), key: key('off', 'on') },
      true,
      'complete',
      'allowed',
    ],
    [
      'a browser key still refuses server requests under a tenant list, listed address or not',
      { client: ip('203.0.113.7'), origin: server, tenant: tenant('manual'), key: key('off', 'on') },
      false,
      'key-restriction',
      'key-server-request-not-allowed',
    ],
  ] as const)('%s', (_name, input, allow, stage, reason) => {
    const d = decide(input as DecisionInput);
    expect({ allow: d.allow, stage: d.stage, reason: d.reason }).toEqual({ allow, stage, reason });
    expect(d.status).toBe(allow ? 200 : 403);
  });

  it('names every rule that let the request through, in stage order', () => {
    const d = decide({
      client: ip('203.0.113.7'),
      origin: server,
      apiAllowlist: apiList,
      tenant: tenant('manual'),
      key: key('on', 'on'),
    });
    expect(d.allow).toBe(true);
    expect(d.matched.map((m) => [m.stage, m.list, m.value, m.name])).toEqual([
      ['api-allowlist', 'api-allowlist', '203.0.113.0/24', undefined],
      ['tenant-restriction', 'tenant', '203.0.113.0/24', 'office'],
      ['key-restriction', 'key-ips', '203.0.113.7', 'build server'],
    ]);
    expect(d.matched[1]?.id).toBe('ent_1');
  });

  it('names the domain rule for a browser request', () => {
    const d = decide({ client: ip('192.0.2.1'), origin: browser, key: key('off', 'on') });
    expect(d.matched).toEqual([
      {
        stage: 'key-restriction',
        list: 'key-domains',
        index: 0,
        name: 'web app',
        id: undefined,
        value: 'app.example.com',
      },
    ]);
  });

  it('marks tenant denials of unknown addresses for review, and no others', () => {
    expect(decide({ client: ip('192.0.2.1'), origin: server, tenant: tenant('auto') }).reviewable).toBe(true);
    expect(
      decide({ client: ip('192.0.2.1'), origin: server, tenant: tenant('manual', IpSet.empty) }).reviewable,
    ).toBe(true);
    expect(decide({ client: ip('192.0.2.1'), origin: server, apiAllowlist: apiList }).reviewable).toBe(false);
    expect(decide({ client: ip('203.0.113.8'), origin: server, key: key('on', 'off') }).reviewable).toBe(
      false,
    );
  });

  it('denies a client address that could not be resolved, keeping the detail for operators', () => {
    const d = denyClientAddress('forwarded-element-invalid', 'element "unknown"');
    expect(d).toMatchObject({
      allow: false,
      status: 403,
      stage: 'client-address',
      reason: 'forwarded-element-invalid',
      detail: 'element "unknown"',
    });
  });

  it('answers with the documented body and nothing about the rule', () => {
    expect(JSON.stringify(denialBody('req_1'))).toBe(
      `{"error":"Access denied. You don't have permission to access this.","requestId":"req_1"}`,
    );
    expect(DENIAL_MESSAGE).toBe("Access denied. You don't have permission to access this.");
  });
});

describe('decide: properties', () => {
  const addresses = ['203.0.113.7', '203.0.113.50', '198.51.100.9', '192.0.2.1', '2001:db8::1'];
  const arbInput = fc.record({
    client: fc.constantFrom(...addresses),
    browser: fc.constantFrom<'server' | 'listed' | 'other' | 'null'>('server', 'listed', 'other', 'null'),
    api: fc.constantFrom<'none' | 'empty' | 'list'>('none', 'empty', 'list'),
    mode: fc.constantFrom<'none' | RestrictionMode>('none', 'off', 'manual', 'auto'),
    tenantEmpty: fc.boolean(),
    ips: fc.constantFrom<'off' | 'on' | 'empty'>('off', 'on', 'empty'),
    domains: fc.constantFrom<'off' | 'on' | 'empty'>('off', 'on', 'empty'),
    hasKey: fc.boolean(),
  });
  const origins = { server, listed: browser, other: otherBrowser, null: nullBrowser };

  type Shape = typeof arbInput extends fc.Arbitrary<infer T> ? T : never;
  function build(x: Shape): DecisionInput {
    return {
      client: ip(x.client),
      origin: origins[x.browser],
      apiAllowlist: x.api === 'none' ? undefined : x.api === 'empty' ? IpSet.empty : apiList,
      tenant: x.mode === 'none' ? undefined : tenant(x.mode, x.tenantEmpty ? IpSet.empty : tenantList),
      key: x.hasKey ? key(x.ips, x.domains) : undefined,
    };
  }

  it('an allow means every list that applies holds the caller', () => {
    fc.assert(
      fc.property(arbInput, (x) => {
        const input = build(x);
        const d = decide(input);
        if (!d.allow) return;
        const client = input.client;
        if (input.apiAllowlist !== undefined && !input.apiAllowlist.isEmpty)
          expect(input.apiAllowlist.hasAddress(client)).toBe(true);
        if (input.tenant !== undefined && input.tenant.mode !== 'off' && !isBrowserKey(input.key))
          expect(input.tenant.list.hasAddress(client)).toBe(true);
        const k = input.key;
        if (k !== undefined && input.origin.kind === 'server' && (k.ips.enabled || k.domains.enabled)) {
          expect(k.ips.enabled && k.ips.list.hasAddress(client)).toBe(true);
        }
        if (k !== undefined && input.origin.kind === 'browser' && (k.ips.enabled || k.domains.enabled)) {
          expect(k.domains.enabled && x.browser === 'listed').toBe(true);
        }
      }),
    );
  });

  // Not every switch is monotone: with the IP restriction on and the domain one off, browsers are denied,
  // and switching domains on admits listed browsers (docs/architecture/pipeline.md#6-key-restrictions). The
  // API allowlist, the tenant restriction, and a first key restriction are.
  it('a browser key decides as if there were no tenant restriction', () => {
    fc.assert(
      fc.property(arbInput, (x) => {
        const browserKey = { ...x, hasKey: true, ips: 'off' as const, domains: x.domains };
        if (browserKey.domains === 'off') return;
        const d = decide(build(browserKey));
        const noTenant = decide(build({ ...browserKey, mode: 'none' }));
        expect({ allow: d.allow, stage: d.stage, reason: d.reason }).toEqual({
          allow: noTenant.allow,
          stage: noTenant.stage,
          reason: noTenant.reason,
        });
      }),
    );
  });

  it('switching on the API allowlist, the tenant restriction or a first key restriction never turns a deny into an allow', () => {
    fc.assert(
      fc.property(arbInput, (x) => {
        const before = decide(build(x));
        const stricter = [
          { ...x, api: x.api === 'none' || x.api === 'empty' ? ('list' as const) : x.api },
          { ...x, mode: x.mode === 'none' || x.mode === 'off' ? ('manual' as const) : x.mode },
          ...(x.hasKey ? [] : [{ ...x, hasKey: true, ips: 'on' as const, domains: 'off' as const }]),
          // A first domain restriction alone makes a browser key, which trades the tenant list for the
          // domain list (tested below); with both on, the tenant list still applies.
          ...(x.hasKey ? [] : [{ ...x, hasKey: true, ips: 'on' as const, domains: 'on' as const }]),
        ];
        if (before.allow) return;
        for (const s of stricter) expect(decide(build(s)).allow).toBe(false);
      }),
    );
  });
});
