import { type Decision, decide, type IpAddress, type MatchedRule, type RequestOrigin } from '@ipgate/core';
import type { CompiledApi, CompiledKey, CompiledTenant } from './snapshot.js';

/** The compiled rules that apply to one request, as far as they are known. */
export interface SnapshotDecisionInput {
  readonly client: IpAddress;
  readonly origin: RequestOrigin;
  readonly api?: CompiledApi | undefined;
  readonly tenant?: CompiledTenant | undefined;
  readonly key?: CompiledKey | undefined;
}

/**
 * Core's `decide` on compiled snapshot parts, plus the one case core cannot express: an API whose
 * allowlist lost rows to a compile failure denies everyone rather than falling open. The gateway
 * and `RulesEngine.check` both call this, so they cannot disagree.
 *
 * @example
 * const d = decideOnSnapshot({ client, origin: originOf(req.headers), api, tenant, key });
 * if (!d.allow) deny(d);
 */
export function decideOnSnapshot(input: SnapshotDecisionInput): Decision {
  const { api } = input;
  if (api?.allowlistBroken === true) {
    return {
      allow: false,
      status: 403,
      stage: 'api-allowlist',
      reason: 'api-allowlist-not-listed',
      matched: [],
      reviewable: false,
      detail: `the allowlist of API ${api.id} has rows that could not be compiled; denying everyone`,
    };
  }
  return decide({
    client: input.client,
    origin: input.origin,
    apiAllowlist: api?.allowlist,
    tenant: input.tenant?.restriction,
    key: input.key?.restrictions,
  });
}

/**
 * The decision with the ids of the entries that matched. Compiled lists keep their entries' ids
 * beside the set (see EntryIds), and the request path never asks for them; explanations do.
 *
 * @example
 * const explained = withMatchedIds(decideOnSnapshot(input), input);
 * explained.matched[0]?.id; // 'ent_…'
 */
export function withMatchedIds(decision: Decision, input: SnapshotDecisionInput): Decision {
  if (decision.matched.every((m) => m.id !== undefined)) return decision;
  return {
    ...decision,
    matched: decision.matched.map((m) => (m.id !== undefined ? m : { ...m, id: matchedEntryId(m, input) })),
  };
}

/** The compiled parts a matched rule may belong to. */
export type MatchedOwners = Pick<SnapshotDecisionInput, 'api' | 'tenant' | 'key'>;

/**
 * The id of the entry a matched rule stands for: its own (domain rules keep theirs), or the one the
 * compiled list keeps at its position. Reads no store; a packed id is unpacked in place.
 *
 * @example
 * matchedEntryId(decision.matched[0], { api, tenant, key }); // 'ent_…'
 */
export function matchedEntryId(m: MatchedRule, input: MatchedOwners): string | undefined {
  if (m.id !== undefined) return m.id;
  if (m.list === 'tenant') return input.tenant?.entryIds.at(m.index);
  if (m.list === 'api-allowlist') return input.api?.allowlistIds.at(m.index);
  if (m.list === 'key-ips') return input.key?.ipIds.at(m.index);
  return undefined;
}
