import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from './config/load-settings.js';
import { type RunningServer, startServer } from './serve.js';

/** A request from a chosen loopback source address, as a client on another host would send it. */
async function call(url: string, options: { from?: string; headers?: Record<string, string> } = {}) {
  const { Agent } = await import('undici');
  const dispatcher = new Agent({ localAddress: options.from ?? '127.0.0.1' });
  try {
    const r = await request(url, { headers: options.headers ?? {}, dispatcher });
    const text = await r.body.text();
    return { status: r.statusCode, headers: r.headers, text };
  } finally {
    await dispatcher.close();
  }
}

describe('startServer with the demo, on the embedded SQLite store', () => {
  let dataDir: string;
  let server: RunningServer;
  const lines: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ipgate-serve-'));
    const settings = loadSettings({
      flags: {
        listen: '127.0.0.1:0',
        adminListen: '127.0.0.1:0',
        dataDir,
        demo: true,
        demoUpstreamPort: '0',
        logLevel: 'silent',
      },
    });
    server = await startServer(settings, { out: (l) => lines.push(l), flush: async () => {} });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the owner token once, the admin URL and the two demo curl lines', () => {
    const banner = lines.join('\n');
    expect(server.ownerToken).toMatch(/\S{20,}/);
    expect(banner).toContain(server.ownerToken);
    expect(banner).toContain(`${server.adminUrl}/v1`);
    expect(server.demoKeySecret).toBeTruthy();
    expect(banner).toContain(
      `curl -i -H 'Authorization: Bearer ${server.demoKeySecret}' ${server.gatewayUrl}/hello`,
    );
    expect(banner).toContain('--interface 127.0.0.2');
  });

  it('the demo key passes from 127.0.0.1 and reaches the demo upstream', async () => {
    const r = await call(`${server.gatewayUrl}/hello`, {
      headers: { authorization: `Bearer ${server.demoKeySecret}` },
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ message: 'Hello from the demo upstream', path: '/hello' });
  });

  it('the same key from 127.0.0.2 gets the documented 403 body', async () => {
    const r = await call(`${server.gatewayUrl}/hello`, {
      from: '127.0.0.2',
      headers: { authorization: `Bearer ${server.demoKeySecret}` },
    });
    expect(r.status).toBe(403);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(r.text);
    expect(body.error).toBe("Access denied. You don't have permission to access this.");
    expect(body.requestId).toBe(r.headers['x-request-id']);
  });

  it('the owner token reads the management API; no token gets 401', async () => {
    const ok = await call(`${server.adminUrl}/v1/tenants`, {
      headers: { authorization: `Bearer ${server.ownerToken}` },
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text).items.map((t: { name: string }) => t.name)).toContain('Demo Co');
    expect((await call(`${server.adminUrl}/v1/tenants`)).status).toBe(401);
  });

  it('a change through the management API is enforced on the very next request', async () => {
    const owner = { authorization: `Bearer ${server.ownerToken}`, 'content-type': 'application/json' };
    const tenants = JSON.parse((await call(`${server.adminUrl}/v1/tenants`, { headers: owner })).text);
    const tenantId = tenants.items[0].id as string;
    const { Agent } = await import('undici');
    const dispatcher = new Agent({ localAddress: '127.0.0.1' });
    try {
      const added = await request(`${server.adminUrl}/v1/tenants/${tenantId}/ip-restriction/entries`, {
        method: 'POST',
        headers: owner,
        body: JSON.stringify({ value: '127.0.0.2', name: 'second loopback' }),
        dispatcher,
      });
      expect(added.statusCode).toBe(201);
      await added.body.dump();
    } finally {
      await dispatcher.close();
    }
    const r = await call(`${server.gatewayUrl}/hello`, {
      from: '127.0.0.2',
      headers: { authorization: `Bearer ${server.demoKeySecret}` },
    });
    expect(r.status).toBe(200);
  });

  it('serves /healthz, /readyz and Prometheus metrics with the snapshot version', async () => {
    expect((await call(`${server.adminUrl}/healthz`)).status).toBe(200);
    expect((await call(`${server.adminUrl}/readyz`)).status).toBe(200);
    const metrics = await call(`${server.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^ipgate_snapshot_version \d+$/m);
    expect(metrics.text).toMatch(
      /ipgate_gateway_requests_total\{decision="deny",stage="tenant-restriction",reason="tenant-ip-not-listed"\} \d+/,
    );
    expect(metrics.text).toMatch(/ipgate_gateway_request_duration_seconds_count\{decision="allow"\} \d+/);
  });
});

describe('startServer on a store that has been started before', () => {
  it('prints no new owner token and keeps the demo as it was', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-serve-'));
    const flags = {
      listen: '127.0.0.1:0',
      adminListen: '127.0.0.1:0',
      dataDir,
      demo: true,
      demoUpstreamPort: '0',
      logLevel: 'silent',
    } as const;
    const io = { out: () => {}, flush: async () => {} };
    try {
      const first = await startServer(loadSettings({ flags }), io);
      // A request just before shutdown: close() must write the buffered request record.
      const denied = await call(`${first.gatewayUrl}/hello`, {
        from: '127.0.0.3',
        headers: { authorization: `Bearer ${first.demoKeySecret}` },
      });
      expect(denied.status).toBe(403);
      const requestId = denied.headers['x-request-id'] as string;
      await first.close();
      const lines: string[] = [];
      const second = await startServer(loadSettings({ flags }), {
        out: (l) => lines.push(l),
        flush: async () => {},
      });
      try {
        expect(second.ownerToken).toBeUndefined();
        expect(second.demoKeySecret).toBeUndefined();
        expect(lines.join('\n')).toMatch(/a new secret: curl -X POST/);
        // The demo API still routes (to a new demo upstream port the demo was not updated for):
        // what matters here is that the rules survived the restart.
        const r = await call(`${second.gatewayUrl}/hello`, { headers: { authorization: 'Bearer wrong' } });
        expect(r.status).toBe(401);
        const owner = { authorization: `Bearer ${first.ownerToken}` };
        const tenants = JSON.parse((await call(`${second.adminUrl}/v1/tenants`, { headers: owner })).text);
        const tenantId = tenants.items[0].id as string;
        const logged = await call(`${second.adminUrl}/v1/tenants/${tenantId}/requests/${requestId}`, {
          headers: owner,
        });
        expect(logged.status).toBe(200);
        expect(JSON.parse(logged.text)).toMatchObject({
          requestId,
          client: '127.0.0.3',
          decision: 'deny',
          stage: 'tenant-restriction',
        });
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a port that is taken, naming the setting and what to do', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-serve-'));
    const io = { out: () => {}, flush: async () => {} };
    const first = await startServer(
      loadSettings({
        flags: { listen: '127.0.0.1:0', adminListen: '127.0.0.1:0', dataDir, logLevel: 'silent' },
      }),
      io,
    );
    try {
      const taken = new URL(first.gatewayUrl).port;
      await expect(
        startServer(
          loadSettings({
            flags: {
              listen: `127.0.0.1:${taken}`,
              adminListen: '127.0.0.1:0',
              dataDir: `${dataDir}-2`,
              logLevel: 'silent',
            },
          }),
          io,
        ),
      ).rejects.toMatchObject({
        code: 'IPG_CONFIG_INVALID',
        field: 'listen',
        message: expect.stringMatching(/already in use \(EADDRINUSE\)/),
        hint: expect.stringMatching(/--listen/),
      });
    } finally {
      await first.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(`${dataDir}-2`, { recursive: true, force: true });
    }
  });
});
