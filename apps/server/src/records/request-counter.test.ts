import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecordedMatch, RequestRecord } from '../store/store.js';
import { RequestCounter } from './request-counter.js';

const MATCHES: readonly (readonly RecordedMatch[] | undefined)[] = [
  undefined,
  [],
  [{ list: 'tenant', entryId: 'ent_1' }],
  [{ list: 'tenant', entryId: 'ent_2' }],
  [{ list: 'key-ips', entryId: 'ent_1' }],
  [
    { list: 'api-allowlist', entryId: 'ent_a' },
    { list: 'tenant', entryId: 'ent_1' },
  ],
];

/** Allowed requests drawn from a few values per field, so groups repeat, in runs and apart. */
const request = fc
  .record({
    ms: fc.integer({ min: 0, max: 5 * 60_000 }),
    tenantId: fc.constantFrom(null, 'ten_1', 'ten_2', ' ten_1 '),
    keyId: fc.constantFrom(null, 'key_1'),
    client: fc.constantFrom(null, '203.0.113.7', '2001:db8::1', ''),
    method: fc.constantFrom('GET', 'POST', ' GET'),
    status: fc.constantFrom(200, 204, 500),
    origin: fc.constantFrom(undefined, null, 'https://app.example.com'),
    matched: fc.nat({ max: MATCHES.length - 1 }),
    // A list of its own with the same entries, as a gateway recording in its own process makes.
    copied: fc.boolean(),
    latencyMs: fc.double({ min: 0, max: 1000, noNaN: true }),
  })
  .map(
    (g): RequestRecord => ({
      requestId: 'req_x',
      at: new Date(Date.UTC(2026, 11, 7, 20) + g.ms),
      tenantId: g.tenantId,
      apiId: 'api_1',
      keyId: g.keyId,
      client: g.client,
      method: g.method,
      path: '/',
      status: g.status,
      decision: 'allow',
      stage: 'complete',
      reason: null,
      latencyMs: g.latencyMs,
      origin: g.origin,
      matched: g.copied ? MATCHES[g.matched]?.map((m) => ({ ...m })) : MATCHES[g.matched],
    }),
  );

/** A group as the store would keep it: values trimmed, blank ones none, time to the minute. */
function groupOf(r: RequestRecord): string {
  const t = (v: string | null) => (v === null || v.trim() === '' ? null : v.trim());
  return JSON.stringify([
    Math.floor(r.at.getTime() / 60_000),
    t(r.tenantId),
    t(r.apiId),
    t(r.keyId),
    t(r.client),
    r.method.trim(),
    r.status,
    r.origin ?? null,
    r.matched ?? [],
  ]);
}

describe('RequestCounter', () => {
  it('counts every request once in its minute and group, with its first, last and latencies', () => {
    fc.assert(
      fc.property(fc.array(request, { maxLength: 200 }), fc.nat({ max: 200 }), (requests, takeAt) => {
        const counter = new RequestCounter();
        const taken = [];
        for (const [i, r] of requests.entries()) {
          // Runs share objects as the recorder thread hands them; a take() may fall anywhere.
          expect(counter.add(r)).toBeUndefined();
          if (i === takeAt) taken.push(...counter.take());
        }
        expect(counter.requests).toBe(requests.length - (takeAt < requests.length ? takeAt + 1 : 0));
        taken.push(...counter.take());
        expect(counter.size).toBe(0);
        const expected = new Map<string, { count: number; first: number; last: number; max: number }>();
        for (const r of requests) {
          const k = groupOf(r);
          const e = expected.get(k) ?? { count: 0, first: Infinity, last: -Infinity, max: 0 };
          e.count++;
          e.first = Math.min(e.first, r.at.getTime());
          e.last = Math.max(e.last, r.at.getTime());
          e.max = Math.max(e.max, r.latencyMs);
          expected.set(k, e);
        }
        const got = new Map<string, { count: number; first: number; last: number; max: number }>();
        for (const c of taken) {
          expect(c.minute.getTime() % 60_000).toBe(0);
          expect(c.firstAt.getTime() - c.minute.getTime()).toBeLessThan(60_000);
          const k = JSON.stringify([
            c.minute.getTime() / 60_000,
            c.tenantId,
            c.apiId,
            c.keyId,
            c.client,
            c.method,
            c.status,
            c.origin ?? null,
            c.matched ?? [],
          ]);
          const e = got.get(k) ?? { count: 0, first: Infinity, last: -Infinity, max: 0 };
          e.count += c.count;
          e.first = Math.min(e.first, c.firstAt.getTime());
          e.last = Math.max(e.last, c.lastAt.getTime());
          e.max = Math.max(e.max, c.latencyMaxMs);
          got.set(k, e);
        }
        expect(got).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what cannot be counted, and counts nothing of it', () => {
    const counter = new RequestCounter();
    const ok: RequestRecord = {
      requestId: 'req_1',
      at: new Date(),
      tenantId: null,
      apiId: null,
      keyId: null,
      client: null,
      method: 'GET',
      path: '/',
      status: 200,
      decision: 'allow',
      stage: 'complete',
      reason: null,
      latencyMs: 1,
    };
    expect(counter.add({ ...ok, at: new Date('x') })).toMatch(/at/);
    expect(counter.add({ ...ok, status: 42 })).toMatch(/status/);
    expect(counter.add({ ...ok, latencyMs: -1 })).toMatch(/latency/);
    expect(counter.requests).toBe(0);
    expect(counter.add(ok)).toBeUndefined();
    // The same group again, now with a bad status: refused, not counted under the first.
    expect(counter.add({ ...ok, status: 600 })).toMatch(/status/);
    expect(counter.take()).toEqual([expect.objectContaining({ count: 1, status: 200 })]);
  });

  it('puts back counts a write left before newer ones, and drops the oldest groups past a cap', () => {
    const counter = new RequestCounter();
    const at = Date.UTC(2026, 11, 7, 20);
    const r = (client: string, ms = 0): RequestRecord => ({
      requestId: 'req_1',
      at: new Date(at + ms),
      tenantId: 'ten_1',
      apiId: 'api_1',
      keyId: 'key_1',
      client,
      method: 'GET',
      path: '/',
      status: 200,
      decision: 'allow',
      stage: 'complete',
      reason: null,
      latencyMs: 2,
    });
    counter.add(r('198.51.100.1'));
    counter.add(r('198.51.100.1'));
    const left = counter.take();
    counter.add(r('198.51.100.2'));
    counter.add(r('198.51.100.1', 5));
    counter.putBack(left);
    expect(counter.requests).toBe(4);
    const back = counter.take();
    expect(back.map((c) => [c.client, c.count])).toEqual([
      ['198.51.100.1', 3],
      ['198.51.100.2', 1],
    ]);
    counter.putBack(back);
    expect(counter.dropOldest(1)).toBe(3);
    expect(counter.requests).toBe(1);
    // Counting goes on after the group it counted last was dropped.
    counter.add(r('198.51.100.1'));
    expect(counter.take().map((c) => [c.client, c.count])).toEqual([
      ['198.51.100.2', 1],
      ['198.51.100.1', 1],
    ]);
  });
});
