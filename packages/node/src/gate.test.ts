import { IpSet } from '@ipgate/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGate, type DecisionEvent } from './gate.js';

const request = (remoteAddress: string | undefined, headers = {}) => ({ remoteAddress, headers });

describe('createGate', () => {
  it('defaults to the socket peer: forwarding headers are ignored', () => {
    const gate = createGate({ allow: ['203.0.113.0/24'] });
    expect(gate.clientAddress.description).toBe('socket peer');
    expect(gate.check(request('192.0.2.1', { 'x-forwarded-for': '203.0.113.7' })).allow).toBe(false);
    expect(gate.check(request('::ffff:203.0.113.7')).allow).toBe(true);
  });

  it('denies an address that cannot be resolved', () => {
    const gate = createGate({ allow: ['0.0.0.0/0', '::/0'] });
    for (const peer of [undefined, '', 'fe80::1%eth0', 'garbage']) {
      const r = gate.check(request(peer));
      expect(r).toMatchObject({ allow: false, status: 403, client: undefined });
      expect(r.decision.stage).toBe('client-address');
    }
  });

  it('the default socket peer decides as core socketPeer() does, and words failures the same', () => {
    const list = ['203.0.113.0/24', '2001:db8::/48'];
    const fast = createGate({ allow: list });
    const viaStrategy = createGate({ allow: list, clientAddress: { mode: 'socket' } });
    for (const peer of [
      '203.0.113.9',
      '::ffff:203.0.113.9',
      '2001:db8::1',
      '192.0.2.1',
      '::ffff:192.0.2.1',
      '127.0.0.1',
      undefined,
      '',
      'fe80::1%eth0',
      '127.1',
    ]) {
      const a = fast.check(request(peer, { 'x-forwarded-for': '203.0.113.7' }));
      const b = viaStrategy.check(request(peer, { 'x-forwarded-for': '203.0.113.7' }));
      expect({ allow: a.allow, client: a.client?.toString(), decision: a.decision }).toEqual({
        allow: b.allow,
        client: b.client?.toString(),
        decision: b.decision,
      });
    }
  });

  it('an allowed result has a request id when read, the same on every read and in its JSON', () => {
    const r = createGate({ allow: ['127.0.0.1'] }).check(request('127.0.0.1'));
    expect(r).toMatchObject({ allow: true, status: 200, body: undefined, headers: {} });
    expect(r.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.requestId).toBe(r.requestId);
    expect(JSON.parse(JSON.stringify(r))).toMatchObject({ allow: true, requestId: r.requestId });
    const custom = createGate({ allow: ['127.0.0.1'], requestId: () => 'req_1' }).check(request('127.0.0.1'));
    expect(custom.requestId).toBe('req_1');
  });

  it('an onDecision hook that throws does not open the gate, nor close it', () => {
    const hookErrors: unknown[] = [];
    const gate = createGate({
      allow: ['127.0.0.2'],
      onDecision: () => {
        throw new Error('logger down');
      },
      onHookError: (e) => hookErrors.push(e),
    });
    expect(gate.check(request('127.0.0.3')).allow).toBe(false);
    expect(gate.check(request('127.0.0.2')).allow).toBe(true);
    expect(hookErrors).toHaveLength(2);
  });

  it('a strategy or a body that throws denies', () => {
    const gate = createGate({
      allow: ['0.0.0.0/0'],
      clientAddress: {
        description: 'broken',
        resolve: () => {
          throw new Error('bug');
        },
      },
      onHookError: () => {},
    });
    expect(gate.check(request('127.0.0.1')).allow).toBe(false);
    const badBody = createGate({
      allow: [],
      denial: {
        body: () => {
          throw new Error('bug');
        },
      },
      onHookError: () => {},
    });
    const r = badBody.check(request('127.0.0.1'));
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body ?? '')).toMatchObject({ requestId: r.requestId });
  });

  it('reports every decision with the request id the denial carries', () => {
    const events: DecisionEvent[] = [];
    const gate = createGate({
      allow: [{ value: '10.0.0.0/8', name: 'vpn' }],
      onDecision: (e) => events.push(e),
    });
    const denied = gate.check(request('192.0.2.1'));
    gate.check(request('10.1.2.3'));
    expect(events[0]).toMatchObject({
      allow: false,
      requestId: denied.requestId,
      remoteAddress: '192.0.2.1',
    });
    expect(JSON.parse(denied.body ?? '').requestId).toBe(denied.requestId);
    expect(events[1]?.decision.matched[0]?.name).toBe('vpn');
    expect(events[1]?.client?.toString()).toBe('10.1.2.3');
  });

  it('fails fast on bad options, naming the setting', () => {
    expect(() => createGate({} as never)).toThrow(/allow is missing/);
    expect(() => createGate({ allow: '10.0.0.0/8' as never })).toThrow(/not a string/);
    expect(() => createGate({ allow: ['10.0.0.1/8'] })).toThrow(/host bits/);
    expect(() =>
      createGate({ allow: [], clientAddress: { mode: 'trusted-proxies', trusted: [] } }),
    ).toThrow();
    expect(() => createGate({ allow: [], denial: { status: 200 } })).toThrow(/denial.status/);
  });

  it('accepts a prebuilt IpSet', () => {
    const gate = createGate({ allow: IpSet.from(['2001:db8::/32']) });
    expect(gate.check(request('2001:db8::9')).allow).toBe(true);
  });
});

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const v4Cidr = fc.tuple(v4, fc.integer({ min: 8, max: 32 })).map(([a, len]) => {
  const n = a.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  const masked = len === 0 ? 0 : Math.floor(n / 2 ** (32 - len)) * 2 ** (32 - len);
  return `${[24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256).join('.')}/${len}`;
});
const v6 = fc
  .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
  .map((g) => g.map((x) => x.toString(16)).join(':'));

describe('property: the gate agrees with IpSet.has', () => {
  it('for random lists and addresses, IPv4 (also as IPv4-mapped peers) and IPv6', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(v4, v4Cidr, v6), { maxLength: 20 }),
        fc.oneof(
          v4,
          v6,
          v4.map((a) => `::ffff:${a}`),
        ),
        (entries, address) => {
          const set = IpSet.from(entries);
          const gate = createGate({ allow: set });
          expect(gate.check(request(address)).allow).toBe(set.has(address));
        },
      ),
      { numRuns: 500 },
    );
  });
});
