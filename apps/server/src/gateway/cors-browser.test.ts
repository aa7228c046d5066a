/**
 * CORS through the gateway, in a real browser (Debian's Chromium driven by playwright-core): a page on
 * one origin calls an API behind the gateway on another with a browser key in `Authorization`, which
 * makes Chromium send a preflight first. The gateway answers the preflight for origins some key's domain
 * rules list, puts the CORS headers on the allowed call, and gives nothing a page could read otherwise
 * (docs/architecture/pipeline.md#cors).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../config/load-settings.js';
import { type RunningServer, startServer } from '../serve.js';
import { openSqliteStore } from '../store/sqlite.js';

const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present) {
  if (process.env['CI'] === 'true')
    throw new Error(`${CHROMIUM} is missing; .ci/run installs Debian's chromium`);
  console.warn(`SKIPPED: the CORS browser tests need Debian's chromium at ${CHROMIUM}`);
}

const actor = { actor: 'test:cors' };

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A page server: any path answers an empty HTML page, so the page's origin is this server's. */
function pageServer(): Server {
  return createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>app</title>');
  });
}

interface FetchResult {
  readonly status?: number;
  readonly body?: string;
  readonly requestId?: string | null;
  readonly error?: string;
}

/** `fetch` from the page, with the key in Authorization (not a "simple" header: a preflight goes first). */
function browserFetch(page: Page, url: string, key: string, method = 'GET'): Promise<FetchResult> {
  return page.evaluate(
    async ({ url, key, method }) => {
      try {
        const r = await fetch(url, { method, headers: { Authorization: `Bearer ${key}` } });
        return { status: r.status, body: await r.text(), requestId: r.headers.get('x-request-id') };
      } catch (e) {
        return { error: String(e) };
      }
    },
    { url, key, method },
  );
}

describe.skipIf(!present)('CORS through the gateway, from a page on another origin in Chromium', () => {
  let dataDir: string;
  let server: RunningServer;
  let upstream: Server;
  let app: Server;
  let stranger: Server;
  let appOrigin: string;
  let strangerOrigin: string;
  let browser: Browser;
  let page: Page;
  const secrets = { browser: '', other: '', server: '' };

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      // An upstream that says "*" itself: the gateway must answer for what it decided instead.
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end(JSON.stringify({ hello: 'browser', method: req.method }));
    });
    const upstreamUrl = await listen(upstream);
    app = pageServer();
    appOrigin = await listen(app);
    stranger = pageServer();
    strangerOrigin = await listen(stranger);

    dataDir = mkdtempSync(join(tmpdir(), 'ipgate-cors-'));
    const store = await openSqliteStore({ path: join(dataDir, 'ipgate.db') });
    try {
      await store.createApi({ name: 'orders', pathPrefix: '/orders', upstreamUrl }, actor);
      // The tenant lists an office far away: browsers call from anywhere, and a browser key ignores this.
      const tenant = await store.createTenant({ name: 'shop', ipMode: 'manual' }, actor);
      await store.addTenantIpEntry(tenant.id, { value: '203.0.113.9', name: 'office' }, actor);
      const browserKey = await store.createKey(
        tenant.id,
        { name: 'web', domainRestrictionEnabled: true },
        actor,
      );
      await store.addKeyDomainEntry(tenant.id, browserKey.key.id, { value: appOrigin }, actor);
      secrets.browser = browserKey.secret;
      const other = await store.createKey(
        tenant.id,
        { name: 'other', domainRestrictionEnabled: true },
        actor,
      );
      await store.addKeyDomainEntry(tenant.id, other.key.id, { value: 'https://elsewhere.example' }, actor);
      secrets.other = other.secret;
      const backend = await store.createTenant({ name: 'backend', ipMode: 'off' }, actor);
      const serverKey = await store.createKey(
        backend.id,
        { name: 'backend', ipRestrictionEnabled: true },
        actor,
      );
      await store.addKeyIpEntry(backend.id, serverKey.key.id, { value: '127.0.0.1' }, actor);
      secrets.server = serverKey.secret;
    } finally {
      await store.close();
    }
    server = await startServer(
      loadSettings({
        flags: { listen: '127.0.0.1:0', adminListen: '127.0.0.1:0', dataDir, logLevel: 'silent' },
      }),
      { out: () => undefined, flush: async () => undefined },
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    for (const s of [upstream, app, stranger]) s?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a browser key called from its listed origin: preflight answered, the response readable', async () => {
    await page.goto(`${appOrigin}/`);
    for (const method of ['GET', 'POST']) {
      const r = await browserFetch(page, `${server.gatewayUrl}/orders/1`, secrets.browser, method);
      expect(r.error).toBeUndefined();
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body ?? '')).toEqual({ hello: 'browser', method });
      // Exposed by the gateway, so a page can quote it when asking why.
      expect(r.requestId).toMatch(/./);
    }
  }, 60_000);

  it('a key that does not list the page, and a page no key lists, get nothing the page can read', async () => {
    await page.goto(`${appOrigin}/`);
    const wrongKey = await browserFetch(page, `${server.gatewayUrl}/orders/1`, secrets.other);
    expect(wrongKey.error).toMatch(/TypeError/);
    const serverKey = await browserFetch(page, `${server.gatewayUrl}/orders/1`, secrets.server);
    expect(serverKey.error).toMatch(/TypeError/);
    await page.goto(`${strangerOrigin}/`);
    const stranger = await browserFetch(page, `${server.gatewayUrl}/orders/1`, secrets.browser);
    expect(stranger.error).toMatch(/TypeError/);
  }, 60_000);

  it('on the wire: the preflight answer, the headers of an allowed call, and a refused preflight', async () => {
    const preflight = await request(`${server.gatewayUrl}/orders/1`, {
      method: 'OPTIONS',
      headers: {
        origin: appOrigin,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    await preflight.body.dump();
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(appOrigin);
    expect(preflight.headers['access-control-allow-methods']).toBe('PUT');
    expect(preflight.headers['access-control-allow-headers']).toBe('authorization, content-type');
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    expect(preflight.headers['vary']).toContain('Origin');

    const call = await request(`${server.gatewayUrl}/orders/1`, {
      headers: { origin: appOrigin, authorization: `Bearer ${secrets.browser}` },
    });
    await call.body.dump();
    expect(call.statusCode).toBe(200);
    // The upstream's "*" is replaced by the origin the key's domain rules let through.
    expect(call.headers['access-control-allow-origin']).toBe(appOrigin);
    expect(call.headers['access-control-expose-headers']).toBe('X-Request-Id');
    expect(call.headers['vary']).toContain('Origin');

    // A server call with the server key gets no CORS headers; the upstream's own are passed on.
    const serverCall = await request(`${server.gatewayUrl}/orders/1`, {
      headers: { authorization: `Bearer ${secrets.server}` },
    });
    await serverCall.body.dump();
    expect(serverCall.statusCode).toBe(200);
    expect(serverCall.headers['access-control-allow-origin']).toBe('*');

    const refused = await request(`${server.gatewayUrl}/orders/1`, {
      method: 'OPTIONS',
      headers: { origin: strangerOrigin, 'access-control-request-method': 'GET' },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.parse(await refused.body.text())).toMatchObject({
      error: "Access denied. You don't have permission to access this.",
    });
  });
});
