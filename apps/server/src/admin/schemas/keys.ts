/**
 * The wire shape of API keys and their restriction summary. A secret appears only in the answer to
 * create and rotate.
 */
import { type Static, Type } from 'typebox';
import type { ApiKey } from '../../store/store.js';
import { DateTime, Name, NullableDateTime } from './common.js';

const keyProperties = {
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the secret, to recognise the key.' }),
  status: Type.Enum(['active', 'revoked']),
  ipRestrictionEnabled: Type.Boolean(),
  domainRestrictionEnabled: Type.Boolean(),
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
  { additionalProperties: false },
);

/** PATCH …/keys/{keyId}. @example { "domainRestrictionEnabled": true } */
export const UpdateKeyBody = Type.Object(
  {
    name: Type.Optional(Name),
    ipRestrictionEnabled: Type.Optional(Type.Boolean()),
    domainRestrictionEnabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
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
    version: k.version,
    createdAt: k.createdAt.toISOString(),
    updatedAt: k.updatedAt.toISOString(),
    rotatedAt: k.rotatedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}
