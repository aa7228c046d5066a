import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIpGateError } from '@ipgate/core';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleAssessment } from '../review/assessment.test-support.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { RecordedCall } from './recorder.js';
import { createThreadedRecorder } from './threaded-recorder.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function storeWithKey(dataDir: string, ipMode: 'manual' | 'auto' = 'manual') {
  const store = await openSqliteStore({ path: join(dataDir, 'ipgate.db') });
  const actor = { actor: 'test' };
  const api = await store.createApi({ name: 'a', upstreamUrl: 'http://127.0.0.1:1' }, actor);
  const tenant = await store.createTenant({ name: 't', ipMode }, actor);
  const { key } = await store.createKey(tenant.id, { name: 'k' }, actor);
  return { store, apiId: api.id, tenantId: tenant.id, keyId: key.id };
}

function call(n: number, ids: { apiId: string; tenantId: string; keyId: string }): RecordedCall {
  return {
    request: {
      requestId: `req_thread_${n}`,
      at: new Date(),
      tenantId: ids.tenantId,
      apiId: ids.apiId,
      keyId: ids.keyId,
      client: '192.0.2.1',
      method: 'GET',
      path: '/x',
      status: 200,
      decision: 'allow',
      stage: 'complete',
      reason: 'allowed',
      latencyMs: 1.5,
    },
    observation: { tenantId: ids.tenantId, keyId: ids.keyId, address: '192.0.2.1', status: 'authorized' },
  };
}

describe('createThreadedRecorder', () => {
  it('writes every call through its thread: request records and aggregated observations', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-threaded-recorder-'));
    dirs.push(dataDir);
    const { store, ...ids } = await storeWithKey(dataDir);
    const recorder = await createThreadedRecorder({
      store: { dataDir, databaseUrl: undefined },
      recorder: { flushIntervalMs: 60_000 },
      postEveryMs: 60_000,
      postAt: 100,
    });
    try {
      // 1,000 calls: ten hand-overs of 100 by size, the rest by flush().
      for (let n = 0; n < 1_050; n++) recorder.record(call(n, ids));
      await recorder.flush();
      // The thread's recorder wrote in batches of 500 as usual; the store sums the observations.
      expect(recorder.stats).toMatchObject({ requestsWritten: 1_050, buffered: 0, dropped: 0 });
      expect(await store.getRequest('req_thread_1049')).toMatchObject({ status: 200, latencyMs: 1.5 });
      const observed = await store.listObservedIps(ids.tenantId, undefined, { limit: 10 });
      expect(observed.items).toEqual([expect.objectContaining({ address: '192.0.2.1', count: 1_050 })]);
      recorder.record(call(5_000, ids));
    } finally {
      await recorder.close();
    }
    // What was recorded before close() is written by close(); nothing is taken after it.
    expect(await store.getRequest('req_thread_5000')).toMatchObject({ status: 200 });
    recorder.record(call(5_001, ids));
    expect(recorder.stats.dropped).toBe(1);
    await store.close();
  });

  it('writes entry usage through its thread, and refuses it once closed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-threaded-recorder-'));
    dirs.push(dataDir);
    const { store } = await storeWithKey(dataDir);
    const recorder = await createThreadedRecorder({
      store: { dataDir, databaseUrl: undefined },
      recorder: {},
    });
    const at = new Date('2026-05-01T00:00:00.000Z');
    try {
      await recorder.recordEntryUsage([{ entryId: 'ent_t', hits: 4, lastMatchedAt: at }]);
      await recorder.recordEntryUsage([{ entryId: 'ent_t', hits: 1, lastMatchedAt: at }]);
      expect((await store.entryUsage(['ent_t'])).get('ent_t')).toEqual({ hits: 5, lastMatchedAt: at });
      // A bad batch is the thread's store's error, handed back so the flusher keeps its hits.
      await expect(
        recorder.recordEntryUsage([{ entryId: 'ent_t', hits: 0, lastMatchedAt: at }]),
      ).rejects.toThrow(/hits must be a whole number/);
    } finally {
      await recorder.close();
    }
    await expect(
      recorder.recordEntryUsage([{ entryId: 'ent_t', hits: 1, lastMatchedAt: at }]),
    ).rejects.toThrow(/not running/);
    await store.close();
  });

  it("writes the auto mode's authorizations through its thread, committed before it answers", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-threaded-recorder-'));
    dirs.push(dataDir);
    const { store, tenantId, keyId } = await storeWithKey(dataDir, 'auto');
    const recorder = await createThreadedRecorder({
      store: { dataDir, databaseUrl: undefined },
      recorder: {},
    });
    const burst = { limit: 10, windowMs: 3_600_000 };
    // Within the burst window of the hold below, which undoes what auto listed in it.
    const at = new Date(Date.now() - 1000);
    try {
      const [result] = await recorder.autoAuthorizeAddresses({
        tenantId,
        burst,
        addresses: [
          { keyId, address: '198.51.100.9', assessment: sampleAssessment('198.51.100.9', 'trusted'), at },
        ],
      });
      expect(result).toMatchObject({
        outcome: 'authorized',
        observed: { address: '198.51.100.9', status: 'authorized', firstSeen: at },
        entry: { value: '198.51.100.9', source: 'auto' },
      });
      // Answered after the commit: this connection, not the thread's, reads the entry at once.
      expect((await store.listTenantIpEntries(tenantId)).map((e) => e.value)).toContain('198.51.100.9');

      const held = await recorder.holdKeyBurst({ tenantId, keyId, newAddresses: 10, at: new Date(), burst });
      expect(held.held.map((o) => o.address)).toEqual(['198.51.100.9']);
      expect((await store.listTenantIpEntries(tenantId)).map((e) => e.value)).not.toContain('198.51.100.9');

      // The store's refusal comes back as what it is, an IpGateError naming the field.
      const refused = await recorder
        .holdKeyBurst({ tenantId, keyId, newAddresses: 1, at: new Date(), burst: { limit: 0, windowMs: 1 } })
        .catch((e: unknown) => e);
      expect(isIpGateError(refused)).toBe(true);
      expect(refused).toMatchObject({ status: 400, field: 'burst.limit' });
    } finally {
      await recorder.close();
    }
    await expect(
      recorder.autoAuthorizeAddresses({
        tenantId,
        addresses: [
          { keyId, address: '198.51.100.10', assessment: sampleAssessment('198.51.100.10', 'trusted'), at },
        ],
      }),
    ).rejects.toThrow(/not running/);
    await store.close();
  });

  it('a store call that cannot be handed over fails at once and leaves nothing waiting', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-threaded-recorder-'));
    dirs.push(dataDir);
    const { store, tenantId, keyId } = await storeWithKey(dataDir, 'auto');
    const recorder = await createThreadedRecorder({
      store: { dataDir, databaseUrl: undefined },
      recorder: {},
    });
    const assessment = sampleAssessment('198.51.100.11', 'trusted');
    const at = new Date();
    try {
      // A function cannot be cloned to the thread: postMessage throws.
      const uncloneable = { ...assessment, explain: () => 'not data' };
      const failure = await recorder
        .autoAuthorizeAddresses({
          tenantId,
          addresses: [{ keyId, address: '198.51.100.11', assessment: uncloneable, at }],
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(failure).toBeInstanceOf(Error);
      expect(String(failure)).toMatch(/could not be cloned/);
      expect(recorder.storeCallsWaiting).toBe(0);
      // The thread still runs and answers the next call.
      const [result] = await recorder.autoAuthorizeAddresses({
        tenantId,
        addresses: [{ keyId, address: '198.51.100.11', assessment, at }],
      });
      expect(result).toMatchObject({ outcome: 'authorized' });
      expect(recorder.storeCallsWaiting).toBe(0);
    } finally {
      await recorder.close();
    }
    await store.close();
  });

  it('fails to start, loudly, when its thread cannot open the store', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-threaded-recorder-'));
    dirs.push(dataDir);
    await expect(
      createThreadedRecorder({
        store: { dataDir: join(dataDir, 'not-a-dir', '\u0000'), databaseUrl: undefined },
        recorder: {},
      }),
    ).rejects.toThrow(/recorder thread/);
  });
});
