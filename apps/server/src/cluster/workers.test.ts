import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `ipgate serve --workers 2` as a real process tree (the built CLI, as `npm start` runs it; build
 * with `npx tsc -b` first): the management API answers a write only once every worker enforces it,
 * a killed worker is replaced, and SIGTERM drains everything and exits 0. Polling is set to a minute, so nothing but the refresh
 * the server process sends to its workers can make a change visible in time.
 */
const bin = fileURLToPath(new URL('../../../cli/bin/ipgate.js', import.meta.url));

interface Serve {
  readonly child: ChildProcess;
  readonly gatewayUrl: string;
  readonly adminUrl: string;
  readonly token: string;
  /** Standard error so far: pino JSON lines of the server process and its workers. */
  logs(): string;
  exited: Promise<number | null>;
}

function startServe(dataDir: string): Promise<Serve> {
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--workers',
      '2',
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
      '--data-dir',
      dataDir,
      '--sync-interval',
      '60s',
      '--log-level',
      'info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in time:\n${out}\n${err}`)), 25_000);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const gateway = /gateway \(proxy\): +(http:\/\/\S+)/.exec(out);
      const admin = /admin API: +(http:\/\/\S+)\/v1/.exec(out);
      const token = /^ {2}(ipg_adm_\S+)$/m.exec(out)?.[1];
      if (gateway !== null && admin !== null && token !== undefined) {
        clearTimeout(timer);
        resolve({
          child,
          gatewayUrl: gateway[1] as string,
          adminUrl: admin[1] as string,
          token,
          logs: () => err,
          exited,
        });
      }
    });
    void exited.then((code) => reject(new Error(`ipgate serve exited with ${code}:\n${err}`)));
  });
}

/** Pids of the workers whose gateway listens, in the order they started listening. */
function listeningWorkers(logs: string): number[] {
  return logs
    .split('\n')
    .filter((l) => l.includes('"msg":"gateway worker listening"'))
    .map((l) => (JSON.parse(l) as { pid: number }).pid);
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One request on a connection of its own (no keep-alive), so the cluster hands it to the next worker. */
function freshRequest(url: string, secret: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, headers: { authorization: `Bearer ${secret}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

describe('ipgate serve --workers 2 (SQLite shared by three processes)', () => {
  let dataDir: string;
  let upstream: Server;
  let serve: Serve;
  let admin: Agent;
  let tenantId: string;
  let secret: string;

  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    const r = await request(`${serve.adminUrl}${path}`, {
      method: method as 'GET',
      dispatcher: admin,
      headers: {
        authorization: `Bearer ${serve.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.body.text();
    return { status: r.statusCode, json: text === '' ? undefined : JSON.parse(text) };
  }

  /** Statuses of `n` requests through the gateway, each on a fresh connection. */
  async function burst(n: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) statuses.push(await freshRequest(`${serve.gatewayUrl}/v1/thing`, secret));
    return statuses;
  }

  /** Adds 127.0.0.1 to the tenant list, then takes it away again; each change is checked at once. */
  async function toggleRounds(rounds: number): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      const added = await call('POST', `/v1/tenants/${tenantId}/ip-restriction/entries`, {
        value: '127.0.0.1',
        confirmLockout: true,
      });
      expect(added.status).toBe(201);
      expect(await burst(6)).toEqual([200, 200, 200, 200, 200, 200]);
      const entryId = (added.json as { id: string }).id;
      const removed = await call(
        'DELETE',
        `/v1/tenants/${tenantId}/ip-restriction/entries/${entryId}?confirmLockout=true`,
      );
      expect(removed.status).toBe(204);
      expect(await burst(6)).toEqual([403, 403, 403, 403, 403, 403]);
    }
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ipgate-workers-'));
    upstream = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    serve = await startServe(dataDir);
    admin = new Agent();
    const tenant = await call('POST', '/v1/tenants', { name: 'Workers' });
    expect(tenant.status).toBe(201);
    tenantId = (tenant.json as { id: string }).id;
    const port = (upstream.address() as AddressInfo).port;
    const api = await call('POST', '/v1/apis', { name: 'Thing', upstreamUrl: `http://127.0.0.1:${port}` });
    expect(api.status).toBe(201);
    const key = await call('POST', `/v1/tenants/${tenantId}/keys`, { name: 'k' });
    expect(key.status).toBe(201);
    secret = (key.json as { secret: string }).secret;
  }, 40_000);

  afterAll(async () => {
    if (serve !== undefined && serve.child.exitCode === null) {
      serve.child.kill('SIGKILL');
      await serve.exited;
    }
    await admin?.close();
    await new Promise((r) => upstream?.close(r));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts two workers on one proxy port', () => {
    const pids = listeningWorkers(serve.logs());
    expect(pids).toHaveLength(2);
    expect(new Set(pids).size).toBe(2);
  });

  it('enforces each change through the admin API on the very next request, whichever worker takes it', async () => {
    expect(await burst(4)).toEqual([403, 403, 403, 403]); // manual mode, empty list
    await toggleRounds(3);
  });

  it('serves the workers’ gateway metrics, summed, at the primary’s /metrics', async () => {
    const r = await request(`${serve.adminUrl}/metrics`, { dispatcher: admin });
    const text = await r.body.text();
    expect(r.statusCode).toBe(200);
    const denied =
      /ipgate_gateway_requests_total\{decision="deny",stage="tenant-restriction",reason="[a-z-]+"\} (\d+)/g;
    const total = [...text.matchAll(denied)].reduce((n, m) => n + Number(m[1]), 0);
    // Every request of the test above was denied or allowed by one of the two workers.
    expect(total).toBeGreaterThanOrEqual(4 + 3 * 6);
    expect(text).toMatch(/ipgate_gateway_request_duration_seconds_count\{decision="allow"\} \d+/);
    expect(text).toMatch(/^ipgate_snapshot_version \d+$/m);
    expect(text).toMatch(/ipgate_admin_requests_total/);
  });

  it('replaces a killed worker, logs it, and the replacement follows changes too', async () => {
    const [victim, survivor] = listeningWorkers(serve.logs()) as [number, number];
    process.kill(victim, 'SIGKILL');
    const replacement = await waitFor('a replacement worker', () =>
      listeningWorkers(serve.logs()).find((pid) => pid !== victim && pid !== survivor),
    );
    expect(isAlive(replacement)).toBe(true);
    expect(serve.logs()).toContain('"msg":"gateway worker died; starting a replacement"');
    expect(serve.logs()).toMatch(new RegExp(`"pid":${victim},"code":null,"signal":"SIGKILL"`));
    await toggleRounds(2);
  });

  it('drains the workers and exits 0 on SIGTERM', async () => {
    const workers = listeningWorkers(serve.logs()).filter(isAlive);
    expect(workers).toHaveLength(2);
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(workers.filter(isAlive)).toEqual([]);
    expect(serve.logs().match(/"msg":"gateway worker stopped"/g)?.length).toBeGreaterThanOrEqual(2);
  });
});
