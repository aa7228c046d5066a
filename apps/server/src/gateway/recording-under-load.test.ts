import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { socketPeer } from '@ipgate/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createThreadedRecorder } from '../records/threaded-recorder.js';
import { createSnapshotEngine } from '../snapshot/snapshot-engine.js';
import { openSqliteStore } from '../store/sqlite.js';
import { startEcho } from './gateway.test-support.js';
import { startGateway } from './start-gateway.js';

const actor = { actor: 'test' };
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** One GET on a keep-alive agent; resolves with the status and the request id. */
function get(agent: Agent, port: number, secret: string): Promise<{ status: number; id: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/x', agent, headers: { authorization: `Bearer ${secret}` } },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, id: String(res.headers['x-request-id']) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('recording under load', () => {
  // The gateway as a worker runs it: records packed and handed to the recorder thread in bulk.
  it('records every request, with its observation, when many run at once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-recording-load-'));
    dirs.push(dataDir);
    const echo = await startEcho();
    const store = await openSqliteStore({ path: join(dataDir, 'ipgate.db') });
    const api = await store.createApi({ name: 'a', pathPrefix: '/v1', upstreamUrl: echo.url }, actor);
    await store.addApiAllowlistEntry(api.id, { value: '127.0.0.1' }, actor);
    const tenant = await store.createTenant({ name: 't', ipMode: 'manual' }, actor);
    await store.addTenantIpEntry(tenant.id, { value: '127.0.0.1' }, actor);
    const { key, secret } = await store.createKey(tenant.id, { name: 'k' }, actor);
    const engine = createSnapshotEngine({ store });
    await engine.refresh();
    // Small hand-overs and a long timer: the load, not the timer, decides when calls cross over.
    const recorder = await createThreadedRecorder({
      store: { dataDir, databaseUrl: undefined },
      recorder: { flushIntervalMs: 60_000 },
      postAt: 64,
      postEveryMs: 60_000,
    });
    const gateway = await startGateway({
      engine,
      clientAddress: socketPeer(),
      recorder,
      host: '127.0.0.1',
      port: 0,
      upstreamTimeoutMs: 5_000,
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 50 });
    const port = Number(new URL(gateway.url).port);
    const total = 1_500;
    const answered: { status: number; id: string }[] = [];
    try {
      // 50 connections, each sending its next request as soon as the last is answered.
      let next = 0;
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (next < total) {
            next++;
            answered.push(await get(agent, port, secret));
          }
        }),
      );
      await gateway.close();
      await recorder.flush();
      expect(answered.filter((a) => a.status === 200)).toHaveLength(total);
      expect(recorder.stats).toMatchObject({ requestsWritten: total, dropped: 0, rejected: 0, buffered: 0 });
      // Every request is in the log, by its id…
      const logged = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await store.listRequests({ tenantId: tenant.id }, { limit: 500, cursor });
        for (const r of page.items) logged.add(r.requestId);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(logged.size).toBe(total);
      for (const a of answered) expect(logged.has(a.id)).toBe(true);
      const one = await store.getRequest(answered[0]?.id as string);
      expect(one).toMatchObject({ tenantId: tenant.id, keyId: key.id, client: '127.0.0.1', status: 200 });
      expect(one.matched?.map((m) => m.list)).toEqual(['api-allowlist', 'tenant']);
      // …and counted once in the observed addresses.
      const observed = await store.listObservedIps(tenant.id, undefined, { limit: 10 });
      expect(observed.items).toEqual([expect.objectContaining({ address: '127.0.0.1', count: total })]);
    } finally {
      agent.destroy();
      await recorder.close();
      await store.close();
      await echo.close();
    }
  }, 60_000);
});
