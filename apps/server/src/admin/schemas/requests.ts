/**
 * The wire shape of the request log (docs/architecture/pipeline.md#8-record).
 */
import { type Static, Type } from 'typebox';
import type { RequestRecord as StoredRecord } from '../../store/store.js';
import { matchKey } from '../lists/entry-names.js';
import { DateTime, Id } from './common.js';

const NullableString = Type.Union([Type.String(), Type.Null()]);

const Decision = Type.Enum(['allow', 'deny', 'would-deny'], {
  description:
    'allow: passed; deny: refused; would-deny: the rules denied it but it passed, because the API or tenant that denied it is report-only (enforce: false) — stage and reason say what would have denied it.',
});

/** One entry a request matched. @example { "list": "tenant", "entryId": "ent_1", "name": "office" } */
const MatchedEntry = Type.Object({
  list: Type.Enum(['api-allowlist', 'tenant', 'key-ips', 'key-domains'], {
    description:
      "The list: an API's network allowlist, the tenant's IP list, the key's IP list or domain rules.",
  }),
  entryId: Type.String({ description: 'The entry (or domain rule) id.' }),
  name: Type.Union([Type.String(), Type.Null()], {
    description:
      "The entry's name now; null when it has none, was removed since, or is an API allowlist entry and the token sees one tenant only.",
  }),
});

/** @example { "requestId": "req_1", "decision": "deny", "stage": "tenant-restriction", … } */
export const RequestRecord = Type.Object({
  requestId: Type.String(),
  at: DateTime,
  tenantId: NullableString,
  apiId: NullableString,
  keyId: NullableString,
  client: NullableString,
  method: Type.String(),
  path: Type.String(),
  status: Type.Integer(),
  decision: Decision,
  stage: NullableString,
  reason: NullableString,
  latencyMs: Type.Number(),
  origin: Type.Union([Type.String(), Type.Null()], {
    description:
      'The browser origin the decision read (`null` as text when the browser sent no valid origin); null for a server request.',
  }),
  matched: Type.Array(MatchedEntry, {
    description:
      'The list entries that let the request through the stages it passed, in stage order (API allowlist, tenant list, key IP list or domain rules): for allow, what allowed it; for would-deny, the stages before the one that would have denied. Empty when no entry matched (an open API, mode off, a denial at the first stage) and for requests recorded before ipgate kept them.',
  }),
});

export type RequestRecordDto = Static<typeof RequestRecord>;

/** GET …/requests filters. @example ?decision=deny&since=2025-01-01T00:00:00Z */
export const RequestQuery = Type.Object(
  {
    decision: Type.Optional(Decision),
    keyId: Type.Optional(Id('Only requests with this key.')),
    apiId: Type.Optional(Id('Only requests to this API.')),
    client: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Client address.' })),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    until: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  },
  { additionalProperties: false },
);

/**
 * The DTO of a logged request, its matched entries named from `names` (see `recordedMatchNames`).
 *
 * @example
 * toRequestRecordDto(record, names).decision; // 'deny'
 */
export function toRequestRecordDto(
  r: StoredRecord,
  names: ReadonlyMap<string, string | null> = new Map(),
): RequestRecordDto {
  return {
    requestId: r.requestId,
    at: r.at.toISOString(),
    tenantId: r.tenantId,
    apiId: r.apiId,
    keyId: r.keyId,
    client: r.client,
    method: r.method,
    path: r.path,
    status: r.status,
    decision: r.decision,
    stage: r.stage,
    reason: r.reason,
    latencyMs: r.latencyMs,
    origin: r.origin ?? null,
    matched: (r.matched ?? []).map((m) => ({
      list: m.list,
      entryId: m.entryId,
      name: names.get(matchKey(m, r)) ?? null,
    })),
  };
}
