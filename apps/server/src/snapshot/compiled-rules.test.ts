import { IpAddress } from '@ipgate/core';
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../secrets/secrets.js';
import type { KeyRules, RulesDelta, TenantRules } from '../store/store.js';
import { CompiledRules, compileAll } from './compiled-rules.js';
import { fixtureRules, fixtureSnapshot } from './rules-fixture.test-support.js';
import { emptySnapshot } from './snapshot.js';

const now = new Date('2026-06-01T12:00:00Z');
const ms = now.getTime();
const ip = (s: string) => IpAddress.parse(s);

function delta(version: number, parts: Partial<Omit<RulesDelta, 'version'>>): RulesDelta {
  return { version, tenants: new Map(), apis: new Map(), keys: new Map(), ...parts };
}

function tenantRules(id: string, values: readonly string[], expiresAt: Date | null = null): TenantRules {
  return {
    tenant: { id, ipMode: 'manual' },
    entries: values.map((value, i) => ({ id: `${id}_e${i}`, name: '', type: 'ip', value, expiresAt })),
  };
}

function keyRules(id: string, tenantId: string, secret: string, ips: readonly string[] = []): KeyRules {
  return {
    key: {
      id,
      tenantId,
      name: id,
      secretHash: hashSecret(secret),
      ipRestrictionEnabled: ips.length > 0,
      domainRestrictionEnabled: false,
    },
    ipEntries: ips.map((value, i) => ({ id: `${id}_i${i}`, name: '', type: 'ip', value, expiresAt: null })),
    domains: [],
  };
}

describe('compiling everything at once', () => {
  it('leaves out expired tenant entries, counts them, and knows the next expiry', () => {
    const rules = compileAll(
      fixtureRules({
        tenantEntries: [
          { value: '192.0.2.1' },
          { value: '192.0.2.2', enabled: false },
          { value: '192.0.2.3', expiresAt: new Date('2026-06-01T11:59:59Z') },
          { value: '192.0.2.4', expiresAt: new Date('2026-06-01T13:00:00Z') },
          { value: '192.0.2.5', expiresAt: new Date('2026-06-01T12:30:00Z') },
        ],
      }),
      ms,
    );
    const tenant = rules.snapshot.tenants.get('ten_1');
    expect(
      ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'].map((a) =>
        tenant?.restriction.list.has(a),
      ),
    ).toEqual([true, false, false, true, true]);
    expect(tenant?.expired).toBe(1);
    expect(new Date(rules.nextExpiry ?? 0).toISOString()).toBe('2026-06-01T12:30:00.000Z');
  });

  it('finds keys by the hash of their secret, with their restrictions', () => {
    const s = fixtureSnapshot(
      {
        keys: [{ secret: 'ipg_live_a', ipRestrictionEnabled: true, domainRestrictionEnabled: true }],
        keyIps: [{ value: '198.51.100.7' }],
        keyDomains: [{ value: '*.example.com', name: 'portal' }],
      },
      { now },
    );
    const key = s.keysByHash.get(hashSecret('ipg_live_a'));
    expect(key?.id).toBe('key_1');
    expect(s.keysById.get('key_1')).toBe(key);
    expect(key?.restrictions.ips.list.hasAddress(ip('198.51.100.7'))).toBe(true);
    expect(key?.restrictions.domains.list.matchesOriginHeader('https://a.example.com')).toBe(true);
    expect(s.keysByHash.get(hashSecret('ipg_live_b'))).toBeUndefined();
  });

  it('leaves out keys whose tenant is missing, and says so', () => {
    const problems: string[] = [];
    const rules = compileAll(fixtureRules({ keys: [{ secret: 'b', tenantId: 'ten_x' }] }), ms, (p) =>
      problems.push(p),
    );
    expect(rules.snapshot.keysById.size).toBe(0);
    expect(problems).toEqual(['key key_1: tenant ten_x is missing']);
  });

  it('routes by host and longest prefix', () => {
    const s = fixtureSnapshot({
      apis: [{ pathPrefix: '/' }, { pathPrefix: '/v1', host: 'api.example.com' }],
    });
    expect(s.routes.find('api.example.com', '/v1/x')?.id).toBe('api_2');
    expect(s.routes.find('api.example.com', '/v2')?.id).toBe('api_1');
  });

  it('skips a row that does not compile; an API allowlist with such a row denies everyone', () => {
    const problems: string[] = [];
    const { snapshot: s } = compileAll(
      fixtureRules({
        tenantEntries: [{ value: '192.0.2.1', type: 'ip' }, { value: '10.0.0.1/8' }],
        apiEntries: [{ value: 'garbage' }],
        apis: [{ upstreamUrl: 'ftp://x' }],
      }),
      ms,
      (p) => problems.push(p),
    );
    expect(s.tenants.get('ten_1')?.restriction.list.has('192.0.2.1')).toBe(true);
    expect(s.tenants.get('ten_1')?.restriction.list.size).toBe(1);
    const api = s.apis.get('api_1');
    expect(api?.allowlist.isEmpty).toBe(true);
    expect(api?.allowlistBroken).toBe(true);
    expect(api?.upstream).toBeUndefined();
    expect(problems).toHaveLength(3);
  });

  it('starts empty', () => {
    const s = emptySnapshot();
    expect(s.version).toBe(0);
    expect(s.routes.find('h', '/')).toBeUndefined();
    expect(new CompiledRules().snapshot.version).toBe(0);
  });

  it('swaps nothing in until a load finishes', () => {
    const rules = new CompiledRules();
    const load = rules.beginLoad(ms);
    load.add(fixtureRules({ version: 5 }));
    expect(rules.snapshot.version).toBe(0);
    expect(load.finish(5).full).toBe(true);
    expect(rules.snapshot.version).toBe(5);
    expect(() => load.finish(6)).toThrow(/once/);
  });
});

describe('applying a delta', () => {
  const base = () =>
    compileAll(
      {
        version: 10,
        tenants: [tenantRules('ten_a', ['192.0.2.1']), tenantRules('ten_b', ['198.51.100.1'])],
        apis: [],
        keys: [keyRules('key_a', 'ten_a', 'secret_a'), keyRules('key_b', 'ten_b', 'secret_b')],
      },
      ms,
    );

  it('recompiles the units it names and shares every other one', () => {
    const rules = base();
    const before = rules.snapshot;
    const changes = rules.apply(
      delta(11, { tenants: new Map([['ten_a', tenantRules('ten_a', ['192.0.2.9'])]]) }),
      ms,
    );
    const after = rules.snapshot;
    expect(after).not.toBe(before);
    expect(after.version).toBe(11);
    expect(after.tenants.get('ten_a')?.restriction.list.has('192.0.2.9')).toBe(true);
    expect(after.tenants.get('ten_a')?.rulesVersion).toBe(11);
    expect(after.tenants.get('ten_b')).toBe(before.tenants.get('ten_b'));
    expect(after.keysById.get('key_a')).toBe(before.keysById.get('key_a'));
    // The old snapshot is untouched: a request that read it keeps its view.
    expect(before.tenants.get('ten_a')?.restriction.list.has('192.0.2.9')).toBe(false);
    expect([changes.full, [...changes.tenants], [...changes.keys]]).toEqual([false, ['ten_a'], []]);
  });

  it('finds a rotated key by its new secret only, and forgets a revoked one', () => {
    const rules = base();
    rules.apply(delta(11, { keys: new Map([['key_a', keyRules('key_a', 'ten_a', 'rotated_a')]]) }), ms);
    expect(rules.snapshot.keysByHash.get(hashSecret('secret_a'))).toBeUndefined();
    expect(rules.snapshot.keysByHash.get(hashSecret('rotated_a'))?.id).toBe('key_a');
    rules.apply(delta(12, { keys: new Map([['key_a', null]]) }), ms);
    expect(rules.snapshot.keysByHash.get(hashSecret('rotated_a'))).toBeUndefined();
    expect(rules.snapshot.keysById.get('key_a')).toBeUndefined();
    expect(rules.snapshot.keysById.size).toBe(1);
  });

  it('takes a deleted tenant’s keys with it', () => {
    const rules = base();
    const changes = rules.apply(delta(11, { tenants: new Map([['ten_a', null]]) }), ms);
    expect(rules.snapshot.tenants.get('ten_a')).toBeUndefined();
    expect(rules.snapshot.keysByHash.get(hashSecret('secret_a'))).toBeUndefined();
    expect(rules.snapshot.keysById.get('key_b')).toBeDefined();
    expect([...changes.keys]).toEqual(['key_a']);
  });

  it('refuses a key whose tenant it does not know', () => {
    const problems: string[] = [];
    const rules = new CompiledRules((p) => problems.push(p));
    rules.apply(delta(1, { keys: new Map([['key_x', keyRules('key_x', 'ten_x', 's')]]) }), ms);
    expect(rules.snapshot.keysById.size).toBe(0);
    expect(problems).toEqual(['key key_x: tenant ten_x is missing']);
  });

  it('rebuilds routes only when an API changed', () => {
    const rules = compileAll(fixtureRules({ apis: [{ pathPrefix: '/' }] }), ms);
    const routes = rules.snapshot.routes;
    rules.apply(delta(2, { tenants: new Map([['ten_1', tenantRules('ten_1', ['192.0.2.1'])]]) }), ms);
    expect(rules.snapshot.routes).toBe(routes);
    const api = fixtureRules({ apis: [{ pathPrefix: '/v2' }] }).apis[0];
    rules.apply(delta(3, { apis: new Map([['api_1', api ?? null]]) }), ms);
    expect(rules.snapshot.routes.find('h', '/v2/x')?.id).toBe('api_1');
    expect(rules.snapshot.routes.find('h', '/other')).toBeUndefined();
    rules.apply(delta(4, { apis: new Map([['api_1', null]]) }), ms);
    expect(rules.snapshot.routes.find('h', '/v2/x')).toBeUndefined();
  });
});

describe('expiry', () => {
  it('recompiles a unit when its entry expires, from the rows it kept, without a store', () => {
    const soon = new Date(ms + 1_000);
    const rules = compileAll(
      { version: 3, tenants: [tenantRules('ten_a', ['192.0.2.1'], soon)], apis: [], keys: [] },
      ms,
    );
    expect(rules.snapshot.tenants.get('ten_a')?.restriction.list.has('192.0.2.1')).toBe(true);
    expect(rules.nextExpiry).toBe(ms + 1_000);
    expect(rules.expire(ms + 999).tenants.size).toBe(0);
    const changes = rules.expire(ms + 1_000);
    expect([...changes.tenants]).toEqual(['ten_a']);
    const tenant = rules.snapshot.tenants.get('ten_a');
    expect(tenant?.restriction.list.has('192.0.2.1')).toBe(false);
    expect([tenant?.expired, tenant?.rulesVersion, rules.snapshot.version]).toEqual([1, 3, 3]);
    expect(rules.nextExpiry).toBeNull();
  });

  it('forgets a unit’s expiry when the unit changes or goes', () => {
    const soon = new Date(ms + 1_000);
    const rules = compileAll(
      { version: 3, tenants: [tenantRules('ten_a', ['192.0.2.1'], soon)], apis: [], keys: [] },
      ms,
    );
    rules.apply(delta(4, { tenants: new Map([['ten_a', tenantRules('ten_a', ['192.0.2.1'])]]) }), ms);
    expect(rules.nextExpiry).toBeNull();
    rules.apply(delta(5, { tenants: new Map([['ten_a', tenantRules('ten_a', ['192.0.2.1'], soon)]]) }), ms);
    expect(rules.nextExpiry).toBe(ms + 1_000);
    rules.apply(delta(6, { tenants: new Map([['ten_a', null]]) }), ms);
    expect(rules.nextExpiry).toBeNull();
  });
});
