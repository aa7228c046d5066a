import { type AddressFacts, type Assessment, assess, type ListedFacts } from './assessment.js';
import { defaultReviewSettings } from './review-settings.js';

/** Facts for a public address in AS64500 (NL), overridable. */
export function publicFacts(address: string, extra: Partial<AddressFacts> = {}): AddressFacts {
  const parts = address.split('.');
  return {
    address,
    network: `${parts.slice(0, 3).join('.')}.0/24`,
    reserved: null,
    asn: 64500,
    asnName: 'Example Net',
    country: 'NL',
    hosting: null,
    ...extra,
  };
}

/** A list with nothing in it. */
export const emptyListed: ListedFacts = {
  size: 0,
  networks: new Map(),
  asns: new Map(),
  countries: new Map(),
};

/**
 * A real assessment of `address` with the default settings: `trusted` when a listed neighbour shares
 * its /24, `held` when nothing is listed.
 *
 * @example
 * await store.recordObservations([{ …, assessment: sampleAssessment('198.51.100.9', 'held') }]);
 */
export function sampleAssessment(address: string, verdict: 'trusted' | 'held'): Assessment {
  const facts = publicFacts(address);
  const listed: ListedFacts =
    verdict === 'held'
      ? emptyListed
      : {
          size: 1,
          networks: new Map([[facts.network, 'neighbour']]),
          asns: new Map([[64500, 'neighbour']]),
          countries: new Map([['NL', 'neighbour']]),
        };
  return assess(facts, { listed, newAddressesOnKey: 1, authFailures: 0 }, defaultReviewSettings, {
    date: '2026-06-17',
    source: 'test data',
  });
}
