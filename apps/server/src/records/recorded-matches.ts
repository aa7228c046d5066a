/**
 * Which entries let a request through, as the request log keeps them (docs/architecture/pipeline.md#8-record):
 * each matched rule's list and entry id. The ids come from the compiled rules the decision was made
 * with, so recording them reads no store on the request path; the entries' names are read when the
 * log is shown (a rename shows at once, and a node keeps no names in memory).
 */
import type { MatchedRule } from '@ipgate/core';
import { type MatchedOwners, matchedEntryId } from '../snapshot/decide-on-snapshot.js';
import type { RecordedMatch } from '../store/store.js';

/** What the pipeline's outcome says about the matched rules and the compiled parts they belong to. */
export interface MatchedFacts extends MatchedOwners {
  readonly matched: readonly MatchedRule[];
}

const NONE: readonly RecordedMatch[] = Object.freeze([]);

/**
 * The matched entries of an outcome, in stage order; none when the request matched no entry.
 *
 * @example
 * recordedMatches(outcome); // [{ list: 'tenant', entryId: 'ent_…' }, { list: 'key-domains', entryId: 'kdm_…' }]
 */
export function recordedMatches(facts: MatchedFacts | undefined): readonly RecordedMatch[] {
  if (facts === undefined || facts.matched.length === 0) return NONE;
  const out: RecordedMatch[] = [];
  for (let i = 0; i < facts.matched.length; i++) {
    const m = facts.matched[i] as MatchedRule;
    const entryId = matchedEntryId(m, facts);
    // A rule compiled without an id (none in a store-built snapshot) has nothing to point at.
    if (entryId !== undefined) out.push({ list: m.list, entryId });
  }
  return out;
}
