import { socketPeer, trustedProxies } from '@ipgate/core';
import { describe, expect, it } from 'vitest';
import { fixtureSnapshot } from '../snapshot/rules-fixture.test-support.js';
import { runPipeline } from './pipeline.js';

const snapshot = fixtureSnapshot({
  tenantEntries: [{ value: '203.0.113.0/24' }],
  apis: [{ pathPrefix: '/v1' }, { pathPrefix: '/open', authHeader: 'x-api-key' }],
  apiEntries: [{ value: '203.0.113.0/25' }],
  keys: [{ secret: 'ipg_live_good' }],
});
const run = (peer: string | undefined, target: string, headers: Record<string, string> = {}) =>
  runPipeline(snapshot, socketPeer(), { method: 'GET', target, headers, peer });
const auth = { authorization: 'Bearer ipg_live_good' };

describe('runPipeline', () => {
  it.each([
    ['no peer', undefined, '/v1/x', auth, 403, 'client-address', 'client-address-invalid'],
    ['bad target', '203.0.113.9', '/v1/../x', auth, 400, 'route', 'path-invalid'],
    ['no route', '203.0.113.9', '/v2', auth, 404, 'route', 'no-route'],
    [
      'API allowlist miss before auth',
      '203.0.113.200',
      '/v1/x',
      {},
      403,
      'api-allowlist',
      'api-allowlist-not-listed',
    ],
    ['missing key', '203.0.113.9', '/v1/x', {}, 401, 'authentication', 'key-missing'],
    [
      'unknown key',
      '203.0.113.9',
      '/v1/x',
      { authorization: 'Bearer x' },
      401,
      'authentication',
      'key-unknown',
    ],
    ['allowed', '::ffff:203.0.113.9', '/v1/x', auth, 200, 'complete', 'allowed'],
    [
      'api without allowlist, tenant miss',
      '192.0.2.1',
      '/open',
      { 'x-api-key': 'ipg_live_good' },
      403,
      'tenant-restriction',
      'tenant-ip-not-listed',
    ],
  ])('%s', (_name, peer, target, headers, status, stage, reason) => {
    const o = run(peer, target, headers);
    expect({ status: o.status, stage: o.stage, reason: o.reason, allow: o.allow }).toEqual({
      status,
      stage,
      reason,
      allow: status === 200,
    });
  });

  it('reads each Host header on its own, also when the same one came just before', () => {
    // The pipeline keeps its last reading of a Host text: a different text must never get it.
    const hosts: [string | undefined, number, string | undefined][] = [
      ['API.Example.com:8080', 200, 'api.example.com:8080'],
      ['API.Example.com:8080', 200, 'api.example.com:8080'],
      ['evil@api.example.com', 400, undefined],
      ['evil@api.example.com', 400, undefined],
      ['api.example.com:8080', 200, 'api.example.com:8080'],
      ['api.example.com,x', 400, undefined],
      [undefined, 200, undefined],
      ['', 200, undefined],
      ['[2001:DB8::1]', 200, '[2001:db8::1]'],
      ['API.Example.com:8080', 200, 'api.example.com:8080'],
    ];
    for (const [host, status, routed] of hosts) {
      const o = run('203.0.113.9', '/v1/x', host === undefined ? auth : { ...auth, host });
      expect({ host, status: o.status, routed: o.host }).toEqual({ host, status, routed });
    }
  });

  it('says how to record the observation', () => {
    const allowed = run('203.0.113.9', '/v1/x', auth);
    expect([allowed.observation, allowed.key?.id, allowed.client?.toString()]).toEqual([
      'authorized',
      'key_1',
      '203.0.113.9',
    ]);
    expect(allowed.matched.map((m) => m.list)).toEqual(['api-allowlist', 'tenant']);
    const unknown = run('192.0.2.1', '/open', { 'x-api-key': 'ipg_live_good' });
    expect([unknown.observation, unknown.reviewable]).toEqual(['pending', true]);
    expect(run('203.0.113.9', '/v1/x', {}).observation).toBeUndefined();
  });

  it('reads the client from forwarding headers only through the strategy', () => {
    const behind = runPipeline(snapshot, trustedProxies({ trusted: ['10.0.0.0/8'] }), {
      method: 'GET',
      target: '/v1/x',
      headers: { ...auth, 'x-forwarded-for': '203.0.113.9' },
      peer: '10.0.0.1',
    });
    expect([behind.allow, behind.clientVia, behind.sawForwardingHeaders]).toEqual([true, 'header', true]);
    const spoofed = run('192.0.2.1', '/v1/x', { ...auth, 'x-forwarded-for': '203.0.113.9' });
    expect([spoofed.allow, spoofed.clientVia, spoofed.sawForwardingHeaders]).toEqual([false, 'socket', true]);
  });

  it('denies everyone at an API whose allowlist lost rows', () => {
    const broken = fixtureSnapshot({ apiEntries: [{ value: 'not an entry' }] });
    const o = runPipeline(broken, socketPeer(), {
      method: 'GET',
      target: '/',
      headers: auth,
      peer: '203.0.113.9',
    });
    expect([o.status, o.stage, o.detail]).toEqual([
      403,
      'api-allowlist',
      expect.stringContaining('could not be compiled'),
    ]);
  });
});

describe('runPipeline: paths the upstream may read as another API', () => {
  // api_1 `/admin` allows 203.0.113.0/25 only; api_2 `/` has no allowlist; the tenant lists 192.0.2.0/24.
  const twoApis = fixtureSnapshot({
    tenantEntries: [{ value: '192.0.2.0/24' }, { value: '203.0.113.0/24' }],
    apis: [{ pathPrefix: '/admin' }, { pathPrefix: '/' }],
    apiEntries: [{ value: '203.0.113.0/25' }],
    keys: [{ secret: 'ipg_live_good' }],
  });
  const from = (peer: string, target: string) =>
    runPipeline(twoApis, socketPeer(), { method: 'GET', target, headers: auth, peer });

  it('keeps an unlisted caller out of /admin', () => {
    expect(from('192.0.2.1', '/admin/users').reason).toBe('api-allowlist-not-listed');
    expect(from('192.0.2.1', '/public').allow).toBe(true);
  });

  it.each([
    '/%2fadmin/users',
    '/%2Fadmin/users',
    '/admin;jsessionid=1/users',
    '/admin%3b/users',
    '/admin\\users',
    '/admin%5cusers',
    '/x/..%2fadmin/users',
    '/x/%2e%2e%2fadmin/users',
    '/x%2f..%2fadmin/users',
    '/x/..;/admin/users',
    '/x/..\\admin/users',
    '/x/.%2fadmin',
  ])('refuses %s (400) instead of routing it to the open API', (target) => {
    const o = from('192.0.2.1', target);
    expect([o.allow, o.status, o.stage, o.reason]).toEqual([false, 400, 'route', 'path-invalid']);
  });

  it('still serves encoded slashes and parameters that stay within one API', () => {
    expect(from('192.0.2.1', '/files/a%2Fb').allow).toBe(true);
    expect(from('192.0.2.1', '/files;v=1/a').allow).toBe(true);
    expect(from('203.0.113.9', '/admin/a%2Fb').allow).toBe(true);
  });
});

describe('runPipeline in report-only (docs/architecture/pipeline.md#report-only)', () => {
  const reportOnly = (tenantEnforce: boolean, apiEnforce: boolean) =>
    fixtureSnapshot({
      enforce: tenantEnforce,
      tenantEntries: [{ value: '203.0.113.0/24' }],
      apis: [{ pathPrefix: '/v1', enforce: apiEnforce }],
      apiEntries: [{ value: '203.0.113.0/25' }],
      keys: [{ secret: 'ipg_live_good', ipRestrictionEnabled: true }],
      keyIps: [{ value: '203.0.113.0/26' }, { value: '203.0.113.192/26' }],
    });
  const runOn = (s: ReturnType<typeof reportOnly>, peer: string, headers: Record<string, string> = auth) =>
    runPipeline(s, socketPeer(), { method: 'GET', target: '/v1/x', headers, peer });
  const summary = (o: ReturnType<typeof runOn>) => [o.allow, o.wouldDeny, o.status, o.stage, o.reason];

  it.each([
    // tenant enforce, API enforce, address, allowed?, would deny?, stage, reason
    [true, true, '203.0.113.200', false, false, 'api-allowlist', 'api-allowlist-not-listed'],
    [true, false, '203.0.113.200', true, true, 'api-allowlist', 'api-allowlist-not-listed'],
    [true, false, '203.0.113.150', false, false, 'key-restriction', 'key-ip-not-listed'],
    [false, true, '203.0.113.200', false, false, 'api-allowlist', 'api-allowlist-not-listed'],
    [false, true, '203.0.113.100', true, true, 'key-restriction', 'key-ip-not-listed'],
    [true, true, '203.0.113.100', false, false, 'key-restriction', 'key-ip-not-listed'],
    // Both report-only: the first stage that would deny is the one recorded.
    [false, false, '192.0.2.1', true, true, 'api-allowlist', 'api-allowlist-not-listed'],
    // API report-only, tenant enforcing: the tenant still denies.
    [true, false, '192.0.2.1', false, false, 'tenant-restriction', 'tenant-ip-not-listed'],
    [false, false, '203.0.113.9', true, false, 'complete', 'allowed'],
  ])('tenant enforce %s, API enforce %s, %s', (tenant, api, peer, allow, would, stage, reason) => {
    const o = runOn(reportOnly(tenant, api), peer);
    expect(summary(o)).toEqual([allow, would, allow ? 200 : 403, stage, reason]);
  });

  it('never makes authentication report-only, and keeps an unlisted address reviewable', () => {
    const s = reportOnly(false, false);
    expect(summary(runOn(s, '203.0.113.9', {}))).toEqual([
      false,
      false,
      401,
      'authentication',
      'key-missing',
    ]);
    const unlisted = runOn(s, '192.0.2.1');
    expect(unlisted.observation).toBe('pending');
  });
});
