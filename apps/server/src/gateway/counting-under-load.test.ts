import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { socketPeer } from '@ipgate/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createThreadedRecorder } from '../records/threaded-recorder.js';
import { createSnapshotEngine } from '../snapshot/snapshot-engine.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { RequestCount, RequestRecord, Store } from '../store/store.js';
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

async function all<T>(
  read: (cursor: string | undefined) => Promise<{ items: readonly T[]; nextCursor?: string | undefined }>,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out;
}

describe('counting allowed requests under load (request log: denials)', () => {
  // The gateway as a worker runs it: calls packed and handed to the recorder thread in bulk.
  it('logs every denial by its id and counts every allowed request, once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-counting-load-'));
    dirs.push(dataDir);
    const echo = await startEcho();
    const store: Store = await openSqliteStore({ path: join(dataDir, 'ipgate.db') });
    const api = await store.createApi({ name: 'a', pathPrefix: '/v1', upstreamUrl: echo.url }, actor);
    await store.addApiAllowlistEntry(api.id, { value: '127.0.0.1' }, actor);
    const tenant = await store.createTenant({ name: 't', ipMode: 'manual' }, actor);
    await store.addTenantIpEntry(tenant.id, { value: '127.0.0.1' }, actor);
    const { key, secret } = await store.createKey(tenant.id, { name: 'k' }, actor);
    const engine = createSnapshotEngine({ store });
    await engine.refresh();
    // Small hand-overs, small batches and a long timer: the load decides when calls cross over and
    // when the thread writes, so counts of one group reach the store in several writes.
    const recorder = await createThreadedRecorder({
      store: { dataDir, databaseUrl: undefined },
      recorder: { flushIntervalMs: 60_000, batchSize: 1, requestLog: 'denials' },
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
      // 50 connections, each sending its next request as soon as the last is answered; every
      // 25th with a secret no key has, which the gateway denies.
      let next = 0;
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (next < total) {
            next++;
            answered.push(await get(agent, port, next % 25 === 0 ? `${secret}x` : secret));
          }
        }),
      );
      await gateway.close();
      await recorder.flush();
      const allowed = answered.filter((a) => a.status === 200);
      const denied = answered.filter((a) => a.status !== 200);
      expect(allowed).toHaveLength(total - total / 25);
      expect(denied).toHaveLength(total / 25);
      expect(recorder.stats).toMatchObject({
        requestsWritten: denied.length,
        requestsCounted: allowed.length,
        dropped: 0,
        rejected: 0,
        buffered: 0,
      });
      // Every denial is in the log, by its id, and no allowed request is.
      const logged: RequestRecord[] = await all((cursor) =>
        store.listRequests({ apiId: api.id }, { limit: 500, cursor }),
      );
      expect(logged.map((r) => r.requestId).sort()).toEqual(denied.map((a) => a.id).sort());
      expect(logged.every((r) => r.decision === 'deny')).toBe(true);
      // Every allowed request is in a count of its minute: the counts add up to them, with the
      // group's values as the log would have kept them.
      const counts: RequestCount[] = await all((cursor) =>
        store.listRequestCounts({ tenantId: tenant.id }, { limit: 500, cursor }),
      );
      expect(counts.reduce((n, c) => n + c.count, 0)).toBe(allowed.length);
      expect(counts.length).toBeLessThanOrEqual(2);
      for (const c of counts) {
        expect(c).toMatchObject({
          apiId: api.id,
          keyId: key.id,
          client: '127.0.0.1',
          method: 'GET',
          status: 200,
        });
        expect(c.matched?.map((m) => m.list)).toEqual(['api-allowlist', 'tenant']);
        expect(c.firstAt.getTime()).toBeGreaterThanOrEqual(c.minute.getTime());
        expect(c.lastAt.getTime()).toBeLessThan(c.minute.getTime() + 60_000);
        expect(c.latencyMaxMs).toBeGreaterThan(0);
        expect(c.latencySumMs).toBeGreaterThanOrEqual(c.latencyMaxMs);
      }
      // The allowed requests' observation is counted as before.
      const observed = await store.listObservedIps(tenant.id, undefined, { limit: 10 });
      expect(observed.items).toEqual([
        expect.objectContaining({ address: '127.0.0.1', count: allowed.length }),
      ]);
    } finally {
      agent.destroy();
      await recorder.close();
      await store.close();
      await echo.close();
    }
  }, 60_000);
});
