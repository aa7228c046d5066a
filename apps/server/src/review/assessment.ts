/**
 * The assessment of an unknown address: a pure function of what the offline data says about the
 * address (facts), what the tenant and the key did before (history) and the weights (settings).
 * Same inputs, same verdict, same reasons (docs/architecture/review.md#the-assessment).
 */
import type { ReviewSettings } from './review-settings.js';

/** What the offline network data says about one address. */
export interface AddressFacts {
  /** Canonical address. */
  readonly address: string;
  /** Its /24 (IPv4) or /48 (IPv6), e.g. `203.0.113.0/24`. */
  readonly network: string;
  /** The special-purpose block it is in (`private`, `loopback`, …), or null for public space. */
  readonly reserved: string | null;
  /** Autonomous system number of the network operator; null when the data does not know it. */
  readonly asn: number | null;
  readonly asnName: string | null;
  /** ISO 3166-1 alpha-2, or null. */
  readonly country: string | null;
  /** The hosting or cloud provider the ASN belongs to (curated list), or null. */
  readonly hosting: string | null;
}

/** Which offline data the facts came from, named in every verdict. */
export interface DataVersion {
  /** The day the data was published (`2026-06-17`), or null when no data is loaded. */
  readonly date: string | null;
  /** What was read, e.g. `@ip-location-db/asn 2.3.2026061719 (CC BY 4.0) + …`. */
  readonly source: string;
}

/** What the tenant's list looks like, keyed for lookups: value -> the listed entry that has it. */
export interface ListedFacts {
  /** How many enabled entries the list has. */
  readonly size: number;
  readonly networks: ReadonlyMap<string, string>;
  readonly asns: ReadonlyMap<number, string>;
  readonly countries: ReadonlyMap<string, string>;
}

/** What happened before this request, as the node saw it. */
export interface AssessmentHistory {
  readonly listed: ListedFacts;
  /** Distinct new (unlisted) addresses the key was used from within the last hour, this one included. */
  readonly newAddressesOnKey: number;
  /** Failed authentications from this address within the last hour. */
  readonly authFailures: number;
}

export type FactorName =
  | 'same-network'
  | 'same-asn'
  | 'same-country'
  | 'hosting-network'
  | 'reserved-address'
  | 'key-burst'
  | 'auth-failures'
  | 'first-address';

/** One named factor: whether it applied, the points it added, and the evidence it used. */
export interface AssessmentFactor {
  readonly factor: FactorName;
  readonly applies: boolean;
  /** The configured weight (0 for factors that hold instead of scoring). */
  readonly weight: number;
  /** What it added to the score: the weight when it applies, else 0. */
  readonly points: number;
  /** True when it applies and holds the address whatever the score. */
  readonly holds: boolean;
  readonly evidence: string;
}

/**
 * The verdict with its breakdown, as stored with the observation and shown wherever the verdict is
 * (API, notifications). The JSON shape is stable: `factors` in the order of {@link FactorName}.
 */
export interface Assessment {
  readonly verdict: 'trusted' | 'held';
  readonly score: number;
  /** The score at which an address is trusted. */
  readonly trustScore: number;
  readonly factors: readonly AssessmentFactor[];
  /** One line per factor that applied, for people. */
  readonly reasons: readonly string[];
  readonly facts: AddressFacts;
  readonly data: DataVersion;
}

/**
 * Assesses one address. Pure and allocation-light: the maps in `history.listed` are built once per
 * list change, so this costs a few lookups.
 *
 * @example
 * const a = assess(facts, { listed, newAddressesOnKey: 1, authFailures: 0 }, defaultReviewSettings, data);
 * a.verdict; // 'trusted' when a listed address shares the /24
 * a.reasons; // ['same-network +60: 203.0.113.0/24 as listed 203.0.113.7']
 */
export function assess(
  facts: AddressFacts,
  history: AssessmentHistory,
  settings: ReviewSettings,
  data: DataVersion,
): Assessment {
  const { listed } = history;
  const hostingAsn = facts.hosting !== null;
  const net = listed.networks.get(facts.network);
  const asnEntry = facts.asn === null ? undefined : listed.asns.get(facts.asn);
  const countryEntry = facts.country === null ? undefined : listed.countries.get(facts.country);
  const factors: readonly AssessmentFactor[] = [
    scored(
      'same-network',
      net !== undefined,
      settings.sameNetwork,
      net !== undefined ? `${facts.network} as listed ${net}` : `no listed address in ${facts.network}`,
    ),
    scored(
      'same-asn',
      asnEntry !== undefined && !hostingAsn,
      settings.sameAsn,
      facts.asn === null
        ? 'ASN unknown'
        : asnEntry === undefined
          ? `AS${facts.asn} runs no listed address`
          : hostingAsn
            ? `AS${facts.asn} as listed ${asnEntry}, not counted: a hosting network`
            : `AS${facts.asn}${facts.asnName === null ? '' : ` (${facts.asnName})`} as listed ${asnEntry}`,
    ),
    scored(
      'same-country',
      countryEntry !== undefined,
      settings.sameCountry,
      facts.country === null
        ? 'country unknown'
        : countryEntry === undefined
          ? `no listed address in ${facts.country}`
          : `${facts.country} as listed ${countryEntry}`,
    ),
    scored(
      'hosting-network',
      hostingAsn,
      settings.hostingNetwork,
      hostingAsn ? `AS${facts.asn} is ${facts.hosting}, a hosting network` : 'not a known hosting network',
    ),
    holding(
      'reserved-address',
      facts.reserved !== null,
      facts.reserved === null
        ? 'public address space'
        : `${facts.reserved} space is never trusted automatically`,
    ),
    holding(
      'key-burst',
      history.newAddressesOnKey >= settings.burstLimit,
      `${history.newAddressesOnKey} new address${history.newAddressesOnKey === 1 ? '' : 'es'} on the key within an hour (holds at ${settings.burstLimit})`,
    ),
    scored(
      'auth-failures',
      history.authFailures >= settings.authFailureLimit,
      settings.authFailures,
      `${history.authFailures} failed authentication${history.authFailures === 1 ? '' : 's'} from the address within an hour (counts at ${settings.authFailureLimit})`,
    ),
    scored(
      'first-address',
      settings.learnFirstAddress && listed.size === 0,
      settings.firstAddress,
      !settings.learnFirstAddress
        ? 'learning rule off'
        : listed.size === 0
          ? 'nothing listed yet: the first address is learned'
          : `${listed.size} address${listed.size === 1 ? '' : 'es'} listed already`,
    ),
  ];
  return { ...conclude(factors, settings.trustScore), facts, data };
}

/**
 * The assessment as it is once a burst of new addresses on its key was seen — by another node, or
 * after it was made: the `key-burst` factor holds, with the count the store saw, and the verdict and
 * reasons follow. Everything else (facts, other factors, data) stays as it was assessed.
 *
 * @example
 * heldForBurst(trusted, 6, 5).verdict; // 'held'
 */
export function heldForBurst(a: Assessment, newAddresses: number, burstLimit: number): Assessment {
  const factors = a.factors.map((f) =>
    f.factor === 'key-burst'
      ? holding(
          'key-burst',
          true,
          `${newAddresses} new address${newAddresses === 1 ? '' : 'es'} on the key within an hour, on every node (holds at ${burstLimit})`,
        )
      : f,
  );
  return { ...conclude(factors, a.trustScore), facts: a.facts, data: a.data };
}

/** The score, verdict and reasons that follow from the factors. */
function conclude(
  factors: readonly AssessmentFactor[],
  trustScore: number,
): Pick<Assessment, 'verdict' | 'score' | 'trustScore' | 'factors' | 'reasons'> {
  let score = 0;
  let held = false;
  const reasons: string[] = [];
  for (const f of factors) {
    score += f.points;
    if (f.holds) held = true;
    if (f.applies)
      reasons.push(
        `${f.factor}${f.holds ? ' holds' : ` ${f.points >= 0 ? '+' : ''}${f.points}`}: ${f.evidence}`,
      );
  }
  const verdict = !held && score >= trustScore ? 'trusted' : 'held';
  reasons.push(
    held
      ? `held by ${factors
          .filter((f) => f.holds)
          .map((f) => f.factor)
          .join(', ')} (score ${score})`
      : `score ${score} ${verdict === 'trusted' ? '>=' : '<'} ${trustScore}: ${verdict}`,
  );
  return { verdict, score, trustScore, factors, reasons };
}

function scored(factor: FactorName, applies: boolean, weight: number, evidence: string): AssessmentFactor {
  return { factor, applies, weight, points: applies ? weight : 0, holds: false, evidence };
}

function holding(factor: FactorName, applies: boolean, evidence: string): AssessmentFactor {
  return { factor, applies, weight: 0, points: 0, holds: applies, evidence };
}
