/**
 * The auto-review benchmarks' trusted assessment: an address of the review bench's /48 (the same
 * for every address; a write's cost does not depend on its reasons), assessed by the build under
 * test — its `assess` and `defaultReviewSettings` are passed in, so a script that loads another
 * build's modules (`auto-batch-write.mjs <root>`) assesses with that build.
 */
export function trustedAssessment(assess, defaultReviewSettings) {
  const facts = {
    address: '2003:e1:1::1',
    network: '2003:e1:1::/48',
    reserved: null,
    asn: 3320,
    asnName: 'Deutsche Telekom AG',
    country: 'DE',
    hosting: null,
  };
  const listed = {
    size: 1,
    networks: new Map([[facts.network, '2003:e1:1::1']]),
    asns: new Map([[3320, '2003:e1:1::1']]),
    countries: new Map([['DE', '2003:e1:1::1']]),
  };
  return assess(facts, { listed, newAddressesOnKey: 1, authFailures: 0 }, defaultReviewSettings, {
    date: '2026-06-17',
    source: 'bench',
  });
}
