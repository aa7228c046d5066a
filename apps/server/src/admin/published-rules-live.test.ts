/**
 * liveRules against the real ipgate server's `/v1/rules/…` (the admin app of apps/server over a real
 * socket and a SQLite store), not the fake: a change reaches a running gate within 1 s, the server
 * going away leaves the last good rules, and a restart without it starts from the cache file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpGate, type LiveRules, liveRules } from '@ipgate/node';
import { until } from '@ipgate/test-support/fake-rules-server';
import { close, listen, send } from '@ipgate/test-support/sockets';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteFactory } from '../store/test-stores.test-support.js';
import { type AdminFixture, openAdminFixture } from './admin-fixture.test-support.js';

let f: AdminFixture | undefined;
let url: string;
let dir: string;
let app: Server | undefined;
const sources: LiveRules[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ipgate-live-real-'));
  f = await openAdminFixture(sqliteFactory());
  await f.app.listen({ host: '127.0.0.1', port: 0 });
  const address = f.app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  url = `http://127.0.0.1:${address.port}`;
});
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close()));
  if (app) await close(app);
  app = undefined;
  await f?.close();
  f = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function follow(fixture: AdminFixture, cacheFile: string): LiveRules {
  const rules = liveRules({
    url,
    token: fixture.tokens.a.viewer,
    scope: { tenantId: fixture.a.tenantId },
    cacheFile,
    backoff: { initialMs: 20, maxMs: 100 },
    startTimeoutMs: 1000,
  });
  sources.push(rules);
  return rules;
}

async function serveWith(rules: LiveRules): Promise<number> {
  const gate = httpGate({ allow: rules });
  app = createServer((req, res) => {
    if (gate(req, res)) res.end('ok');
  });
  return listen(app);
}

describe('liveRules against ipgate serve', () => {
  it('follows a tenant: a change within 1 s, last good rules when the server goes, the cache on restart', async () => {
    const fixture = f as AdminFixture;
    const cacheFile = join(dir, 'rules.json');
    const rules = follow(fixture, cacheFile);
    expect(await rules.ready).toEqual({ from: 'server' });
    const port = await serveWith(rules);
    expect((await send(port, '127.0.0.2')).status).toBe(403); // manual mode, not listed

    const before = rules.current()?.version;
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the long poll reach the server
    const t0 = performance.now();
    await fixture.store.addTenantIpEntry(
      fixture.a.tenantId,
      { value: '127.0.0.2', name: 'ci' },
      { actor: 'test' },
    );
    await fixture.engine.refresh();
    await until(() => rules.current()?.version !== before, 1000);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect((await send(port, '127.0.0.2')).status).toBe(200);
    expect((await send(port, '127.0.0.3')).status).toBe(403);

    await fixture.close();
    f = undefined;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await send(port, '127.0.0.2')).status).toBe(200);
    expect((await send(port, '127.0.0.3')).status).toBe(403);

    const restarted = follow(fixture, cacheFile);
    expect(await restarted.ready).toEqual({ from: 'cache' });
    if (app) await close(app);
    const port2 = await serveWith(restarted);
    expect((await send(port2, '127.0.0.2')).status).toBe(200);
    expect((await send(port2, '127.0.0.3')).status).toBe(403);
  });
});
