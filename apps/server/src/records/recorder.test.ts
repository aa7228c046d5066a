import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Observation, RequestCount, RequestRecord } from '../store/store.js';
import { createRecorder, type RecordedCall } from './recorder.js';

function fakeStore() {
  const state = {
    failing: false,
    requests: [] as RequestRecord[],
    observations: [] as Observation[],
    counts: [] as RequestCount[],
    calls: 0,
  };
  return {
    state,
    store: {
      async appendRequests(batch: readonly RequestRecord[]) {
        state.calls++;
        if (state.failing) throw new Error('store down');
        state.requests.push(...batch);
      },
      async recordObservations(batch: readonly Observation[]) {
        state.calls++;
        if (state.failing) throw new Error('store down');
        state.observations.push(...batch);
      },
      async appendRequestCounts(batch: readonly RequestCount[]) {
        state.calls++;
        if (state.failing) throw new Error('store down');
        state.counts.push(...batch);
      },
    },
  };
}

let n = 0;
function call(
  address: string,
  at = new Date(),
  status: 'authorized' | 'pending' = 'authorized',
): RecordedCall {
  n++;
  return {
    request: {
      requestId: `req_${n}`,
      at,
      tenantId: 'ten_1',
      apiId: 'api_1',
      keyId: 'key_1',
      client: address,
      method: 'GET',
      path: '/',
      status: 200,
      decision: 'allow',
      stage: 'complete',
      reason: 'allowed',
      latencyMs: 1,
    },
    observation: { tenantId: 'ten_1', keyId: 'key_1', address, status },
  };
}

const recorders: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(recorders.splice(0).map((r) => r.close()));
});

describe('createRecorder', () => {
  it('aggregates observations per tenant, key, address and status, and batches requests', async () => {
    const { store, state } = fakeStore();
    const r = createRecorder({ store, flushIntervalMs: 60_000 });
    recorders.push(r);
    const t1 = new Date('2026-01-01T00:00:00Z');
    const t2 = new Date('2026-01-01T00:00:05Z');
    r.record(call('192.0.2.1', t2));
    r.record(call('192.0.2.1', t1));
    r.record(call('192.0.2.2', t1, 'pending'));
    expect(state.calls).toBe(0);
    await r.flush();
    expect(state.requests).toHaveLength(3);
    expect(state.observations).toEqual([
      expect.objectContaining({
        address: '192.0.2.1',
        count: 2,
        firstAt: t1,
        lastAt: t2,
        status: 'authorized',
      }),
      expect.objectContaining({ address: '192.0.2.2', count: 1, status: 'pending' }),
    ]);
    expect(r.stats).toMatchObject({ requestsWritten: 3, observationsWritten: 2, buffered: 0 });
  });

  it('aggregates calls that share one observation object, and the objects given in turn', async () => {
    const { store, state } = fakeStore();
    const r = createRecorder({ store, flushIntervalMs: 60_000 });
    recorders.push(r);
    const one = call('192.0.2.1');
    const other = call('192.0.2.2', new Date(), 'pending');
    // As the recorder thread hands them: consecutive calls give the very same observation object.
    for (const c of [one, one, other, other, one, other, one]) {
      r.record({ request: { ...c.request, requestId: `req_${++n}` }, observation: c.observation });
    }
    await r.flush();
    expect(state.observations).toEqual([
      expect.objectContaining({ address: '192.0.2.1', status: 'authorized', count: 4 }),
      expect.objectContaining({ address: '192.0.2.2', status: 'pending', count: 3 }),
    ]);
  });

  it('aggregates by what an observation says, also when its object is filled again for the next call', async () => {
    const { store, state } = fakeStore();
    const r = createRecorder({ store, flushIntervalMs: 60_000 });
    recorders.push(r);
    const c = call('192.0.2.1');
    // A caller that reuses one object for each call's observation (nothing promises it will not).
    const reused = { ...c.observation } as {
      -readonly [K in keyof NonNullable<RecordedCall['observation']>]: unknown;
    };
    for (const [address, status] of [
      ['192.0.2.1', 'authorized'],
      ['192.0.2.2', 'authorized'],
      ['192.0.2.2', 'pending'],
      ['192.0.2.1', 'authorized'],
    ] as const) {
      reused.address = address;
      reused.status = status;
      r.record({
        request: { ...c.request, requestId: `req_${++n}` },
        observation: reused as RecordedCall['observation'],
      });
    }
    await r.flush();
    expect(state.observations).toEqual([
      expect.objectContaining({ address: '192.0.2.1', status: 'authorized', count: 2 }),
      expect.objectContaining({ address: '192.0.2.2', status: 'authorized', count: 1 }),
      expect.objectContaining({ address: '192.0.2.2', status: 'pending', count: 1 }),
    ]);
  });

  it('counts into its aggregate in place, never into an observation a write holds', async () => {
    const { store, state } = fakeStore();
    let release!: () => void;
    const slow = {
      ...store,
      async recordObservations(batch: readonly Observation[]) {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        await store.recordObservations(batch);
      },
    };
    const r = createRecorder({ store: slow, flushIntervalMs: 60_000 });
    recorders.push(r);
    const given = call('192.0.2.1');
    r.record(given);
    r.record(call('192.0.2.1'));
    const writing = r.flush();
    await new Promise((resolve) => setTimeout(resolve, 5));
    // Recorded while the batch above is being written: counted in a new aggregate.
    r.record(call('192.0.2.1'));
    release();
    await writing;
    expect(state.observations).toEqual([expect.objectContaining({ address: '192.0.2.1', count: 2 })]);
    expect(given.observation).toEqual({
      tenantId: 'ten_1',
      keyId: 'key_1',
      address: '192.0.2.1',
      status: 'authorized',
    });
    const second = r.flush();
    await new Promise((resolve) => setTimeout(resolve, 5));
    release();
    await second;
    expect(state.observations[1]).toMatchObject({ address: '192.0.2.1', count: 1 });
    expect(state.observations[0]).toMatchObject({ count: 2 });
  });

  it('writes when a batch is full, in batches of that size', async () => {
    const { store, state } = fakeStore();
    const r = createRecorder({ store, flushIntervalMs: 60_000, batchSize: 2 });
    recorders.push(r);
    r.record(call('192.0.2.1'));
    expect(state.requests).toHaveLength(0);
    r.record(call('192.0.2.1'));
    await vi.waitFor(() => expect(state.requests).toHaveLength(2));
  });

  it('writes on its timer', async () => {
    const { store, state } = fakeStore();
    const r = createRecorder({ store, flushIntervalMs: 20 });
    recorders.push(r);
    r.record(call('192.0.2.1'));
    await vi.waitFor(() => expect(state.observations).toHaveLength(1), { timeout: 2000 });
  });

  it("writes a known address's count with the request records only when it is due; a new one at once", async () => {
    const { store, state } = fakeStore();
    const r = createRecorder({ store, flushIntervalMs: 10, observationIntervalMs: 60_000 });
    recorders.push(r);
    r.record(call('192.0.2.1'));
    await vi.waitFor(() => expect(state.observations).toHaveLength(1));
    r.record(call('192.0.2.1'));
    r.record(call('192.0.2.1'));
    await vi.waitFor(() => expect(state.requests).toHaveLength(3));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Several timer writes later: the known pair's count waits, aggregated.
    expect(state.observations).toHaveLength(1);
    expect(r.stats.buffered).toBe(1);
    // A new address goes with the next write, and the waiting count with it.
    r.record(call('192.0.2.2', new Date(), 'pending'));
    await vi.waitFor(() => expect(state.observations).toHaveLength(3));
    expect(state.observations.slice(1)).toEqual([
      expect.objectContaining({ address: '192.0.2.1', count: 2 }),
      expect.objectContaining({ address: '192.0.2.2', count: 1, status: 'pending' }),
    ]);
    // A new status of a known address is a new observation too.
    r.record(call('192.0.2.2'));
    await vi.waitFor(() => expect(state.observations).toHaveLength(4));
    expect(state.observations[3]).toMatchObject({ address: '192.0.2.2', status: 'authorized' });
  });

  it('writes waiting counts when their interval is over, and all of them on flush', async () => {
    const { store, state } = fakeStore();
    const r = createRecorder({ store, flushIntervalMs: 10, observationIntervalMs: 150 });
    recorders.push(r);
    r.record(call('192.0.2.1'));
    await vi.waitFor(() => expect(state.observations).toHaveLength(1));
    r.record(call('192.0.2.1'));
    await vi.waitFor(() => expect(state.observations).toHaveLength(2), { timeout: 2000 });
    expect(state.observations[1]).toMatchObject({ address: '192.0.2.1', count: 1 });
    r.record(call('192.0.2.1'));
    await r.flush();
    expect(state.observations).toHaveLength(3);
    expect(r.stats.buffered).toBe(0);
  });

  it("on flush, writes the observations a batch's write under way left waiting", async () => {
    const { store, state } = fakeStore();
    // A holder, not a variable: the test clears it, and the store sets it again while awaited.
    const gate: { release?: (() => void) | undefined } = {};
    const release = (): void => gate.release?.();
    const slow = {
      ...store,
      async appendRequests(batch: readonly RequestRecord[]) {
        await new Promise<void>((resolve) => {
          gate.release = resolve;
        });
        await store.appendRequests(batch);
      },
    };
    const r = createRecorder({
      store: slow,
      flushIntervalMs: 60_000,
      observationIntervalMs: 60_000,
      batchSize: 2,
    });
    recorders.push(r);
    r.record(call('192.0.2.1'));
    const first = r.flush();
    await vi.waitFor(() => expect(gate.release).toBeTypeOf('function'));
    release();
    await first;
    gate.release = undefined;
    // A full batch of a known pair: its write leaves the count waiting.
    r.record(call('192.0.2.1'));
    r.record(call('192.0.2.1'));
    await vi.waitFor(() => expect(gate.release).toBeTypeOf('function'));
    const flushed = r.flush();
    release();
    await flushed;
    expect(state.requests).toHaveLength(3);
    expect(state.observations.map((o) => o.count)).toEqual([1, 2]);
    expect(r.stats.buffered).toBe(0);
  });

  it('tries a failed observation write again with the next write, not after the interval', async () => {
    const { store, state } = fakeStore();
    let failObservations = true;
    const r = createRecorder({
      store: {
        ...store,
        async recordObservations(batch: readonly Observation[]) {
          if (failObservations) throw new Error('store down');
          await store.recordObservations(batch);
        },
      },
      flushIntervalMs: 10,
      observationIntervalMs: 60_000,
      logger: { info() {}, warn() {}, error() {} },
    });
    recorders.push(r);
    r.record(call('192.0.2.1'));
    await vi.waitFor(() => expect(r.stats.failures).toBeGreaterThan(0));
    failObservations = false;
    r.record(call('192.0.2.1'));
    await vi.waitFor(() => expect(state.observations).toHaveLength(1));
    expect(state.observations[0]).toMatchObject({ address: '192.0.2.1', count: 2 });
  });

  it('keeps what a failed write held for the next attempt, merged with newer calls', async () => {
    const { store, state } = fakeStore();
    const errors: string[] = [];
    const r = createRecorder({
      store,
      flushIntervalMs: 60_000,
      logger: { info() {}, warn() {}, error: (_f, m) => errors.push(m) },
    });
    recorders.push(r);
    state.failing = true;
    r.record(call('192.0.2.1'));
    await r.flush();
    await r.flush();
    expect(r.stats).toMatchObject({ failures: 4, buffered: 2 });
    expect(errors).toHaveLength(1); // once per outage, not per attempt
    r.record(call('192.0.2.1'));
    state.failing = false;
    await r.flush();
    expect(state.requests.map((q) => q.requestId)).toEqual([`req_${n - 1}`, `req_${n}`]);
    expect(state.observations).toEqual([expect.objectContaining({ address: '192.0.2.1', count: 2 })]);
  });

  it('drops the oldest when over its cap, and counts them', async () => {
    const { store, state } = fakeStore();
    const r = createRecorder({ store, flushIntervalMs: 60_000, maxBuffered: 3, batchSize: 100 });
    recorders.push(r);
    state.failing = true;
    for (let i = 1; i <= 5; i++) r.record(call(`192.0.2.${i}`));
    expect(r.stats.dropped).toBe(4);
    state.failing = false;
    await r.flush();
    expect(state.requests.map((q) => q.client)).toEqual(['192.0.2.3', '192.0.2.4', '192.0.2.5']);
    expect(state.observations.map((o) => o.address)).toEqual(['192.0.2.3', '192.0.2.4', '192.0.2.5']);
  });

  it('writes everything on close and records nothing after', async () => {
    const { store, state } = fakeStore();
    const r = createRecorder({ store, flushIntervalMs: 60_000, batchSize: 1000 });
    for (let i = 0; i < 10; i++) r.record(call('192.0.2.1'));
    await r.close();
    expect(state.requests).toHaveLength(10);
    r.record(call('192.0.2.1'));
    expect(r.stats).toMatchObject({ dropped: 1, buffered: 0 });
  });

  it('never throws into the request path, even when the store throws synchronously', async () => {
    const r = createRecorder({
      store: {
        appendRequests: () => {
          throw new Error('sync');
        },
        recordObservations: () => Promise.reject(new Error('async')),
        appendRequestCounts: () => Promise.reject(new Error('async')),
      },
      flushIntervalMs: 60_000,
      batchSize: 1,
    });
    recorders.push(r);
    expect(() => r.record(call('192.0.2.1'))).not.toThrow();
    await r.flush();
    expect(r.stats.buffered).toBe(2);
  });

  describe("with requestLog 'denials'", () => {
    it('writes a record per denial and would-deny, and counts allowed requests per minute and group', async () => {
      const { store, state } = fakeStore();
      const r = createRecorder({ store, flushIntervalMs: 60_000, requestLog: 'denials' });
      recorders.push(r);
      const m = Date.UTC(2026, 11, 7, 20, 31);
      const allowed = (address: string, ms: number, latencyMs = 1) => {
        const c = call(address, new Date(m + ms));
        return { ...c, request: { ...c.request, latencyMs } };
      };
      const denied = call('192.0.2.9', new Date(m));
      r.record(allowed('192.0.2.1', 1_000, 3));
      r.record({ ...denied, request: { ...denied.request, decision: 'deny', status: 403 } });
      r.record(allowed('192.0.2.1', 500, 1));
      const would = call('192.0.2.1', new Date(m + 2_000));
      r.record({ ...would, request: { ...would.request, decision: 'would-deny' } });
      r.record(allowed('192.0.2.2', 59_999));
      r.record(allowed('192.0.2.1', 60_000));
      // Two records, three counts, three observations (one per address).
      expect(r.stats.buffered).toBe(2 + 3 + 3);
      await r.flush();
      expect(state.requests.map((q) => q.decision)).toEqual(['deny', 'would-deny']);
      expect(state.counts).toEqual([
        expect.objectContaining({
          minute: new Date(m),
          client: '192.0.2.1',
          count: 2,
          firstAt: new Date(m + 500),
          lastAt: new Date(m + 1_000),
          latencySumMs: 4,
          latencyMaxMs: 3,
        }),
        expect.objectContaining({ minute: new Date(m), client: '192.0.2.2', count: 1 }),
        expect.objectContaining({ minute: new Date(m + 60_000), client: '192.0.2.1', count: 1 }),
      ]);
      // Allowed or not, every call's observation counts as before.
      expect(state.observations.reduce((n, o) => n + o.count, 0)).toBe(6);
      expect(r.stats).toMatchObject({ requestsWritten: 2, requestsCounted: 4, buffered: 0 });
    });

    it('keeps counts a failed write left and adds them to newer ones; caps them by group', async () => {
      const { store, state } = fakeStore();
      const r = createRecorder({
        store,
        flushIntervalMs: 60_000,
        maxBuffered: 2,
        requestLog: 'denials',
        logger: { info() {}, warn() {}, error() {} },
      });
      recorders.push(r);
      const at = new Date(Date.UTC(2026, 11, 7, 20, 31));
      state.failing = true;
      r.record(call('192.0.2.1', at));
      r.record(call('192.0.2.1', at));
      await r.flush();
      expect(r.stats).toMatchObject({ requestsCounted: 0, failures: 2, dropped: 0 });
      r.record(call('192.0.2.1', at));
      r.record(call('192.0.2.2', at));
      r.record(call('192.0.2.3', at));
      // Three groups over a cap of two: the oldest group, three requests, went (and the oldest of
      // three observations).
      expect(r.stats.dropped).toBe(3 + 1);
      state.failing = false;
      await r.flush();
      expect(state.counts.map((c) => [c.client, c.count])).toEqual([
        ['192.0.2.2', 1],
        ['192.0.2.3', 1],
      ]);
      expect(r.stats).toMatchObject({ requestsCounted: 2, buffered: 0 });
    });

    it('leaves out a count the store refuses, and writes the others', async () => {
      const { store, state } = fakeStore();
      const error = vi.fn();
      const r = createRecorder({
        store: {
          ...store,
          async appendRequestCounts(batch: readonly RequestCount[]) {
            if (batch.some((c) => c.client === '192.0.2.66')) {
              throw Object.assign(new Error('value too long'), { code: '22001' });
            }
            await store.appendRequestCounts(batch);
          },
        },
        flushIntervalMs: 60_000,
        requestLog: 'denials',
        logger: { info() {}, warn() {}, error },
      });
      recorders.push(r);
      for (const a of ['192.0.2.1', '192.0.2.66', '192.0.2.2']) r.record(call(a));
      await r.flush();
      expect(state.counts.map((c) => c.client)).toEqual(['192.0.2.1', '192.0.2.2']);
      expect(r.stats).toMatchObject({ requestsCounted: 2, rejected: 1, buffered: 0 });
      expect(error).toHaveBeenCalledWith(
        expect.objectContaining({ count: 1 }),
        expect.stringMatching(/request count refused/),
      );
    });
  });
});
