/**
 * What a caller can make the upstream believe through headers: the host (a malformed or doubled Host
 * must never reach a host-less API past a host-scoped API's allowlist), rewrite headers, and
 * forwarding headers no configured proxy vouches for. Real gateway, real upstream, real sockets.
 */
import { connect } from 'node:net';
import { socketPeer, trustedProxies } from '@ipgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecorder } from '../records/recorder.js';
import { createSnapshotEngine, type SnapshotEngine } from '../snapshot/snapshot-engine.js';
import type { Store } from '../store/store.js';
import { sqliteFactory } from '../store/test-stores.test-support.js';
import { send, startEcho } from './gateway.test-support.js';
import { type Gateway, startGateway } from './start-gateway.js';

const actor = { actor: 'test' };
let echo: Awaited<ReturnType<typeof startEcho>>;
let store: Store;
let engine: SnapshotEngine;
let recorder: ReturnType<typeof createRecorder>;
let direct: Gateway;
let behindProxy: Gateway; // trusts 127.0.0.2, which writes X-Forwarded-For
let secret = '';
const port = (g: Gateway) => Number(new URL(g.url).port);

/** One raw HTTP/1.1 request, written as is (Node's client would refuse or fix some of these). */
function raw(gatewayPort: number, head: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port: gatewayPort, host: '127.0.0.1', localAddress: '127.0.0.2' });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
    // Written, not ended: a half-closed connection would count as a caller that left.
    socket.write(`${head}\r\nConnection: close\r\n\r\n`);
  });
}

beforeAll(async () => {
  echo = await startEcho();
  store = await sqliteFactory().open();
  // The attack's set-up: a host-scoped API behind an allowlist the caller is not on, and a host-less
  // API on the same prefix, open to any address with a key.
  const secure = await store.createApi(
    { name: 'secure', host: 'secure.example', pathPrefix: '/', upstreamUrl: echo.url },
    actor,
  );
  await store.addApiAllowlistEntry(secure.id, { value: '127.0.0.9' }, actor);
  await store.createApi({ name: 'open', pathPrefix: '/', upstreamUrl: echo.url }, actor);
  const tenant = await store.createTenant({ name: 'Acme', ipMode: 'off' }, actor);
  secret = (await store.createKey(tenant.id, { name: 'ci' }, actor)).secret;
  engine = createSnapshotEngine({ store });
  await engine.refresh();
  recorder = createRecorder({ store, flushIntervalMs: 60_000 });
  const common = { engine, recorder, port: 0, upstreamTimeoutMs: 2000, host: '127.0.0.1' };
  direct = await startGateway({ ...common, clientAddress: socketPeer() });
  behindProxy = await startGateway({ ...common, clientAddress: trustedProxies({ trusted: ['127.0.0.2'] }) });
});

afterAll(async () => {
  await direct?.close();
  await behindProxy?.close();
  await recorder?.close();
  engine?.close();
  await store?.close();
  await echo?.close();
});

describe('Host', () => {
  it('routes a strict Host to its host-scoped API, whose allowlist denies the caller', async () => {
    const r = await raw(
      port(direct),
      `GET /orders HTTP/1.1\r\nHost: secure.example\r\nAuthorization: Bearer ${secret}`,
    );
    expect(r.status).toBe(403);
  });

  it.each([
    'secure.example,x',
    'evil@secure.example',
    'secure.example/',
    'secure.example\\',
    'secure.example:',
    'secure.example;x',
    'sec%75re.example',
  ])('refuses Host: %s with 400 instead of routing it to the host-less API', async (host) => {
    const r = await raw(
      port(direct),
      `GET /orders HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${secret}`,
    );
    expect(r.status).toBe(400);
    expect(r.text).toContain('The Host header must be');
  });

  it('refuses two Host headers', async () => {
    const r = await raw(
      port(direct),
      `GET /orders HTTP/1.1\r\nHost: other.example\r\nHost: secure.example\r\nAuthorization: Bearer ${secret}`,
    );
    expect(r.status).toBe(400);
  });

  it('tells the upstream the host it routed on, in canonical form, never the raw one', async () => {
    const r = await send(port(direct), {
      path: '/orders',
      headers: { host: 'Other.Example.:8080', authorization: `Bearer ${secret}` },
    });
    expect(r.status).toBe(200);
    const seen = r.json();
    expect(seen.headers['x-forwarded-host']).toBe('other.example:8080');
    expect(seen.headers.forwarded).toBe('for=127.0.0.2;host="other.example:8080";proto=http');
  });
});

describe('rewrite and client-address headers', () => {
  const sent = {
    'x-original-url': '/admin',
    'x-rewrite-url': '/admin',
    'x-forwarded-prefix': '/admin',
    'x-forwarded-port': '8443',
    'x-forwarded-server': 'evil',
    'x-forwarded-ssl': 'on',
    'x-forwarded-scheme': 'https',
    'front-end-https': 'on',
    'x-url-scheme': 'https',
    'client-ip': '10.0.0.1',
    'x-originating-ip': '10.0.0.1',
    'x-remote-addr': '10.0.0.1',
    'x-proxyuser-ip': '10.0.0.1',
    'x-forwarded': 'for=10.0.0.1',
    'forwarded-for': '10.0.0.1',
    'x-envoy-external-address': '10.0.0.1',
    x_original_url: '/admin',
  };

  it('never reach the upstream, in any spelling', async () => {
    const r = await send(port(direct), {
      path: '/orders',
      headers: { authorization: `Bearer ${secret}`, ...sent, 'x-kept': '1' },
    });
    expect(r.status).toBe(200);
    const seen = r.json().headers;
    for (const name of Object.keys(sent)) expect(seen[name], name).toBeUndefined();
    expect(seen['x-kept']).toBe('1');
  });
});

describe('forwarding headers behind a trusted proxy that writes X-Forwarded-For', () => {
  it('extends X-Forwarded-For only; Forwarded, X-Forwarded-Host and -Proto say what ipgate saw', async () => {
    const r = await send(port(behindProxy), {
      path: '/orders',
      headers: {
        authorization: `Bearer ${secret}`,
        host: 'other.example',
        'x-forwarded-for': '203.0.113.7',
        forwarded: 'for=10.6.6.6;host=secure.example;proto=https',
        'x-forwarded-host': 'secure.example',
        'x-forwarded-proto': 'https',
      },
    });
    expect(r.status).toBe(200);
    const seen = r.json().headers;
    expect(seen['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.2');
    expect(seen.forwarded).toBe('for=203.0.113.7;host=other.example;proto=http');
    expect(seen['x-forwarded-host']).toBe('other.example');
    expect(seen['x-forwarded-proto']).toBe('http');
  });

  it('extends Forwarded only when that is the header the proxy writes', async () => {
    const viaForwarded = await startGateway({
      engine,
      recorder,
      port: 0,
      upstreamTimeoutMs: 2000,
      host: '127.0.0.1',
      clientAddress: trustedProxies({ trusted: ['127.0.0.2'], header: 'forwarded' }),
    });
    try {
      const r = await send(port(viaForwarded), {
        path: '/orders',
        headers: {
          authorization: `Bearer ${secret}`,
          host: 'other.example',
          forwarded: 'for=203.0.113.7;proto=https',
          'x-forwarded-for': '10.6.6.6',
          'x-forwarded-host': 'secure.example',
        },
      });
      expect(r.status).toBe(200);
      const seen = r.json().headers;
      expect(seen.forwarded).toBe('for=203.0.113.7;proto=https, for=127.0.0.2;host=other.example;proto=http');
      expect(seen['x-forwarded-for']).toBe('203.0.113.7');
      expect(seen['x-forwarded-host']).toBe('other.example');
    } finally {
      await viaForwarded.close();
    }
  });
});
