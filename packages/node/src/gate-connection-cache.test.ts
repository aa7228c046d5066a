import { IpAddress, IpSet } from '@ipgate/core';
import { describe, expect, it } from 'vitest';
import { createGate, type DecisionEvent } from './gate.js';
import { type GateRules, listRules } from './rules.js';
import type { RulesSource } from './rules-source.js';

/** A rules source whose rules the test swaps, counting the decisions its rules make. */
function swappableRules(entries: readonly string[]) {
  let decisions = 0;
  const counted = (list: readonly string[]): GateRules => {
    const inner = listRules(IpSet.from(list), `${list.length} entries`);
    return {
      ...inner,
      decide: (client: IpAddress) => {
        decisions++;
        return inner.decide(client);
      },
    };
  };
  let rules = counted(entries);
  const source: RulesSource = { current: () => rules, close: () => {} };
  return {
    source,
    swap: (list: readonly string[]) => {
      rules = counted(list);
    },
    decisions: () => decisions,
  };
}

describe('createGate: one decision per connection for the socket peer', () => {
  it('decides a keep-alive connection once, with a new request id per request', () => {
    const rules = swappableRules(['203.0.113.0/24']);
    const events: DecisionEvent[] = [];
    const gate = createGate({ allow: rules.source, onDecision: (e) => events.push(e) });
    const connection = {};
    const results = [1, 2, 3].map(() =>
      gate.check({ remoteAddress: '203.0.113.7', headers: {}, connection }),
    );
    expect(results.map((r) => r.allow)).toEqual([true, true, true]);
    expect(rules.decisions()).toBe(1);
    expect(new Set(results.map((r) => r.requestId)).size).toBe(3);
    expect(events).toHaveLength(3); // the hook still hears of every request
    expect(events[2]?.decision.matched[0]?.value).toBe('203.0.113.0/24');
  });

  it('a denied connection stays denied, each denial with its own id in its body', () => {
    const rules = swappableRules(['203.0.113.0/24']);
    const gate = createGate({ allow: rules.source });
    const connection = {};
    const a = gate.check({ remoteAddress: '198.51.100.1', headers: {}, connection });
    const b = gate.check({ remoteAddress: '198.51.100.1', headers: {}, connection });
    expect([a.allow, b.allow]).toEqual([false, false]);
    expect(rules.decisions()).toBe(1);
    expect(JSON.parse(a.body ?? '').requestId).toBe(a.requestId);
    expect(JSON.parse(b.body ?? '').requestId).toBe(b.requestId);
    expect(a.requestId).not.toBe(b.requestId);
  });

  it('new rules are applied to the next request on an open connection, both ways', () => {
    const rules = swappableRules(['203.0.113.0/24']);
    const gate = createGate({ allow: rules.source });
    const connection = {};
    const ask = () => gate.check({ remoteAddress: '203.0.113.7', headers: {}, connection }).allow;
    expect(ask()).toBe(true);
    rules.swap(['198.51.100.0/24']);
    expect(ask()).toBe(false);
    expect(ask()).toBe(false);
    rules.swap(['203.0.113.7']);
    expect(ask()).toBe(true);
    expect(rules.decisions()).toBe(3);
  });

  it('a different peer on the same connection object is decided afresh', () => {
    const rules = swappableRules(['203.0.113.0/24']);
    const gate = createGate({ allow: rules.source });
    const connection = {};
    expect(gate.check({ remoteAddress: '203.0.113.7', headers: {}, connection }).allow).toBe(true);
    expect(gate.check({ remoteAddress: '198.51.100.1', headers: {}, connection }).allow).toBe(false);
    expect(gate.check({ remoteAddress: undefined, headers: {}, connection }).allow).toBe(false);
    expect(rules.decisions()).toBe(2); // the unresolvable peer never reaches the rules
  });

  it('connections are not confused with each other', () => {
    const rules = swappableRules(['203.0.113.0/24']);
    const gate = createGate({ allow: rules.source });
    const a = {};
    const b = {};
    expect(gate.check({ remoteAddress: '203.0.113.7', headers: {}, connection: a }).allow).toBe(true);
    expect(gate.check({ remoteAddress: '198.51.100.1', headers: {}, connection: b }).allow).toBe(false);
    expect(gate.check({ remoteAddress: '203.0.113.7', headers: {}, connection: a }).allow).toBe(true);
    expect(gate.check({ remoteAddress: '198.51.100.1', headers: {}, connection: b }).allow).toBe(false);
    expect(rules.decisions()).toBe(2);
  });

  it('behind trusted proxies every request is decided: the client comes from its headers', () => {
    const rules = swappableRules(['203.0.113.0/24']);
    const gate = createGate({
      allow: rules.source,
      clientAddress: { mode: 'trusted-proxies', trusted: ['10.0.0.1'] },
    });
    const connection = {};
    const ask = (xff: string) =>
      gate.check({ remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': xff }, connection }).allow;
    expect(ask('203.0.113.7')).toBe(true);
    expect(ask('198.51.100.1')).toBe(false); // a second client through the same proxy connection
    expect(ask('203.0.113.8')).toBe(true);
    expect(rules.decisions()).toBe(3);
  });

  it('the cached decision cannot be changed by one request for the next', () => {
    const rules = swappableRules(['203.0.113.0/24']);
    const gate = createGate({ allow: rules.source });
    const connection = {};
    gate.check({ remoteAddress: '203.0.113.7', headers: {}, connection });
    const second = gate.check({ remoteAddress: '203.0.113.7', headers: {}, connection });
    expect(() => {
      (second.decision as { allow: boolean }).allow = false;
    }).toThrow(TypeError);
    expect(() => {
      (second.decision.matched as unknown[]).length = 0;
    }).toThrow(TypeError);
    const third = gate.check({ remoteAddress: '203.0.113.7', headers: {}, connection });
    expect(third.allow).toBe(true);
    expect(third.decision.matched).toHaveLength(1);
    expect(third.client?.equals(IpAddress.parse('203.0.113.7'))).toBe(true);
  });

  it('two gates on one connection keep their own decisions', () => {
    const open = swappableRules(['203.0.113.0/24']);
    const strict = swappableRules(['198.51.100.0/24']);
    const a = createGate({ allow: open.source });
    const b = createGate({ allow: strict.source });
    const connection = {};
    for (let i = 0; i < 2; i++) {
      expect(a.check({ remoteAddress: '203.0.113.7', headers: {}, connection }).allow).toBe(true);
      expect(b.check({ remoteAddress: '203.0.113.7', headers: {}, connection }).allow).toBe(false);
    }
    expect([open.decisions(), strict.decisions()]).toEqual([1, 1]);
  });

  it('a frozen connection object is remembered too (the gate never writes to it)', () => {
    const rules = swappableRules(['203.0.113.0/24']);
    const gate = createGate({ allow: rules.source });
    const connection = Object.freeze({});
    for (let i = 0; i < 3; i++) {
      expect(gate.check({ remoteAddress: '203.0.113.7', headers: {}, connection }).allow).toBe(true);
    }
    expect(rules.decisions()).toBe(1);
    expect(Reflect.ownKeys(connection)).toEqual([]);
  });

  it('without a connection every request is decided', () => {
    const rules = swappableRules(['203.0.113.0/24']);
    const gate = createGate({ allow: rules.source });
    for (let i = 0; i < 3; i++) gate.check({ remoteAddress: '203.0.113.7', headers: {} });
    expect(rules.decisions()).toBe(3);
  });
});
