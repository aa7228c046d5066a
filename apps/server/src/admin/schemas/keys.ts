/**
 * The wire shape of API keys and their restriction summary. A secret appears only in the answer to
 * create and rotate.
 */
import { type Static, Type } from 'typebox';
import type { ApiKey } from '../../store/store.js';
import { DateTime, Name, NullableDateTime, Warning, type WarningType } from './common.js';

const keyProperties = {
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the secret, to recognise the key.' }),
  status: Type.Enum(['active', 'revoked']),
  ipRestrictionEnabled: Type.Boolean({
    description: 'A server key: calls are held to the key’s IP list (and the tenant’s address list).',
  }),
  domainRestrictionEnabled: Type.Boolean({
    description:
      'With IP restriction off, a browser key: browser calls from the listed origins only, judged by the domain rules instead of the tenant’s address list; server calls are denied.',
  }),
  kind: Type.Enum(['any', 'server', 'browser', 'both'], {
    description:
      'What the switches make of the key: any (no key restriction), server (IP list), browser (domain list; the tenant’s address list does not apply), both (see warnings).',
  }),
  warnings: Type.Optional(
    Type.Array(Warning, {
      description: 'IPG_WARN_KEY_ORIGIN_CHOSEN_BY_CALLER when both restrictions are on.',
    }),
  ),
  version: Type.Integer(),
  createdAt: DateTime,
  updatedAt: DateTime,
  rotatedAt: NullableDateTime,
  revokedAt: NullableDateTime,
};

/** A key, never its secret. @example { "id": "key_1", "prefix": "ipg_live_AbCd", "status": "active", … } */
export const Key = Type.Object(keyProperties);

export type KeyDto = Static<typeof Key>;

/** A key with its secret: shown once, by create and rotate. @example { …key, "secret": "ipg_live_…" } */
export const KeyWithSecret = Type.Object({
  ...keyProperties,
  secret: Type.String({ description: 'Shown once; store it now, ipgate keeps only its hash.' }),
});

/** POST …/keys. @example { "name": "ci", "ipRestrictionEnabled": true } */
export const CreateKeyBody = Type.Object(
  {
    name: Name,
    ipRestrictionEnabled: Type.Optional(Type.Boolean()),
    domainRestrictionEnabled: Type.Optional(Type.Boolean()),
  },
  {
    additionalProperties: false,
    examples: [{ name: 'ci' }, { name: 'web app', domainRestrictionEnabled: true }],
  },
);

/** PATCH …/keys/{keyId}. @example { "domainRestrictionEnabled": true } */
export const UpdateKeyBody = Type.Object(
  {
    name: Type.Optional(Name),
    ipRestrictionEnabled: Type.Optional(Type.Boolean()),
    domainRestrictionEnabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, examples: [{ ipRestrictionEnabled: true }, { name: 'ci runners' }] },
);

const Usage = Type.Object({
  enabled: Type.Boolean(),
  count: Type.Integer(),
  limit: Type.Integer({ description: "From the tenant's limits." }),
});

/** GET …/keys/{keyId}/restrictions. @example { "keyId": "key_1", "ips": { "enabled": true, "count": 2, "limit": 5 }, … } */
export const KeyRestrictions = Type.Object({
  keyId: Type.String(),
  ips: Usage,
  domains: Usage,
  version: Type.Integer({ description: "The key's version (the ETag)." }),
});

/**
 * The DTO of a stored key.
 *
 * @example
 * toKeyDto(key).status; // 'active'
 */
export function toKeyDto(k: ApiKey): KeyDto {
  return {
    id: k.id,
    tenantId: k.tenantId,
    name: k.name,
    prefix: k.prefix,
    status: k.status,
    ipRestrictionEnabled: k.ipRestrictionEnabled,
    domainRestrictionEnabled: k.domainRestrictionEnabled,
    kind: keyKind(k),
    ...(k.ipRestrictionEnabled && k.domainRestrictionEnabled ? { warnings: [BOTH_LISTS] } : {}),
    version: k.version,
    createdAt: k.createdAt.toISOString(),
    updatedAt: k.updatedAt.toISOString(),
    rotatedAt: k.rotatedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

/**
 * The model of docs/architecture/domains.md#browser-keys-and-server-keys, named.
 *
 * @example
 * keyKind({ ipRestrictionEnabled: false, domainRestrictionEnabled: true }); // 'browser'
 */
export function keyKind(
  k: Pick<ApiKey, 'ipRestrictionEnabled' | 'domainRestrictionEnabled'>,
): KeyDto['kind'] {
  if (k.ipRestrictionEnabled) return k.domainRestrictionEnabled ? 'both' : 'server';
  return k.domainRestrictionEnabled ? 'browser' : 'any';
}

const BOTH_LISTS: WarningType = {
  code: 'IPG_WARN_KEY_ORIGIN_CHOSEN_BY_CALLER',
  message:
    "Both restrictions are on: a request that sends an Origin is judged by the domain list and skips the key's IP list, and Origin is chosen by the caller — any server can send a listed one. Domain rules keep honest browsers on your sites; they prove nothing against a server-side attacker who has the key. Use one browser key (domains only) and one server key (IPs only).",
};
