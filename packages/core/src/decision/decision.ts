import type { DecisionReason } from '../errors/catalogue.js';

/** The pipeline stages core decides, in the order of the pipeline (docs/architecture/pipeline.md). */
export type Stage = 'client-address' | 'api-allowlist' | 'tenant-restriction' | 'key-restriction';

/** Which list a rule that let the request through belongs to. */
export type RuleList = 'api-allowlist' | 'tenant' | 'key-ips' | 'key-domains';

/** A rule that let the request through one stage: what an operator reads to understand an allow. */
export interface MatchedRule {
  readonly stage: Stage;
  readonly list: RuleList;
  /** Position in the list the set was compiled from. */
  readonly index: number;
  readonly name: string | undefined;
  readonly id: string | undefined;
  /** The entry or domain rule as written. */
  readonly value: string;
}

/**
 * The outcome of a request, and why.
 *
 * @example
 * const denied: Decision = {
 *   allow: false,
 *   status: 403,
 *   stage: 'tenant-restriction',
 *   reason: 'tenant-ip-not-listed',
 *   matched: [],
 *   reviewable: true,
 * };
 */
export interface Decision {
  readonly allow: boolean;
  readonly status: 200 | 403;
  /** The stage that denied, or `complete` when every stage passed. */
  readonly stage: Stage | 'complete';
  readonly reason: DecisionReason;
  /** The rules that let the request through the stages it passed, in stage order. */
  readonly matched: readonly MatchedRule[];
  /**
   * True when the tenant restriction denied an address it does not list: the server records it as
   * pending for review (docs/architecture/review.md); assessing it in `auto` mode is planned.
   */
  readonly reviewable: boolean;
  /** Extra words for operators (e.g. the offending forwarded element). Never shown to the caller. */
  readonly detail?: string;
}
