import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { DENIAL_MESSAGE, socketPeer, trustedProxies } from '@ipgate/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../log/logger.js';
import { createRecorder } from '../records/recorder.js';
import { createSnapshotEngine, type SnapshotEngine } from '../snapshot/snapshot-engine.js';
import type { Store } from '../store/store.js';
import { storeFactories } from '../store/test-stores.test-support.js';
import { deadUrl, type Reply, send, startEcho } from './gateway.test-support.js';
import { type Gateway, startGateway } from './start-gateway.js';

const actor = { actor: 'test' };
let echo: Awaited<ReturnType<typeof startEcho>>;
let store: Store;
let engine: SnapshotEngine;
let recorder: ReturnType<typeof createRecorder>;
let direct: Gateway; // socket peer, listening on ::
let behindProxy: Gateway; // trusts 127.0.0.2 as a proxy
const warnings: string[] = [];
const logger: Logger = { info() {}, warn: (_f, m) => warnings.push(m), error() {} };
const ids = {} as Record<string, string>;
const secrets = {} as Record<string, string>;

const port = (g: Gateway) => Number(new URL(g.url).port);
const bearer = (name: string) => ({ authorization: `Bearer ${secrets[name]}` });

function expectDenied(r: Reply, status = 403): void {
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toBe('application/json');
  const requestId = r.headers['x-request-id'];
  expect(requestId).toMatch(/^req_[A-Za-z0-9_-]{16}$/);
  if (status === 403) expect(JSON.parse(r.text)).toEqual({ error: DENIAL_MESSAGE, requestId });
  else expect(JSON.parse(r.text)).toEqual({ error: expect.any(String), requestId });
}

// Every test runs against both stores: the request path must not care which one compiled its rules.
for (const factory of await storeFactories()) {
  describe.skipIf(factory.skip)(`on ${factory.name}`, () => {
    beforeAll(async () => {
      warnings.length = 0;
      echo = await startEcho();
      store = await factory.open();
      const api = await store.createApi({ name: 'main', pathPrefix: '/v1', upstreamUrl: echo.url }, actor);
      const partner = await store.createApi(
        {
          name: 'partner',
          pathPrefix: '/partner',
          stripPrefix: true,
          upstreamUrl: `${echo.url}/base`,
          authHeader: 'x-api-key',
        },
        actor,
      );
      await store.addApiAllowlistEntry(partner.id, { value: '127.0.0.2' }, actor);
      await store.createApi({ name: 'dead', pathPrefix: '/dead', upstreamUrl: await deadUrl() }, actor);
      ids['api'] = api.id;
      ids['partner'] = partner.id;

      const tenant = async (name: string, ipMode: 'off' | 'manual' | 'auto', entries: string[]) => {
        const t = await store.createTenant({ name, ipMode }, actor);
        for (const value of entries) await store.addTenantIpEntry(t.id, { value }, actor);
        ids[name] = t.id;
        return t.id;
      };
      const key = async (
        name: string,
        tenantId: string,
        restrictions: { ips?: string[]; domains?: string[] } = {},
      ) => {
        const { key: k, secret } = await store.createKey(
          tenantId,
          {
            name,
            ipRestrictionEnabled: restrictions.ips !== undefined,
            domainRestrictionEnabled: restrictions.domains !== undefined,
          },
          actor,
        );
        for (const value of restrictions.ips ?? [])
          await store.addKeyIpEntry(tenantId, k.id, { value }, actor);
        for (const value of restrictions.domains ?? [])
          await store.addKeyDomainEntry(tenantId, k.id, { value }, actor);
        ids[name] = k.id;
        secrets[name] = secret;
      };
      const manual = await tenant('manual', 'manual', ['127.0.0.2', '::1']);
      const empty = await tenant('empty', 'manual', []);
      const off = await tenant('off', 'off', []);
      const auto = await tenant('auto', 'auto', ['127.0.0.2']);
      await key('kManual', manual);
      await key('kEmpty', empty);
      await key('kOff', off);
      await key('kAuto', auto);
      await key('kRevoked', off);
      await store.revokeKey(off, ids['kRevoked'] as string, actor);
      await key('kDomain', off, { domains: ['app.example.com'] });
      await key('kIp', off, { ips: ['127.0.0.3'] });
      await key('kBoth', off, { ips: ['127.0.0.3'], domains: ['app.example.com'] });

      engine = createSnapshotEngine({ store });
      await engine.refresh();
      recorder = createRecorder({ store, flushIntervalMs: 60_000 });
      const common = { engine, recorder, port: 0, upstreamTimeoutMs: 300, logger };
      direct = await startGateway({ ...common, clientAddress: socketPeer(), host: '::' });
      behindProxy = await startGateway({
        ...common,
        clientAddress: trustedProxies({ trusted: ['127.0.0.2'] }),
        host: '127.0.0.1',
      });
    });

    afterAll(async () => {
      await direct?.close();
      await behindProxy?.close();
      await recorder?.close();
      engine?.close();
      await store?.close();
      await echo?.close();
    });

    describe('gateway: stages 1 and 2', () => {
      it('denies a client address it cannot resolve (garbage from a trusted proxy)', async () => {
        const r = await send(port(behindProxy), {
          path: '/v1/x',
          headers: { ...bearer('kOff'), 'x-forwarded-for': 'unknown' },
        });
        expectDenied(r);
      });

      it('answers 404 when no API is served at the path', async () => {
        expectDenied(await send(port(direct), { path: '/nothing', headers: bearer('kOff') }), 404);
      });

      it('answers 400 for a target routing cannot trust', async () => {
        expectDenied(await send(port(direct), { path: '/v1/../dead', headers: bearer('kOff') }), 400);
      });
    });

    describe('gateway: stage 3, the API allowlist, before authentication', () => {
      it('denies an unlisted address even without a key', async () => {
        expectDenied(await send(port(direct), { path: '/partner/x', from: '127.0.0.3' }));
      });

      it('lets a listed address on to authentication, strips the prefix and keeps the query', async () => {
        expectDenied(await send(port(direct), { path: '/partner/x' }), 401);
        const r = await send(port(direct), {
          path: '/partner/items/7?q=1&r=%20',
          headers: { 'x-api-key': secrets['kOff'] as string },
        });
        expect(r.status).toBe(200);
        expect(r.json().url).toBe('/base/items/7?q=1&r=%20');
        expect(r.json().headers['x-api-key']).toBeUndefined();
      });
    });

    describe('gateway: stage 4, authentication', () => {
      it.each([
        ['missing', {}],
        ['another scheme', { authorization: 'Basic Zm9vOmJhcg==' }],
        ['unknown', { authorization: 'Bearer ipg_live_nope' }],
        ['in the wrong header', { 'x-api-key': 'placeholder' }],
      ])('answers 401 for a key %s', async (_name, headers) => {
        const h = 'x-api-key' in headers ? { 'x-api-key': secrets['kOff'] as string } : headers;
        const r = await send(port(direct), { path: '/v1/x', headers: h });
        expectDenied(r, 401);
        expect(r.headers['www-authenticate']).toBe('Bearer');
      });

      it('answers 401 when Authorization comes twice, even if the first copy is a good key', async () => {
        // Node keeps only the first copy in req.headers; an upstream or proxy may read the second.
        const authorization = [`Bearer ${secrets['kOff']}`, 'Bearer ipg_live_someone_else'];
        const r = await send(port(direct), { path: '/v1/x', headers: { authorization } });
        expectDenied(r, 401);
      });

      it('answers 401 for a revoked key', async () => {
        expectDenied(await send(port(direct), { path: '/v1/x', headers: bearer('kRevoked') }), 401);
      });
    });

    describe('gateway: stage 5, the tenant restriction by mode', () => {
      it.each([
        ['manual, listed', 'kManual', '127.0.0.2', 200],
        ['manual, listed over IPv6', 'kManual', '::1', 200],
        ['manual, unlisted', 'kManual', '127.0.0.3', 403],
        ['manual with an empty list', 'kEmpty', '127.0.0.2', 403],
        ['off', 'kOff', '127.0.0.3', 200],
        ['auto, listed', 'kAuto', '127.0.0.2', 200],
        ['auto, unknown', 'kAuto', '127.0.0.3', 403],
      ])('%s', async (_name, key, from, status) => {
        const r = await send(port(direct), {
          path: '/v1/x',
          from,
          to: from === '::1' ? '::1' : '127.0.0.1',
          headers: bearer(key),
        });
        if (status === 200) expect(r.status).toBe(200);
        else expectDenied(r);
      });

      it('records an unknown address as pending and a listed one as authorized', async () => {
        await send(port(direct), { path: '/v1/x', from: '127.0.0.3', headers: bearer('kAuto') });
        await send(port(direct), { path: '/v1/x', from: '127.0.0.2', headers: bearer('kAuto') });
        await vi.waitFor(async () => {
          await recorder.flush();
          const seen = await store.listObservedIps(ids['auto'] as string);
          expect(Object.fromEntries(seen.items.map((o) => [o.address, o.status]))).toEqual({
            '127.0.0.2': 'authorized',
            '127.0.0.3': 'pending',
          });
        });
      });
    });

    describe('gateway: stage 6, key restrictions by request kind', () => {
      const origin = { origin: 'https://app.example.com' };
      it.each([
        ['domain only, browser from a listed origin', 'kDomain', '127.0.0.2', origin, 200],
        [
          'domain only, browser via Referer',
          'kDomain',
          '127.0.0.2',
          { referer: 'https://app.example.com/p?x' },
          200,
        ],
        ['domain only, other origin', 'kDomain', '127.0.0.2', { origin: 'https://evil.example' }, 403],
        ['domain only, server request', 'kDomain', '127.0.0.3', {}, 403],
        ['ip only, listed server', 'kIp', '127.0.0.3', {}, 200],
        ['ip only, unlisted server', 'kIp', '127.0.0.2', {}, 403],
        ['ip only, browser from a listed address', 'kIp', '127.0.0.3', origin, 403],
        ['both, browser from a listed origin, any address', 'kBoth', '127.0.0.2', origin, 200],
        ['both, browser from another origin', 'kBoth', '127.0.0.3', { origin: 'null' }, 403],
        ['both, listed server', 'kBoth', '127.0.0.3', {}, 200],
        ['both, unlisted server', 'kBoth', '127.0.0.2', {}, 403],
      ])('%s', async (_name, key, from, extra, status) => {
        const r = await send(port(direct), { path: '/v1/x', from, headers: { ...bearer(key), ...extra } });
        if (status === 200) expect(r.status).toBe(200);
        else expectDenied(r);
      });
    });

    describe('gateway: the client address behind proxies', () => {
      it('takes X-Forwarded-For from a trusted proxy and appends the peer', async () => {
        const r = await send(port(behindProxy), {
          path: '/v1/x',
          from: '127.0.0.2',
          headers: { ...bearer('kIp'), 'x-forwarded-for': '198.51.100.1, 127.0.0.3' },
        });
        expect(r.status).toBe(200);
        expect(r.json().headers['x-forwarded-for']).toBe('198.51.100.1, 127.0.0.3, 127.0.0.2');
      });

      it('ignores X-Forwarded-For from an untrusted peer', async () => {
        const r = await send(port(behindProxy), {
          path: '/v1/x',
          from: '127.0.0.3',
          headers: { ...bearer('kManual'), 'x-forwarded-for': '127.0.0.2' },
        });
        expectDenied(r);
      });

      it('replaces forwarding headers nobody vouches for, and warns and counts them', async () => {
        const r = await send(port(direct), {
          path: '/v1/x',
          headers: { ...bearer('kManual'), 'x-forwarded-for': '10.9.9.9', forwarded: 'for=10.9.9.9' },
        });
        expect(r.status).toBe(200);
        const h = r.json().headers;
        expect(h['x-forwarded-for']).toBe('127.0.0.2');
        expect(h.forwarded).toMatch(/^for=127\.0\.0\.2;host="?127\.0\.0\.1:\d+"?;proto=http$/);
        expect(h['x-forwarded-proto']).toBe('http');
        expect(h['x-forwarded-host']).toMatch(/^127\.0\.0\.1:\d+$/);
        expect(warnings.filter((w) => w.includes('no proxy is trusted'))).toHaveLength(1); // once a minute at most
        expect(
          await direct.metrics.getSingleMetricAsString('ipgate_gateway_untrusted_forwarding_headers_total'),
        ).toMatch(/_total [1-9]/);
      });
    });

    describe('gateway: forwarding', () => {
      it('streams a large body both ways intact, keeping method, path and query', async () => {
        const body = randomBytes(8 * 1024 * 1024);
        const r = await send(port(direct), {
          path: '/v1/upload/%7Efile?x=1',
          method: 'PUT',
          headers: { ...bearer('kManual'), 'content-type': 'application/octet-stream' },
          body,
        });
        expect(r.status).toBe(200);
        const seen = r.json();
        expect([seen.method, seen.url, seen.bytes]).toEqual(['PUT', '/v1/upload/%7Efile?x=1', body.length]);
        expect(seen.sha256).toBe(createHash('sha256').update(body).digest('hex'));
      });

      it('drops hop-by-hop headers and the key, and tells the upstream who called', async () => {
        const r = await send(port(direct), {
          path: '/v1/x',
          headers: {
            ...bearer('kManual'),
            connection: 'keep-alive, x-hop',
            'x-hop': '1',
            'x-end-to-end': '2',
            'x-ipgate-tenant-id': 'ten_forged',
            'x-request-id': 'forged',
          },
        });
        const h = r.json().headers;
        expect(h['x-hop']).toBeUndefined();
        expect(h['x-end-to-end']).toBe('2');
        expect(h.authorization).toBeUndefined();
        expect(h['x-ipgate-tenant-id']).toBe(ids['manual']);
        expect(h['x-ipgate-key-id']).toBe(ids['kManual']);
        expect(h['x-request-id']).toBe(r.headers['x-request-id']);
        expect(r.headers['x-upstream']).toBe('echo');
        // The gateway's own connection may keep alive; the upstream's connection settings stay behind.
        expect(r.headers['keep-alive']).not.toBe('timeout=77');
      });

      it('drops underscore spellings of the headers it sets, which CGI-style upstreams read as the same', async () => {
        const r = await send(port(direct), {
          path: '/v1/x',
          headers: {
            ...bearer('kManual'),
            x_ipgate_tenant_id: 'ten_forged',
            'X_Ipgate_Key-Id': 'key_forged',
            x_forwarded_for: '10.0.0.1',
            x_request_id: 'forged',
            x_end_to_end: '2',
          },
        });
        const h = r.json().headers;
        expect(h['x_ipgate_tenant_id']).toBeUndefined();
        expect(h['x_ipgate_key-id']).toBeUndefined();
        expect(h['x_forwarded_for']).toBeUndefined();
        expect(h['x_request_id']).toBeUndefined();
        expect(h['x_end_to_end']).toBe('2');
        expect(h['x-ipgate-tenant-id']).toBe(ids['manual']);
      });

      it('answers 502 when the upstream refuses and 504 when it is too slow', async () => {
        expectDenied(await send(port(direct), { path: '/dead/x', headers: bearer('kOff') }), 502);
        expectDenied(await send(port(direct), { path: '/v1/x?sleep=1500', headers: bearer('kOff') }), 504);
      });
    });

    describe('gateway: changes and records', () => {
      it('enforces a change made through the store on the very next request after refresh()', async () => {
        const from = '127.0.0.3';
        expectDenied(await send(port(direct), { path: '/v1/x', from, headers: bearer('kManual') }));
        const entry = await store.addTenantIpEntry(ids['manual'] as string, { value: from }, actor);
        await engine.refresh();
        expect((await send(port(direct), { path: '/v1/x', from, headers: bearer('kManual') })).status).toBe(
          200,
        );
        await store.removeTenantIpEntry(ids['manual'] as string, entry.id, actor);
        await engine.refresh();
        expectDenied(await send(port(direct), { path: '/v1/x', from, headers: bearer('kManual') }));
      });

      it('writes every request to the log with its stage and reason', async () => {
        const r = await send(port(direct), {
          path: '/v1/x?secret=1',
          from: '127.0.0.3',
          headers: bearer('kManual'),
        });
        const requestId = r.headers['x-request-id'] as string;
        await recorder.flush();
        const logged = await store.getRequest(requestId);
        expect(logged).toMatchObject({
          tenantId: ids['manual'],
          apiId: ids['api'],
          keyId: ids['kManual'],
          client: '127.0.0.3',
          method: 'GET',
          path: '/v1/x',
          status: 403,
          decision: 'deny',
          stage: 'tenant-restriction',
          reason: 'tenant-ip-not-listed',
        });
      });
    });

    describe('gateway: a caller that leaves', () => {
      it('aborts the upstream request and records 499 client-closed', async () => {
        const since = new Date();
        const req = request({
          host: '127.0.0.1',
          port: port(direct),
          path: '/v1/left?sleep=400',
          headers: bearer('kOff'),
          localAddress: '127.0.0.2',
          agent: false,
        });
        req.on('error', () => {});
        req.end();
        await new Promise((resolve) => setTimeout(resolve, 100));
        req.destroy();
        await new Promise((resolve) => setTimeout(resolve, 100));
        await recorder.flush();
        const page = await store.listRequests({ apiId: ids['api'], since }, { limit: 50 });
        expect(page.items.find((r) => r.path === '/v1/left')).toMatchObject({
          status: 499,
          decision: 'allow',
          stage: 'upstream',
          reason: 'client-closed',
        });
      });
    });

    describe('gateway: graceful close', () => {
      it('finishes requests in flight, then stops accepting', async () => {
        const g = await startGateway({
          engine,
          recorder,
          clientAddress: socketPeer(),
          host: '127.0.0.1',
          port: 0,
          upstreamTimeoutMs: 2000,
        });
        const inFlight = send(port(g), { path: '/v1/x?sleep=300', headers: bearer('kOff') });
        await new Promise((r) => setTimeout(r, 100));
        const closed = g.close();
        expect((await inFlight).status).toBe(200);
        await closed;
        await expect(send(port(g), { path: '/v1/x', headers: bearer('kOff') })).rejects.toThrow(
          /ECONNREFUSED/,
        );
      });
    });
  });
}
