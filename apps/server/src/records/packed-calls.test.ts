import { describe, expect, it } from 'vitest';
import { packCall, unpackCalls } from './packed-calls.js';
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

describe('packCall / unpackCalls', () => {
  it('hands over every field of every call, in order, with and without matches and observation', () => {
    const fields: unknown[] = [];
    for (const call of [full, bare, { ...full, request: { ...full.request, matched: [] } }]) {
      packCall(call, fields);
    }
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

  it('refuses a list that is not in its layout rather than record shifted fields', () => {
    const fields: unknown[] = [];
    packCall(full, fields);
    expect(() => unpackCalls(fields.slice(0, -2), () => {})).toThrow(/middle of a call/);
    const shifted = [...fields];
    shifted[14] = 'api-allowlist';
    expect(() => unpackCalls(shifted, () => {})).toThrow(/count of matched entries/);
  });
});
