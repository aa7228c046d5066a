/**
 * docs/caddy-forward-auth.Caddyfile against real Caddy (Debian's package): ipgate (startServer,
 * trusting 127.0.0.1) decides, Caddy runs from a temp dir with the shipped site block (only its three
 * addresses changed, the admin endpoint off) in front of a small upstream, and clients send from
 * 127.0.0.2 and 127.0.0.3. Under CI=true a missing Caddy fails the run; elsewhere the suite says so
 * loudly and skips. The packaged system service is never used.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@ipgate/test-support/sockets';
import { SuiteResources } from '@ipgate/test-support/suite-resources';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DecisionServer, startDecisionServer } from './decision-server.test-support.js';
import {
  PROXY_REQUEST_TIMEOUTS,
  PROXY_SUITE_START_MS,
  PROXY_SUITE_STOP_MS,
  proxyBinaryPresent,
  shippedConfig,
  sourceAgents,
  stopProcess,
  waitForListening,
} from './local-proxy.test-support.js';
import {
  itDeniesAndAsksForAKey,
  itRecordsAndFollowsRuleChanges,
  type ProxyUnderTest,
} from './proxy-scenarios.test-support.js';

const CADDY = process.env['CADDY_BIN'] ?? '/usr/bin/caddy';
const present = proxyBinaryPresent({
  name: 'Caddy',
  path: CADDY,
  tests: 'the Caddy forward_auth tests',
  aptPackage: 'caddy',
});

let s: DecisionServer;
let dir: string;
let base: string;
const started = new SuiteResources();
let caddyLog = '';
const agents = sourceAgents();

describe.skipIf(!present)('Caddy forward_auth with docs/caddy-forward-auth.Caddyfile', () => {
  beforeAll(async () => {
    s = await started.add(startDecisionServer(), (server) => server.close(), 'ipgate');
    dir = await started.add(
      mkdtempSync(join(tmpdir(), 'ipgate-caddy-')),
      (d) => rmSync(d, { recursive: true, force: true }),
      'the temp dir',
    );
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await startCaddy('main', port, new URL(s.server.adminUrl).host);
    // An API served on one host only, to see that ipgate routes by the Host the client sent.
    const created = await fetch(`${s.server.adminUrl}/v1/apis`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.ownerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'hosted',
        host: 'hosted.test',
        pathPrefix: '/hosted',
        upstreamUrl: s.upstreamUrl,
      }),
    });
    if (created.status !== 201) throw new Error(`creating the hosted API: ${await created.text()}`);
  }, PROXY_SUITE_START_MS);

  afterAll(async () => {
    try {
      await agents.close();
    } finally {
      await started.closeAll();
    }
  }, PROXY_SUITE_STOP_MS);

  const call = async (address: string, path: string, headers: Record<string, string> = {}, url = base) => {
    const res = await request(`${url}${path}`, {
      headers,
      dispatcher: agents.from(address),
      ...PROXY_REQUEST_TIMEOUTS,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  };
  const key = () => ({ authorization: `Bearer ${s.world.secrets.plain}` });
  const proxy: ProxyUnderTest = {
    server: () => s,
    call: (address, path, headers) => call(address, path, headers),
  };
  const upstreamSaw = (text: string) =>
    JSON.parse(text) as { upstream: boolean; path: string; headers: Record<string, string> };

  it('a listed address with a valid key reaches the upstream, which learns the tenant, key and request id', async () => {
    const res = await call('127.0.0.2', '/orders/7?x=1', {
      ...key(),
      'x-real-ip': '10.9.9.9',
      'true-client-ip': '10.9.9.9',
      // ipgate's answer replaces these on allow: a client cannot name another tenant to the upstream.
      'x-ipgate-tenant-id': 'ten_spoofed',
      'x-request-id': 'req_spoofed',
    });
    expect(res.status, `${res.text}\n${caddyLog}`).toBe(200);
    const seen = upstreamSaw(res.text);
    expect(seen.upstream).toBe(true);
    expect(seen.path).toBe('/orders/7?x=1');
    expect(seen.headers['x-ipgate-tenant-id']).toBe(s.world.tenants.plain);
    expect(seen.headers['x-ipgate-key-id']).toMatch(/^key_/);
    expect(seen.headers['x-request-id']).toMatch(/^req_[A-Za-z0-9_-]{16}$/);
    expect(seen.headers['x-real-ip']).toBe('127.0.0.2');
    expect(seen.headers['true-client-ip']).toBeUndefined();
  });

  itDeniesAndAsksForAKey(proxy);

  it("ipgate reads the client from Caddy's X-Forwarded-For: a client's own X-Forwarded-For never wins", async () => {
    // Caddy does not trust its clients' forwarding headers: it replaces X-Forwarded-For with the
    // address it saw, and ipgate trusts only Caddy's address (127.0.0.1).
    for (const spoof of ['127.0.0.2', '127.0.0.2, 127.0.0.2', '127.0.0.1']) {
      const denied = await call('127.0.0.3', '/orders/7', { ...key(), 'x-forwarded-for': spoof });
      expect(denied.status, spoof).toBe(403);
    }
    const allowed = await call('127.0.0.2', '/orders/7', { ...key(), 'x-forwarded-for': '127.0.0.3' });
    expect(allowed.status).toBe(200);
    // The upstream sees the one address Caddy saw, not the client's claim.
    expect(upstreamSaw(allowed.text).headers['x-forwarded-for']).toBe('127.0.0.2');
  });

  it('ipgate routes by the Host the client sent to Caddy', async () => {
    const res = await call('127.0.0.2', '/hosted/1', { ...key(), host: 'hosted.test' });
    expect(res.status, res.text).toBe(200);
    expect(upstreamSaw(res.text).path).toBe('/hosted/1');
    const other = await call('127.0.0.2', '/hosted/1', { ...key(), host: 'other.test' });
    expect(other.status).toBe(404);
  });

  it('a client cannot choose the URI or host ipgate decides about', async () => {
    // No API serves either request: had ipgate read the client's header, it would have allowed it.
    const uri = await call('127.0.0.2', '/nothing-here', { ...key(), 'x-forwarded-uri': '/orders/7' });
    expect(uri.status).toBe(404);
    const host = await call('127.0.0.2', '/hosted/1', {
      ...key(),
      host: 'other.test',
      'x-forwarded-host': 'hosted.test',
    });
    expect(host.status).toBe(404);
  });

  it('no route is 404 with the gateway body, passed through by Caddy', async () => {
    const res = await call('127.0.0.2', '/nothing-here', key());
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text)).toMatchObject({ error: 'No API is served at this address.' });
  });

  // Caddy replaces the client's X-Forwarded-* with what it saw.
  itRecordsAndFollowsRuleChanges(proxy, { 'x-forwarded-for': '127.0.0.2', 'x-forwarded-method': 'DELETE' });

  it('ipgate unreachable: Caddy answers 502 and nothing reaches the upstream', async () => {
    const port = await freePort();
    const closed = `127.0.0.1:${await freePort()}`;
    await startCaddy('unreachable', port, closed);
    const res = await call('127.0.0.2', '/orders/7', key(), `http://127.0.0.1:${port}`);
    expect(res.status).toBe(502);
    expect(res.text).not.toContain('"upstream":true');
  });
});

/**
 * Runs `caddy run` on the shipped site block, its three CHANGE addresses pointed at this test's
 * servers (the site keeps answering any Host, on loopback only), with Caddy's admin endpoint off and
 * its state in the temp dir (two test runs, or the packaged service, never meet on :2019 or in
 * /var/lib/caddy).
 */
async function startCaddy(name: string, port: number, ipgate: string): Promise<void> {
  const config = join(dir, `${name}.Caddyfile`);
  writeFileSync(config, `{\n\tadmin off\n\tdefault_bind 127.0.0.1\n}\n\n${shippedSite(port, ipgate)}`);
  const caddy = await started.add(
    spawn(CADDY, ['run', '--config', config, '--adapter', 'caddyfile'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir },
    }),
    (child: ChildProcess) => stopProcess(child, 'SIGTERM'),
    `caddy (${name})`,
  );
  const collect = (d: Buffer) => {
    caddyLog += d.toString();
  };
  caddy.stderr?.on('data', collect);
  caddy.stdout?.on('data', collect);
  await waitForListening(port, caddy, 'caddy', () => caddyLog);
}

/** The shipped site block with its three CHANGE addresses replaced. */
function shippedSite(port: number, ipgate: string): string {
  return shippedConfig('caddy-forward-auth.Caddyfile', [
    ['\n:80 {\n', `\nhttp://:${port} {\n`],
    ['forward_auth 127.0.0.1:8081 {', `forward_auth ${ipgate} {`],
    ['reverse_proxy 127.0.0.1:3000 {', `reverse_proxy ${new URL(s.upstreamUrl).host} {`],
  ]);
}
