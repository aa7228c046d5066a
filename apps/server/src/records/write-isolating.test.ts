/**
 * One record the store refuses must never stop the request log: checked against real SQLite and
 * PostgreSQL stores, with the bad record injected in the middle of a stream of good ones.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RequestRecord, Store } from '../store/store.js';
import { storeFactories } from '../store/test-stores.test-support.js';
import { createRecorder, type RecordedCall } from './recorder.js';
import { writeIsolating } from './write-isolating.js';

const factories = await storeFactories();

let n = 0;
function call(tenantId: string, keyId: string, address: string, path = '/orders'): RecordedCall {
  n++;
  return {
    request: {
      requestId: `req_iso_${n}`,
      at: new Date(),
      tenantId,
      apiId: null,
      keyId,
      client: address,
      method: 'GET',
      path,
      status: 200,
      decision: 'allow',
      stage: 'complete',
      reason: 'allowed',
      latencyMs: 1,
    },
    observation: { tenantId, keyId, address, status: 'authorized' },
  };
}

async function allRequests(store: Store, tenantId: string): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRequests(
      { tenantId },
      { limit: 500, ...(cursor === undefined ? {} : { cursor }) },
    );
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out;
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

for (const factory of factories) {
  describe.skipIf(factory.skip)(`the recorder on ${factory.name}`, () => {
    async function setUp() {
      const store = await factory.open();
      open.push(store);
      const tenant = await store.createTenant({ name: 'Acme' }, { actor: 'test' });
      const { key } = await store.createKey(tenant.id, { name: 'ci' }, { actor: 'test' });
      return { store, tenantId: tenant.id, keyId: key.id };
    }

    it('writes every other record when the store refuses one in the middle of a stream, and logs it', async () => {
      const { store, tenantId, keyId } = await setUp();
      // The fault: past the recorder's own bounds, record 300 of 700 reaches the store with a
      // path it refuses and an address it refuses, as a record from an older node could.
      const poisoned = new Set<string>();
      const faulty = {
        appendRequests: (batch: readonly RequestRecord[]) =>
          store.appendRequests(
            batch.map((r) => (poisoned.has(r.requestId) ? { ...r, path: 'x'.repeat(3000) } : r)),
          ),
        recordObservations: (batch: Parameters<Store['recordObservations']>[0]) =>
          store.recordObservations(
            batch.map((o) => (o.address === '192.0.2.99' ? { ...o, address: 'not-an-address' } : o)),
          ),
        appendRequestCounts: (batch: Parameters<Store['appendRequestCounts']>[0]) =>
          store.appendRequestCounts(batch),
      };
      const error = vi.fn();
      const recorder = createRecorder({
        store: faulty,
        flushIntervalMs: 60_000,
        batchSize: 100,
        logger: { info() {}, warn() {}, error },
      });
      open.push(recorder);
      const sent: string[] = [];
      for (let i = 0; i < 700; i++) {
        const c = call(tenantId, keyId, i === 300 ? '192.0.2.99' : `192.0.2.${i % 50}`);
        if (i === 300) poisoned.add(c.request.requestId);
        sent.push(c.request.requestId);
        recorder.record(c);
        // A stream, not one batch: the recorder writes as it goes.
        if (i % 150 === 0) await recorder.flush();
      }
      // The first flush may join a write the stream started; the second writes what is left.
      await recorder.flush();
      await recorder.flush();

      expect(recorder.stats).toMatchObject({ buffered: 0, rejected: 2, requestsWritten: 699 });
      const stored = new Set((await allRequests(store, tenantId)).map((r) => r.requestId));
      expect(stored.size).toBe(699);
      expect(sent.filter((id) => !stored.has(id))).toEqual([...poisoned]);
      const observed = await store.listObservedIps(tenantId, {}, { limit: 500 });
      expect(observed.items.map((o) => o.address).sort()).toHaveLength(50);
      const logged = error.mock.calls.map(([fields, message]) => ({ fields, message: String(message) }));
      expect(logged).toContainEqual({
        fields: expect.objectContaining({
          requestId: [...poisoned][0],
          err: expect.objectContaining({
            message: expect.stringContaining('path must be text of at most 2000'),
          }),
        }),
        message: expect.stringContaining('refused by the store'),
      });
      expect(logged.some((l) => l.message.includes('observed address refused'))).toBe(true);

      // Recording goes on after it: the next call is written at the next flush.
      recorder.record(call(tenantId, keyId, '192.0.2.1'));
      await recorder.flush();
      expect(recorder.stats).toMatchObject({ buffered: 0, requestsWritten: 700 });
    });

    it('records a request whose path is longer than the store keeps, cut and marked, with the others', async () => {
      const { store, tenantId, keyId } = await setUp();
      const recorder = createRecorder({ store, flushIntervalMs: 60_000 });
      open.push(recorder);
      recorder.record(call(tenantId, keyId, '192.0.2.1', `/${'a'.repeat(5000)}`));
      recorder.record(call(tenantId, keyId, '192.0.2.2', '/after'));
      await recorder.flush();
      expect(recorder.stats).toMatchObject({ buffered: 0, rejected: 0, requestsWritten: 2 });
      const stored = await allRequests(store, tenantId);
      const long = stored.find((r) => r.path.startsWith('/aaa'));
      expect(long?.path).toHaveLength(2000);
      expect(long?.path.endsWith('a…')).toBe(true);
      expect(stored.map((r) => r.path)).toContain('/after');
    });

    it('keeps records for the next attempt when the store is down, not refusing', async () => {
      const { store, tenantId, keyId } = await setUp();
      let down = true;
      // What the PostgreSQL driver throws for a database that is not there.
      const unavailable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
        code: 'ECONNREFUSED',
      });
      const recorder = createRecorder({
        store: {
          appendRequests: (batch) => (down ? Promise.reject(unavailable) : store.appendRequests(batch)),
          recordObservations: (batch) => store.recordObservations(batch),
          appendRequestCounts: (batch) => store.appendRequestCounts(batch),
        },
        flushIntervalMs: 60_000,
      });
      open.push(recorder);
      recorder.record(call(tenantId, keyId, '192.0.2.1'));
      await recorder.flush();
      expect(recorder.stats).toMatchObject({ buffered: 1, rejected: 0, requestsWritten: 0 });
      down = false;
      await recorder.flush();
      expect(recorder.stats).toMatchObject({ buffered: 0, rejected: 0, requestsWritten: 1 });
    });
  });
}

describe('writeIsolating', () => {
  it('narrows a refused batch down to the refused items, in few calls', async () => {
    const refusal = Object.assign(new Error('bad'), { code: '22021' });
    const calls: number[] = [];
    const written: number[] = [];
    const bad: number[] = [];
    const items = Array.from({ length: 500 }, (_, i) => i);
    const result = await writeIsolating(
      items,
      500,
      async (batch) => {
        calls.push(batch.length);
        if (batch.includes(137) || batch.includes(400)) throw refusal;
        written.push(...batch);
      },
      (i) => bad.push(i),
    );
    expect(bad).toEqual([137, 400]);
    expect(result).toEqual({ written: 498, left: [] });
    expect(written).toHaveLength(498);
    expect(calls.length).toBeLessThanOrEqual(1 + 4 * Math.ceil(Math.log2(500)));
  });

  it('stops at a failure that is not a refusal and hands back what is unwritten, in order', async () => {
    const down = new Error('store down');
    let failAt = 2;
    const result = await writeIsolating(
      [1, 2, 3, 4, 5],
      2,
      async () => {
        if (--failAt === 0) throw down;
      },
      () => {},
    );
    expect(result).toEqual({ written: 2, left: [3, 4, 5], error: down });
  });
});
