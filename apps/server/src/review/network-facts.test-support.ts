import type { AddressFacts } from './assessment.js';
import { factsFrom, type NetworkFacts, networkOf } from './network-facts.js';

/** What a test says about the addresses of one /24 or /48. */
export type TestNetwork = Partial<Pick<AddressFacts, 'asn' | 'asnName' | 'country' | 'hosting'>>;

/**
 * Network facts for tests: the networks named (`127.0.0.0/24`) are public space with the facts
 * given; every other address is classified as the server would (127.0.0.0/8 as loopback).
 *
 * @example
 * await startServer(settings, io, { networkFacts: testNetworkFacts({ '127.0.0.0/24': { asn: 64500, country: 'NL' } }) });
 */
export function testNetworkFacts(networks: Readonly<Record<string, TestNetwork>>): NetworkFacts {
  return {
    version: { date: '2026-01-02', source: 'test network facts' },
    facts(address) {
      const network = networkOf(address);
      const known = networks[network];
      if (known === undefined) return factsFrom(address, { asn: null, asnName: null, country: null });
      return {
        address: address.toString(),
        network,
        reserved: null,
        asn: known.asn ?? null,
        asnName: known.asnName ?? null,
        country: known.country ?? null,
        hosting: known.hosting ?? null,
      };
    },
  };
}
