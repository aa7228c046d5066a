/**
 * The wire shape of admin tokens (principals of kind `token`).
 */
import { type Static, Type } from 'typebox';
import type { Principal } from '../../store/store.js';
import { ROLES } from '../../store/vocabulary.js';
import { DateTime, Id, Name } from './common.js';

const Role = Type.Enum(ROLES, {
  description: 'viewer reads; editor also writes; owner also manages admin tokens.',
});

const tokenProperties = {
  id: Type.String(),
  kind: Type.Enum(['token', 'user']),
  name: Type.String(),
  role: Role,
  tenantId: Type.Union([Type.String(), Type.Null()], { description: 'null: every tenant.' }),
  version: Type.Integer(),
  createdAt: DateTime,
  updatedAt: DateTime,
};

/** @example { "id": "prn_1", "name": "ci", "role": "editor", "tenantId": null, … } */
export const Token = Type.Object(tokenProperties);

/** @example { …token, "secret": "ipg_adm_…" } */
export const TokenWithSecret = Type.Object({
  ...tokenProperties,
  secret: Type.String({ description: 'Shown once; ipgate keeps only its hash.' }),
});

export type TokenDto = Static<typeof Token>;

/** POST /v1/tokens. @example { "name": "ci", "role": "editor", "tenantId": "ten_1" } */
export const CreateTokenBody = Type.Object(
  {
    name: Name,
    role: Role,
    tenantId: Type.Optional(Type.Union([Id('The one tenant it may see.'), Type.Null()])),
  },
  {
    additionalProperties: false,
    examples: [
      { name: 'deploy pipeline', role: 'editor' },
      { name: 'dashboard', role: 'viewer', tenantId: null },
    ],
  },
);

/**
 * The DTO of a principal.
 *
 * @example
 * toTokenDto(principal).role; // 'owner'
 */
export function toTokenDto(p: Principal): TokenDto {
  return {
    id: p.id,
    kind: p.kind,
    name: p.name,
    role: p.role,
    tenantId: p.tenantId,
    version: p.version,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}
