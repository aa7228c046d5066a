import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundCall, cut } from './bounded-call.js';
import type { RecordedCall } from './recorder.js';

const base: RecordedCall = {
  request: {
    requestId: 'req_1',
    at: new Date('2026-01-01T00:00:00Z'),
    tenantId: 'ten_1',
    apiId: null,
    keyId: null,
    client: '192.0.2.1',
    method: 'GET',
    path: '/',
    status: 401,
    decision: 'deny',
    stage: 'authenticate',
    reason: null,
    latencyMs: 0.5,
  },
};

describe('boundCall', () => {
  it('keeps an observation that needs no cut as the same object, and copies one it cuts', () => {
    const kept = { tenantId: 'ten_1', keyId: 'key_1', address: '192.0.2.1', status: 'pending' as const };
    const withReason = { ...kept, reason: 'not listed' };
    const long = { ...kept, reason: ` ${'x'.repeat(300)}` };
    const blank = { ...kept, reason: '  ' };
    const bounded = (observation: NonNullable<RecordedCall['observation']>) => {
      const out = boundCall({ ...base, observation });
      if (typeof out === 'string') throw new Error(out);
      return out.observation;
    };
    expect(bounded(kept)).toBe(kept);
    expect(bounded(withReason)).toBe(withReason);
    const cutOne = bounded(long);
    expect(cutOne).not.toBe(long);
    expect(cutOne?.reason).toHaveLength(200);
    expect(long.reason).toHaveLength(301);
    const blankOne = bounded(blank);
    expect(blankOne).not.toBe(blank);
    expect(blankOne?.reason).toBeUndefined();
  });

  it('cuts every text field to what the store keeps, marking the cut', () => {
    const out = boundCall({
      request: {
        ...base.request,
        path: `/${'p'.repeat(4000)}`,
        reason: 'r'.repeat(2500),
        method: 'M'.repeat(300),
      },
      observation: {
        tenantId: 'ten_1',
        keyId: 'key_1',
        address: '192.0.2.1',
        status: 'pending',
        reason: 'x'.repeat(300),
      },
    });
    if (typeof out === 'string') throw new Error(out);
    expect(out.request.path).toHaveLength(2000);
    expect(out.request.path.endsWith('p…')).toBe(true);
    expect(out.request.reason).toHaveLength(2000);
    expect(out.request.method).toHaveLength(200);
    expect(out.observation?.reason).toHaveLength(200);
  });

  it('replaces NUL, which PostgreSQL refuses in text, and makes blank optional fields null', () => {
    const out = boundCall({ request: { ...base.request, path: '/a\u0000b', stage: '  ', method: ' ' } });
    if (typeof out === 'string') throw new Error(out);
    expect(out.request).toMatchObject({ path: '/a\uFFFDb', stage: null, method: '-' });
  });

  it('refuses, with the reason, what cannot be made a record', () => {
    expect(boundCall({ request: { ...base.request, status: 0 } })).toMatch(/status 0/);
    expect(boundCall({ request: { ...base.request, at: new Date(Number.NaN) } })).toMatch(/at is not/);
    expect(boundCall({ request: { ...base.request, latencyMs: -1 } })).toMatch(/latencyMs/);
    expect(boundCall({ request: { ...base.request, requestId: '' } })).toMatch(/requestId/);
  });

  it('property: cut keeps short text, bounds long text, never splits a surrogate pair, never keeps NUL', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.integer({ min: 2, max: 250 }),
        (s, max) => {
          const c = cut(s, max);
          expect(c.length).toBeLessThanOrEqual(max);
          expect(c).not.toContain('\u0000');
          if (s.length <= max) expect(c).toBe(s.replaceAll('\u0000', '\uFFFD'));
          else expect(c.endsWith('…')).toBe(true);
          // No lone high surrogate before the marker.
          expect(/[\uD800-\uDBFF]…$/.test(c)).toBe(false);
        },
      ),
    );
  });
});
