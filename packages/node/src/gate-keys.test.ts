import {
  type Decision,
  DomainSet,
  decide,
  IpAddress,
  IpGateError,
  IpSet,
  type KeyRestrictions,
  originOf,
} from '@ipgate/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGate, type DecisionEvent, type GateOptions, type GateRequest } from './gate.js';
import type { KeyRuleOptions, KeysOption } from './key-rules.js';
import { type GateRules, listRules } from './rules.js';
import type { RulesSource } from './rules-source.js';

const keyOf = (r: GateRequest) => r.headers['x-api-key'] as string | undefined;

const RULES: Record<string, KeyRuleOptions> = {
  server: { ips: ['203.0.113.7', { value: '203.0.113.8', name: 'backup' }] },
  web: { domains: ['https://app.example.com', { value: '*.example.org', name: 'portal', id: 'dom_2' }] },
  both: { ips: ['203.0.113.9'], domains: ['localhost:3000'] },
  noIps: { ips: [] },
  noDomains: { domains: [] },
  open: {},
};

function gateWith(extra: Partial<GateOptions> = {}) {
  return createGate({
    allow: [{ value: '203.0.113.0/24', name: 'customers' }],
    keys: { keyOf, rules: RULES },
    ...extra,
  });
}

function ask(
  gate: ReturnType<typeof createGate>,
  peer: string,
  key: string | undefined,
  headers: Record<string, string> = {},
) {
  return gate.check({
    remoteAddress: peer,
    headers: key === undefined ? headers : { ...headers, 'x-api-key': key },
  });
}

const why = (d: Decision) => `${d.stage}/${d.reason}`;

describe('createGate keys: server callers (no Origin, no Referer) are held to the key’s ips', () => {
  it('a listed address passes, with the network rule and then the key rule in matched', () => {
    const r = ask(gateWith(), '203.0.113.8', 'server');
    expect(r.allow).toBe(true);
    expect(r.decision.matched).toEqual([
      {
        stage: 'tenant-restriction',
        list: 'tenant',
        index: 0,
        name: 'customers',
        id: undefined,
        value: '203.0.113.0/24',
      },
      {
        stage: 'key-restriction',
        list: 'key-ips',
        index: 1,
        name: 'backup',
        id: undefined,
        value: '203.0.113.8',
      },
    ]);
  });

  it('an unlisted address is denied by the key stage, which keeps the network match', () => {
    const r = ask(gateWith(), '203.0.113.20', 'server');
    expect(r).toMatchObject({ allow: false, status: 403 });
    expect(why(r.decision)).toBe('key-restriction/key-ip-not-listed');
    expect(r.decision.matched.map((m) => m.list)).toEqual(['tenant']);
    // The caller learns nothing of the rules.
    expect(Object.keys(JSON.parse(r.body ?? '{}'))).toEqual(['error', 'requestId']);
  });

  it('an IPv4-mapped peer is the IPv4 client, for the key list as for the network list', () => {
    expect(ask(gateWith(), '::ffff:203.0.113.7', 'server').allow).toBe(true);
  });

  it('a key with only domains cannot be used from a server', () => {
    expect(why(ask(gateWith(), '203.0.113.7', 'web').decision)).toBe(
      'key-restriction/key-server-request-not-allowed',
    );
  });

  it('an empty ips list is on with nothing listed: every server caller is denied', () => {
    expect(why(ask(gateWith(), '203.0.113.7', 'noIps').decision)).toBe('key-restriction/key-ip-list-empty');
  });
});

describe('createGate keys: browser callers (Origin or Referer) are held to the key’s domains', () => {
  it('a listed Origin passes, whatever the address (the network list still applies)', () => {
    const r = ask(gateWith(), '203.0.113.50', 'web', { origin: 'https://a.b.example.org' });
    expect(r.allow).toBe(true);
    expect(r.decision.matched[1]).toEqual({
      stage: 'key-restriction',
      list: 'key-domains',
      index: 1,
      name: 'portal',
      id: 'dom_2',
      value: '*.example.org',
    });
  });

  it('an unlisted Origin, a null Origin and an empty one are denied', () => {
    const gate = gateWith();
    for (const origin of ['https://evil.example.net', 'http://app.example.com', 'null', '']) {
      expect(why(ask(gate, '203.0.113.50', 'web', { origin }).decision)).toBe(
        'key-restriction/key-domain-not-listed',
      );
    }
  });

  it('without Origin, the Referer’s origin decides (path and query dropped)', () => {
    const gate = gateWith();
    expect(ask(gate, '203.0.113.50', 'web', { referer: 'https://app.example.com/page?x=1' }).allow).toBe(
      true,
    );
    expect(why(ask(gate, '203.0.113.50', 'web', { referer: 'https://evil.test/' }).decision)).toBe(
      'key-restriction/key-domain-not-listed',
    );
    // A Referer never stands in for an Origin that is there.
    expect(
      ask(gate, '203.0.113.50', 'web', { origin: 'null', referer: 'https://app.example.com/' }).allow,
    ).toBe(false);
  });

  it('a key with only ips cannot be used from a browser, even from a listed address', () => {
    const r = ask(gateWith(), '203.0.113.7', 'server', { origin: 'https://app.example.com' });
    expect(why(r.decision)).toBe('key-restriction/key-browser-request-not-allowed');
    expect(why(ask(gateWith(), '203.0.113.7', 'noIps', { referer: 'https://x.test/' }).decision)).toBe(
      'key-restriction/key-browser-request-not-allowed',
    );
  });

  it('an empty domains list is on with nothing listed: every browser caller is denied', () => {
    const r = ask(gateWith(), '203.0.113.7', 'noDomains', { origin: 'https://app.example.com' });
    expect(why(r.decision)).toBe('key-restriction/key-domain-list-empty');
  });

  it('a key with both: servers by address, browsers by origin', () => {
    const gate = gateWith();
    expect(ask(gate, '203.0.113.9', 'both').allow).toBe(true);
    expect(ask(gate, '203.0.113.10', 'both').allow).toBe(false);
    expect(ask(gate, '203.0.113.10', 'both', { origin: 'http://localhost:3000' }).allow).toBe(true);
    expect(ask(gate, '203.0.113.9', 'both', { origin: 'http://localhost:3001' }).allow).toBe(false);
  });
});

describe('createGate keys: what adds no restriction, and what fails closed', () => {
  it('no key, an unknown key, and a key with neither list: the network decision alone', () => {
    const gate = gateWith();
    const alone = ask(gate, '203.0.113.50', undefined).decision;
    expect(alone).toMatchObject({ allow: true, stage: 'complete' });
    for (const key of ['nobody', 'open', 'constructor', '__proto__', 'toString']) {
      expect(ask(gate, '203.0.113.50', key, { origin: 'https://evil.test' }).decision).toEqual(alone);
    }
    const nullKey = createGate({ allow: ['0.0.0.0/0'], keys: { keyOf: () => null as never, rules: RULES } });
    expect(nullKey.check({ remoteAddress: '192.0.2.1', headers: {} }).allow).toBe(true);
  });

  it('keyOf throwing denies (403, with a request id), the error in the detail for operators', () => {
    const events: DecisionEvent[] = [];
    const gate = createGate({
      allow: ['203.0.113.0/24'],
      keys: {
        keyOf: () => {
          throw new Error('token store down');
        },
        rules: RULES,
      },
      onDecision: (e) => events.push(e),
    });
    const r = gate.check({ remoteAddress: '203.0.113.7', headers: {} });
    expect(r).toMatchObject({ allow: false, status: 403 });
    expect(JSON.parse(r.body ?? '').requestId).toBe(r.requestId);
    expect(r.decision.detail).toMatch(/keys\.keyOf threw: Error: token store down/);
    expect(r.client?.toString()).toBe('203.0.113.7');
    expect(events[0]).toMatchObject({ allow: false, requestId: r.requestId });
  });

  it('keyOf returning something other than a string (a repeated header’s array) denies', () => {
    const gate = createGate({
      allow: ['203.0.113.0/24'],
      keys: { keyOf: (r) => r.headers['x-api-key'] as never, rules: RULES },
    });
    const r = gate.check({ remoteAddress: '203.0.113.7', headers: { 'x-api-key': ['server', 'open'] } });
    expect(r.allow).toBe(false);
    expect(r.decision.detail).toMatch(/returned an array/);
  });

  it('the network list decides first: a denied address never reaches keyOf', () => {
    let calls = 0;
    const gate = createGate({
      allow: ['203.0.113.0/24'],
      keys: {
        keyOf: (r) => {
          calls++;
          return keyOf(r);
        },
        rules: RULES,
      },
    });
    const r = gate.check({ remoteAddress: '198.51.100.7', headers: { 'x-api-key': 'open' } });
    expect(why(r.decision)).toBe('tenant-restriction/tenant-ip-not-listed');
    expect(gate.check({ remoteAddress: 'garbage', headers: { 'x-api-key': 'open' } }).allow).toBe(false);
    expect(calls).toBe(0);
    expect(gate.check({ remoteAddress: '203.0.113.7', headers: { 'x-api-key': 'server' } }).allow).toBe(true);
    expect(calls).toBe(1);
  });

  it('a network list that matched nothing (an open API allowlist) leaves only the key match', () => {
    const open: GateRules = {
      version: 1,
      description: 'open api',
      decide: (client) => decide({ client, origin: { kind: 'server' }, apiAllowlist: IpSet.from([]) }),
    };
    const gate = createGate({
      allow: { current: () => open, close: () => {} },
      keys: { keyOf, rules: RULES },
    });
    const r = ask(gate, '203.0.113.7', 'server');
    expect(r.decision.matched.map((m) => `${m.list}:${m.value}`)).toEqual(['key-ips:203.0.113.7']);
  });
});

describe('createGate keys: with other options', () => {
  it('behind trusted proxies, the key’s ips are checked against the resolved client', () => {
    const gate = createGate({
      allow: ['203.0.113.0/24'],
      clientAddress: { mode: 'trusted-proxies', trusted: ['10.0.0.1'] },
      keys: { keyOf, rules: RULES },
    });
    const via = (xff: string) =>
      gate.check({ remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': xff, 'x-api-key': 'server' } });
    expect(via('203.0.113.7').allow).toBe(true);
    expect(via('203.0.113.20').decision.reason).toBe('key-ip-not-listed');
  });

  it('onDecision and the lazily made id see the merged decision', () => {
    const events: DecisionEvent[] = [];
    const gate = gateWith({ onDecision: (e) => events.push(e) });
    ask(gate, '203.0.113.7', 'server');
    ask(gate, '203.0.113.7', 'web');
    expect(events.map((e) => [e.allow, e.decision.reason, e.decision.matched.length])).toEqual([
      [true, 'allowed', 2],
      [false, 'key-server-request-not-allowed', 1],
    ]);
    const lazy = ask(gateWith(), '203.0.113.7', 'server');
    expect(lazy.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('takes prebuilt sets, a Map, and a keyOf written as a method', () => {
    const source = {
      header: 'x-api-key',
      keyOf(request: GateRequest) {
        return request.headers[this.header] as string | undefined;
      },
      rules: new Map<string, KeyRuleOptions>([
        ['k', { ips: IpSet.from(['203.0.113.7']), domains: DomainSet.from(['app.example.com']) }],
      ]),
    };
    const gate = createGate({ allow: ['203.0.113.0/24'], keys: source });
    expect(ask(gate, '203.0.113.7', 'k').allow).toBe(true);
    expect(ask(gate, '203.0.113.8', 'k').allow).toBe(false);
    expect(ask(gate, '203.0.113.8', 'k', { origin: 'https://app.example.com' }).allow).toBe(true);
  });

  it('compiles the rules when built: later changes to the options object change nothing', () => {
    const ips = ['203.0.113.7'];
    const rules: Record<string, KeyRuleOptions> = { k: { ips: ['203.0.113.7'] }, j: { ips } };
    const gate = createGate({ allow: ['203.0.113.0/24'], keys: { keyOf, rules } });
    ips.push('203.0.113.8');
    rules['k'] = {};
    expect(ask(gate, '203.0.113.8', 'j').allow).toBe(false);
    expect(ask(gate, '203.0.113.8', 'k').allow).toBe(false);
  });
});

describe('createGate keys: bad options fail when the gate is built, naming the field', () => {
  function failure(keys: unknown): IpGateError {
    try {
      createGate({ allow: [], keys: keys as KeysOption });
    } catch (error) {
      expect(error).toBeInstanceOf(IpGateError);
      return error as IpGateError;
    }
    throw new Error('no error');
  }

  it('keys, keyOf and rules of the wrong kind: IPG_CONFIG_INVALID with a hint', () => {
    const cases: [unknown, string, RegExp][] = [
      ['x-api-key', 'keys', /must be an object/],
      [null, 'keys', /must be an object/],
      [{ rules: {} }, 'keys.keyOf', /must be a function/],
      [{ keyOf: 'x-api-key', rules: {} }, 'keys.keyOf', /must be a function/],
      [{ keyOf }, 'keys.rules', /not undefined/],
      [{ keyOf, rules: null }, 'keys.rules', /not null/],
      [{ keyOf, rules: [{ ips: [] }] }, 'keys.rules', /not an array/],
      [{ keyOf, rules: new Map([[1, { ips: [] }]]) }, 'keys.rules', /Map key is number/],
      [{ keyOf, rules: { k: ['203.0.113.7'] } }, 'keys.rules.k', /not an array/],
      [{ keyOf, rules: { k: null } }, 'keys.rules.k', /not null/],
      [{ keyOf, rules: { k: { ip: ['203.0.113.7'] } } }, 'keys.rules.k.ip', /unknown setting "ip"/],
      [{ keyOf, rules: { k: { ips: '203.0.113.7' } } }, 'keys.rules.k.ips', /not a string/],
      [{ keyOf, rules: { k: { ips: null } } }, 'keys.rules.k.ips', /not null/],
      [{ keyOf, rules: { k: { domains: 'app.example.com' } } }, 'keys.rules.k.domains', /not a string/],
    ];
    for (const [keys, field, message] of cases) {
      const error = failure(keys);
      expect({ code: error.code, field: error.field }).toEqual({ code: 'IPG_CONFIG_INVALID', field });
      expect(error.message).toMatch(message);
      expect(error.hint).toBeTruthy();
    }
  });

  it('a bad entry keeps its own code, with the key’s field and the entry’s position', () => {
    const ip = failure({ keyOf, rules: { k: { ips: ['203.0.113.7', '10.0.0.1/8'] } } });
    expect({ code: ip.code, field: ip.field, index: ip.index }).toEqual({
      code: 'IPG_ENTRY_HOST_BITS',
      field: 'keys.rules.k.ips',
      index: 1,
    });
    const domain = failure({ keyOf, rules: new Map([['k', { domains: ['https://a.com/app'] }]]) });
    expect({ code: domain.code, field: domain.field, index: domain.index }).toEqual({
      code: 'IPG_DOMAIN_HAS_PATH',
      field: 'keys.rules.k.domains',
      index: 0,
    });
  });
});

/** A rules source that counts the decisions its rules make (the network part). */
function countedRules(entries: readonly string[]) {
  let decisions = 0;
  const inner = listRules(IpSet.from(entries), `${entries.length} entries`);
  const rules: GateRules = {
    ...inner,
    decide: (client: IpAddress) => {
      decisions++;
      return inner.decide(client);
    },
  };
  const source: RulesSource = { current: () => rules, close: () => {} };
  return { source, decisions: () => decisions };
}

describe('createGate keys and the per-connection cache', () => {
  it('the network part is decided once per connection; the key stage runs on every request', () => {
    const rules = countedRules(['203.0.113.0/24']);
    const gate = createGate({ allow: rules.source, keys: { keyOf, rules: RULES } });
    const connection = {};
    const on = (key: string | undefined, headers: Record<string, string> = {}) =>
      gate.check({
        remoteAddress: '203.0.113.7',
        headers: key === undefined ? headers : { ...headers, 'x-api-key': key },
        connection,
      }).decision;
    expect(why(on('server'))).toBe('complete/allowed');
    expect(why(on('web'))).toBe('key-restriction/key-server-request-not-allowed');
    expect(why(on('web', { origin: 'https://app.example.com' }))).toBe('complete/allowed');
    expect(why(on('server', { origin: 'https://app.example.com' }))).toBe(
      'key-restriction/key-browser-request-not-allowed',
    );
    expect(why(on('noIps'))).toBe('key-restriction/key-ip-list-empty');
    expect(why(on(undefined))).toBe('complete/allowed');
    expect(why(on('server'))).toBe('complete/allowed');
    expect(rules.decisions()).toBe(1);
  });

  it('a key decision never changes the cached network decision for the next request', () => {
    const rules = countedRules(['203.0.113.0/24']);
    const gate = createGate({ allow: rules.source, keys: { keyOf, rules: RULES } });
    const connection = {};
    const first = gate.check({
      remoteAddress: '203.0.113.7',
      headers: { 'x-api-key': 'server' },
      connection,
    });
    expect(first.decision.matched).toHaveLength(2);
    const plain = gate.check({ remoteAddress: '203.0.113.7', headers: {}, connection });
    expect(plain.decision.matched).toHaveLength(1);
    expect(plain.decision.matched[0]?.list).toBe('tenant');
    expect(rules.decisions()).toBe(1);
  });

  it('a denied connection is denied without asking for the key', () => {
    const rules = countedRules(['203.0.113.0/24']);
    let calls = 0;
    const gate = createGate({
      allow: rules.source,
      keys: {
        keyOf: () => {
          calls++;
          return 'open';
        },
        rules: RULES,
      },
    });
    const connection = {};
    for (let i = 0; i < 3; i++) gate.check({ remoteAddress: '198.51.100.1', headers: {}, connection });
    expect([rules.decisions(), calls]).toEqual([1, 0]);
  });
});

// Small pools, so that the random lists and requests match each other often.
const address = fc.integer({ min: 0, max: 7 }).map((n) => `10.0.0.${n}`);
const ipEntry = fc.oneof(address, fc.constantFrom('10.0.0.0/30', '10.0.0.4/31', '10.0.0.0/29', '::1'));
const domainEntry = fc.constantFrom(
  'example.com',
  '*.example.com',
  'https://app.example.org',
  'localhost:3000',
  'http://a.test:8080',
);
const browserHeaders = fc.constantFrom<Record<string, string>>(
  {},
  {},
  { origin: 'https://example.com' },
  { origin: 'http://a.example.com' },
  { origin: 'https://app.example.org' },
  { origin: 'http://app.example.org' },
  { origin: 'http://localhost:3000' },
  { origin: 'http://a.test:8080' },
  { origin: 'null' },
  { origin: 'https://evil.test' },
  { referer: 'https://b.example.com/path?q' },
  { referer: 'http://localhost:3001/' },
);
const keyRule: fc.Arbitrary<KeyRuleOptions> = fc
  .record({
    ips: fc.option(fc.array(ipEntry, { maxLength: 4 }), { nil: undefined }),
    domains: fc.option(fc.uniqueArray(domainEntry, { maxLength: 3 }), { nil: undefined }),
  })
  .map(({ ips, domains }) => ({
    ...(ips === undefined ? {} : { ips }),
    ...(domains === undefined ? {} : { domains }),
  }));
const KEY_NAMES = ['k1', 'k2', 'k3'] as const;

/** What core decides for the whole request, with the allow list as a manual tenant list. */
function coreDecision(
  allow: readonly string[],
  rules: Record<string, KeyRuleOptions>,
  client: string,
  key: string | undefined,
  headers: Record<string, string>,
): Decision {
  const rule = key === undefined ? undefined : rules[key];
  const restrictions: KeyRestrictions | undefined =
    rule === undefined
      ? undefined
      : {
          ips: {
            enabled: rule.ips !== undefined,
            list: IpSet.from((rule.ips as string[] | undefined) ?? []),
          },
          domains: {
            enabled: rule.domains !== undefined,
            list: DomainSet.from((rule.domains as string[] | undefined) ?? []),
          },
        };
  // A gate checks its allow list first for every request, browser keys included (it has no tenants,
  // so core's browser-key exception to the tenant list does not apply), then the key.
  const address = IpAddress.parse(client);
  const origin = originOf(headers);
  const network = decide({ client: address, origin, tenant: { mode: 'manual', list: IpSet.from(allow) } });
  if (!network.allow || restrictions === undefined) return network;
  const keyed = decide({ client: address, origin, key: restrictions });
  return { ...keyed, matched: [...network.matched, ...keyed.matched] };
}

describe('property: the gate with keys decides as core decide() does for the whole request', () => {
  it('for random allow lists, key rules and requests on one keep-alive connection', () => {
    fc.assert(
      fc.property(
        // Often everyone on the network list, so that most requests reach the key stage.
        fc.oneof(fc.constant(['10.0.0.0/29']), fc.array(ipEntry, { maxLength: 3 })),
        fc.tuple(keyRule, keyRule, keyRule),
        fc.array(
          fc.record({
            client: address,
            key: fc.constantFrom<string | undefined>(...KEY_NAMES, 'unknown', undefined),
            headers: browserHeaders,
          }),
          { minLength: 1, maxLength: 6 },
        ),
        (allow, [r1, r2, r3], requests) => {
          const rules = { k1: r1, k2: r2, k3: r3 };
          const gate = createGate({ allow, keys: { keyOf, rules } });
          const connection = {};
          for (const { client, key, headers } of requests) {
            const result = gate.check({
              remoteAddress: client,
              headers: key === undefined ? headers : { ...headers, 'x-api-key': key },
              connection,
            });
            expect(result.decision).toEqual(coreDecision(allow, rules, client, key, headers));
            expect(result.allow).toBe(result.decision.allow);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
