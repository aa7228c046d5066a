import { describe, expect, it } from 'vitest';
import { CallPacker, unpackCalls } from './packed-calls.js';
import type { RecordedCall } from './recorder.js';

const full: RecordedCall = {
  request: {
    requestId: 'req_a',
    at: new Date('2026-05-01T10:00:00.123Z'),
    tenantId: 'ten_1',
    apiId: 'api_1',
    keyId: 'key_1',
    client: '203.0.113.7',
    method: 'POST',
    path: '/v1/orders',
    status: 403,
    decision: 'would-deny',
    stage: 'tenant-restriction',
    reason: 'tenant-ip-not-listed',
    latencyMs: 1.234,
    origin: 'https://app.example.com',
    matched: [
      { list: 'api-allowlist', entryId: 'ent_a' },
      { list: 'key-domains', entryId: 'kdm_b' },
    ],
  },
  observation: {
    tenantId: 'ten_1',
    keyId: 'key_1',
    address: '203.0.113.7',
    status: 'pending',
    reason: 'tenant-ip-not-listed',
    assessment: { verdict: 'review', reasons: ['new-network'] } as never,
  },
};

const bare: RecordedCall = {
  request: {
    requestId: 'req_b',
    at: new Date('2026-05-01T10:00:01.000Z'),
    tenantId: null,
    apiId: null,
    keyId: null,
    client: null,
    method: 'GET',
    path: '',
    status: 503,
    decision: 'deny',
    stage: 'route',
    reason: 'not-ready',
    latencyMs: 0,
  },
};

function roundTrip(calls: readonly RecordedCall[]): RecordedCall[] {
  const packer = new CallPacker();
  for (const call of calls) packer.add(call);
  const out: RecordedCall[] = [];
  unpackCalls(structuredClone(packer.take()), (c) => out.push(c));
  return out;
}

describe('CallPacker / unpackCalls', () => {
  it('hands over every field of every call, in order, with and without matches and observation', () => {
    const packer = new CallPacker();
    for (const call of [full, bare, { ...full, request: { ...full.request, matched: [] } }]) packer.add(call);
    expect(packer.calls).toBe(3);
    const fields = packer.take();
    expect(packer.calls).toBe(0);
    // Only primitives (and the rare assessment) cross the thread boundary.
    expect(fields.filter((f) => f !== null && typeof f === 'object')).toEqual([
      full.observation?.assessment,
      full.observation?.assessment,
    ]);
    const calls: RecordedCall[] = [];
    unpackCalls(structuredClone(fields), (c) => calls.push(c));
    expect(calls).toHaveLength(3);
    expect(calls[0]).toEqual(full);
    expect(calls[1]).toEqual({ request: { ...bare.request, origin: undefined, matched: undefined } });
    expect(calls[2]?.request.matched).toEqual([]);
    expect(calls[0]?.request.at).toBeInstanceOf(Date);
  });

  it('sends a repeated text once per list, and every call still gets all its values back', () => {
    const next = (n: number, changes: Partial<RecordedCall['request']> = {}): RecordedCall => ({
      ...full,
      request: { ...full.request, requestId: `req_${n}`, path: `/v1/orders/${n % 2}`, ...changes },
    });
    const calls = [
      next(1),
      next(2),
      next(3, { keyId: 'key_2', matched: [{ list: 'tenant', entryId: 'ent_c' }] }),
      next(4, { keyId: 'key_2', matched: [{ list: 'tenant', entryId: 'ent_c' }], origin: null }),
      { request: { ...bare.request, requestId: 'req_5' } },
      next(6),
      {
        ...next(7),
        observation: {
          ...(full.observation as NonNullable<RecordedCall['observation']>),
          status: 'authorized' as const,
        },
      },
    ];
    const packer = new CallPacker();
    for (const call of calls) packer.add(call);
    const fields = packer.take();
    // The tenant id is sent in the request and the observation of the first call, of the call after
    // the bare one (which had none), and in the observation that changed (the last call's).
    expect(fields.filter((f) => f === 'ten_1')).toHaveLength(2 + 2 + 1);
    expect(fields.filter((f) => f === 'api_1')).toHaveLength(2);
    const back: RecordedCall[] = [];
    unpackCalls(structuredClone(fields), (c) => back.push(c));
    expect(back).toEqual(
      calls.map((c) => ({
        ...c,
        request: { ...c.request, origin: c.request.origin, matched: c.request.matched },
      })),
    );
    // A new list starts whole: nothing in it refers to the list before.
    packer.add(calls[1] as RecordedCall);
    expect(roundTrip([])).toEqual([]);
    const again: RecordedCall[] = [];
    unpackCalls(packer.take(), (c) => again.push(c));
    expect(again).toEqual([calls[1]]);
  });

  it('refuses a list that is not in its layout rather than record shifted fields', () => {
    const packer = new CallPacker();
    packer.add(full);
    const fields = packer.take();
    expect(() => unpackCalls(fields.slice(0, -2), () => {})).toThrow(/middle of a call/);
    const shifted = [...fields];
    shifted[14] = 'api-allowlist';
    expect(() => unpackCalls(shifted, () => {})).toThrow(/count of matched entries/);
    const numbered = [...fields];
    numbered[3] = 42;
    expect(() => unpackCalls(numbered, () => {})).toThrow(/expected a text field/);
    // A list whose first call says "as the previous one" was cut from another list.
    const cut = [...fields];
    cut[2] = 0;
    expect(() => unpackCalls(cut, () => {})).toThrow(/refers to a previous one/);
  });
});
