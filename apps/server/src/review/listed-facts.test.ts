import { IpSet } from '@ipgate/core';
import { describe, expect, it } from 'vitest';
import { listedFacts } from './listed-facts.js';
import type { NetworkFacts } from './network-facts.js';
import { testNetworkFacts } from './network-facts.test-support.js';

/** Test facts that count their lookups. */
function counting(): NetworkFacts & { lookups: number } {
  const inner = testNetworkFacts({
    '198.51.100.0/24': { asn: 64500, country: 'NL' },
    '203.0.113.0/24': { asn: 64501, country: 'DE' },
    '192.0.2.0/24': { asn: 64500, country: 'FR' },
  });
  const f = {
    lookups: 0,
    version: inner.version,
    facts(a: Parameters<NetworkFacts['facts']>[0]) {
      f.lookups++;
      return inner.facts(a);
    },
  };
  return f;
}

describe('listedFacts', () => {
  it('a list that grew at its end is extended from the previous one: the same facts, new entries looked up only', () => {
    const facts = counting();
    const before = IpSet.from(['198.51.100.7', '203.0.113.0/25']);
    listedFacts(before, facts);
    const grown = IpSet.from(['198.51.100.7', '203.0.113.0/25', '198.51.100.9', '192.0.2.4']);
    facts.lookups = 0;
    const extended = listedFacts(grown, facts, before);
    expect(facts.lookups).toBe(2);
    // Exactly what a build from scratch gives, first entries (the evidence) included.
    const fresh = listedFacts(
      IpSet.from(['198.51.100.7', '203.0.113.0/25', '198.51.100.9', '192.0.2.4']),
      counting(),
    );
    expect(extended).toEqual(fresh);
    expect(extended.networks.get('198.51.100.0/24')).toBe('198.51.100.7');
    expect(extended.asns.get(64500)).toBe('198.51.100.7');
    expect(extended.countries.get('FR')).toBe('192.0.2.4');
  });

  it('a list that lost or reordered entries is built from scratch', () => {
    const facts = counting();
    const before = IpSet.from(['198.51.100.7', '203.0.113.1']);
    listedFacts(before, facts);
    const changed = IpSet.from(['203.0.113.1', '198.51.100.8']);
    facts.lookups = 0;
    const built = listedFacts(changed, facts, before);
    expect(facts.lookups).toBe(2);
    expect(built.networks.get('198.51.100.0/24')).toBe('198.51.100.8');
    expect(built).toEqual(listedFacts(IpSet.from(['203.0.113.1', '198.51.100.8']), counting()));
  });
});
