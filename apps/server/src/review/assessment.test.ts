import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AddressFacts,
  type AssessmentHistory,
  assess,
  type DataVersion,
  heldForBurst,
  type ListedFacts,
} from './assessment.js';
import { emptyListed, publicFacts } from './assessment.test-support.js';
import { defaultReviewSettings, parseReviewSettings, type ReviewSettings } from './review-settings.js';

const data: DataVersion = { date: '2026-06-17', source: 'test data' };
const neighbour: ListedFacts = {
  size: 1,
  networks: new Map([['198.51.100.0/24', '198.51.100.7']]),
  asns: new Map([[64500, '198.51.100.7']]),
  countries: new Map([['NL', '198.51.100.7']]),
};
const history = (extra: Partial<AssessmentHistory> = {}): AssessmentHistory => ({
  listed: neighbour,
  newAddressesOnKey: 1,
  authFailures: 0,
  ...extra,
});

describe('assess', () => {
  it('trusts a neighbour in the same /24 with every factor named, weighed and explained', () => {
    const a = assess(publicFacts('198.51.100.9'), history(), defaultReviewSettings, data);
    expect(a.verdict).toBe('trusted');
    expect(a.score).toBe(100);
    expect(a.factors.map((f) => [f.factor, f.applies, f.points])).toEqual([
      ['same-network', true, 60],
      ['same-asn', true, 30],
      ['same-country', true, 10],
      ['hosting-network', false, 0],
      ['reserved-address', false, 0],
      ['key-burst', false, 0],
      ['auth-failures', false, 0],
      ['first-address', false, 0],
    ]);
    expect(a.reasons).toEqual([
      'same-network +60: 198.51.100.0/24 as listed 198.51.100.7',
      'same-asn +30: AS64500 (Example Net) as listed 198.51.100.7',
      'same-country +10: NL as listed 198.51.100.7',
      'score 100 >= 50: trusted',
    ]);
    expect(a.data).toEqual(data);
  });

  it('holds an address of the same operator and country but another network (40 < 50)', () => {
    const a = assess(
      publicFacts('198.51.101.9', { network: '198.51.101.0/24' }),
      history(),
      defaultReviewSettings,
      data,
    );
    expect(a).toMatchObject({ verdict: 'held', score: 40 });
    expect(a.reasons.at(-1)).toBe('score 40 < 50: held');
  });

  it('in a hosting network, the same ASN does not count and the neighbourhood alone is not enough', () => {
    const a = assess(
      publicFacts('198.51.100.9', { hosting: 'Example Cloud' }),
      history(),
      defaultReviewSettings,
      data,
    );
    expect(a).toMatchObject({ verdict: 'held', score: 40 });
    expect(a.factors.find((f) => f.factor === 'same-asn')?.evidence).toContain(
      'not counted: a hosting network',
    );
  });

  it('never trusts reserved space, whatever the score', () => {
    const a = assess(
      publicFacts('198.51.100.9', { reserved: 'private' }),
      history(),
      defaultReviewSettings,
      data,
    );
    expect(a).toMatchObject({ verdict: 'held', score: 100 });
    expect(a.reasons.at(-1)).toBe('held by reserved-address (score 100)');
  });

  it('holds every new address of a key once it has the burst limit of them within the hour', () => {
    const s = defaultReviewSettings;
    expect(
      assess(publicFacts('198.51.100.9'), history({ newAddressesOnKey: s.burstLimit - 1 }), s, data).verdict,
    ).toBe('trusted');
    const burst = assess(publicFacts('198.51.100.9'), history({ newAddressesOnKey: s.burstLimit }), s, data);
    expect(burst.verdict).toBe('held');
    expect(burst.factors.find((f) => f.factor === 'key-burst')).toMatchObject({ applies: true, holds: true });
  });

  it('counts recent authentication failures from the address against it', () => {
    const a = assess(publicFacts('198.51.100.9'), history({ authFailures: 3 }), defaultReviewSettings, data);
    expect(a).toMatchObject({ verdict: 'held', score: 100 - 60 });
    expect(a.reasons).toContain(
      'auth-failures -60: 3 failed authentications from the address within an hour (counts at 3)',
    );
  });

  it('learns the first address only when the rule is on and nothing is listed', () => {
    const first = history({ listed: emptyListed });
    expect(assess(publicFacts('198.51.100.9'), first, defaultReviewSettings, data).verdict).toBe('held');
    const learning = parseReviewSettings('learnFirstAddress=true');
    const a = assess(publicFacts('198.51.100.9'), first, learning, data);
    expect(a).toMatchObject({ verdict: 'trusted', score: 100 });
    expect(assess(publicFacts('10.0.0.9', { reserved: 'private' }), first, learning, data).verdict).toBe(
      'held',
    );
  });

  it('knows nothing of ASN and country without data, and says so', () => {
    const a = assess(
      publicFacts('198.51.100.9', { asn: null, asnName: null, country: null }),
      history(),
      defaultReviewSettings,
      { date: null, source: 'no network data' },
    );
    expect(a).toMatchObject({ verdict: 'trusted', score: 60, data: { date: null } });
    expect(a.factors.find((f) => f.factor === 'same-asn')?.evidence).toBe('ASN unknown');
  });
});

describe('assess is a pure function of (facts, history, settings)', () => {
  const facts = fc.record<AddressFacts>({
    address: fc.constantFrom('198.51.100.9', '203.0.113.5', '192.0.2.1'),
    network: fc.constantFrom('198.51.100.0/24', '203.0.113.0/24', '192.0.2.0/24'),
    reserved: fc.option(fc.constantFrom('private', 'loopback'), { nil: null }),
    asn: fc.option(fc.integer({ min: 1, max: 70000 }), { nil: null }),
    asnName: fc.option(fc.string(), { nil: null }),
    country: fc.option(fc.constantFrom('NL', 'DE', 'US'), { nil: null }),
    hosting: fc.option(fc.constantFrom('Example Cloud'), { nil: null }),
  });
  const listed = fc
    .array(
      fc.tuple(
        fc.constantFrom('198.51.100.0/24', '203.0.113.0/24'),
        fc.integer({ min: 1, max: 70000 }),
        fc.constantFrom('NL', 'DE', 'US'),
      ),
      { maxLength: 4 },
    )
    .map(
      (rows): ListedFacts => ({
        size: rows.length,
        networks: new Map(rows.map(([n], i) => [n, `entry ${i}`])),
        asns: new Map(rows.map(([, a], i) => [a, `entry ${i}`])),
        countries: new Map(rows.map(([, , c], i) => [c, `entry ${i}`])),
      }),
    );
  const hist = fc.record<AssessmentHistory>({
    listed,
    newAddressesOnKey: fc.integer({ min: 1, max: 20 }),
    authFailures: fc.integer({ min: 0, max: 10 }),
  });
  const settings = fc
    .record({
      sameNetwork: fc.integer({ min: -100, max: 100 }),
      sameAsn: fc.integer({ min: -100, max: 100 }),
      trustScore: fc.integer({ min: 1, max: 200 }),
      burstLimit: fc.integer({ min: 1, max: 10 }),
      learnFirstAddress: fc.boolean(),
    })
    .map((s): ReviewSettings => parseReviewSettings(s));

  it('gives the same verdict and reasons for the same inputs, and copies of them', () => {
    fc.assert(
      fc.property(facts, hist, settings, (f, h, s) => {
        const a = assess(f, h, s, data);
        const b = assess(structuredClone(f), structuredClone(h), { ...s }, { ...data });
        expect(b).toEqual(a);
        expect(JSON.parse(JSON.stringify(a))).toEqual(a);
      }),
    );
  });

  it('scores the sum of the factors that apply, and trusts only at the threshold with nothing holding', () => {
    fc.assert(
      fc.property(facts, hist, settings, (f, h, s) => {
        const a = assess(f, h, s, data);
        expect(a.score).toBe(a.factors.reduce((sum, x) => sum + (x.applies ? x.weight : 0), 0));
        const holds = a.factors.some((x) => x.holds);
        expect(a.verdict).toBe(!holds && a.score >= s.trustScore ? 'trusted' : 'held');
        if (f.reserved !== null) expect(a.verdict).toBe('held');
        if (h.newAddressesOnKey >= s.burstLimit) expect(a.verdict).toBe('held');
        expect(a.reasons).toHaveLength(a.factors.filter((x) => x.applies).length + 1);
      }),
    );
  });

  it('a burst seen later holds the verdict as assess would with that count, and changes nothing else', () => {
    fc.assert(
      fc.property(facts, hist, settings, fc.integer({ min: 1, max: 50 }), (f, h, s, extra) => {
        const n = Math.max(s.burstLimit, h.newAddressesOnKey) + extra - 1;
        const later = heldForBurst(assess(f, h, s, data), n, s.burstLimit);
        const direct = assess(f, { ...h, newAddressesOnKey: n }, s, data);
        const evidence = (x: typeof later) =>
          x.factors.map((g) => (g.factor === 'key-burst' ? '' : g.evidence));
        expect(later.verdict).toBe('held');
        expect({ ...later, factors: evidence(later), reasons: later.reasons.length }).toEqual({
          ...direct,
          factors: evidence(direct),
          reasons: direct.reasons.length,
        });
        expect(later.factors.find((g) => g.factor === 'key-burst')?.evidence).toBe(
          `${n} new address${n === 1 ? '' : 'es'} on the key within an hour, on every node (holds at ${s.burstLimit})`,
        );
      }),
    );
  });
});

describe('parseReviewSettings', () => {
  it('reads name=value text and objects over the defaults', () => {
    expect(parseReviewSettings('sameNetwork=70, burstLimit=3')).toEqual({
      ...defaultReviewSettings,
      sameNetwork: 70,
      burstLimit: 3,
    });
    expect(parseReviewSettings({ learnFirstAddress: true, trustScore: 80 })).toMatchObject({
      learnFirstAddress: true,
      trustScore: 80,
    });
    expect(parseReviewSettings('')).toEqual(defaultReviewSettings);
  });

  it.each([
    ['sameNetwrok=60', 'sameNetwrok', 'not a review setting'],
    ['sameNetwork=6.5', 'sameNetwork', 'whole number'],
    ['burstLimit=0', 'burstLimit', 'at least 1'],
    ['learnFirstAddress=yes', 'learnFirstAddress', 'true or false'],
    ['sameNetwork', 'sameNetwork', 'name=value'],
  ])('refuses %s naming %s', (text, field, message) => {
    expect(() => parseReviewSettings(text)).toThrowError(
      expect.objectContaining({ code: 'IPG_CONFIG_INVALID', field }),
    );
    expect(() => parseReviewSettings(text)).toThrowError(message);
  });
});
