/**
 * The wire shape of tenants and of their IP restriction settings (docs/architecture/management.md).
 */
import { type Static, Type } from 'typebox';
import type { Tenant as StoredTenant } from '../../store/store.js';
import { IP_MODES } from '../../store/vocabulary.js';
import { modeWarnings } from '../mode-warnings.js';
import { ConfirmLockout, DateTime, Name, Warning, type WarningType } from './common.js';

const Mode = Type.Enum(IP_MODES, {
  description:
    'off: every IP may call; manual: only listed IPs (an empty list denies everyone); auto: listed plus assessed-trustworthy IPs (docs/review.md).',
});

const ModeWarnings = Type.Optional(
  Type.Array(Warning, { description: 'What the mode set means, when it needs saying (no mode does today).' }),
);
const Limit = Type.Integer({ minimum: 0, maximum: 1_000_000 });
const Enforce = Type.Boolean({
  description:
    'false: report-only. The tenant and key restrictions still decide every request, but one they deny passes and is recorded as would-deny (request log, metrics). Default true.',
});

/** A tenant as the API shows it. @example const t: TenantDto = toTenantDto(await store.getTenant(id)); */
export const Tenant = Type.Object({
  id: Type.String(),
  name: Type.String(),
  ipMode: Mode,
  ipEntryLimit: Type.Integer(),
  keyIpLimit: Type.Integer(),
  keyDomainLimit: Type.Integer(),
  enforce: Enforce,
  version: Type.Integer(),
  createdAt: DateTime,
  updatedAt: DateTime,
  warnings: ModeWarnings,
});

export type TenantDto = Static<typeof Tenant>;

/** POST /v1/tenants. @example { "name": "Acme", "ipMode": "manual" } */
export const CreateTenantBody = Type.Object(
  {
    name: Name,
    ipMode: Type.Optional(Mode),
    ipEntryLimit: Type.Optional(Limit),
    keyIpLimit: Type.Optional(Limit),
    keyDomainLimit: Type.Optional(Limit),
    enforce: Type.Optional(Enforce),
  },
  {
    additionalProperties: false,
    examples: [{ name: 'Acme' }, { name: 'Globex', ipMode: 'manual', enforce: false }],
  },
);

/** PATCH /v1/tenants/{tenantId}: the name; restriction settings live under ip-restriction. @example { "name": "Acme Inc" } */
export const UpdateTenantBody = Type.Object(
  { name: Type.Optional(Name) },
  { additionalProperties: false, examples: [{ name: 'Acme Corporation' }] },
);

/** A tenant's IP restriction: mode, limits and how many entries it holds. @example GET …/ip-restriction */
export const IpRestriction = Type.Object({
  tenantId: Type.String(),
  mode: Mode,
  ipEntryLimit: Type.Integer(),
  keyIpLimit: Type.Integer(),
  keyDomainLimit: Type.Integer(),
  enforce: Enforce,
  entryCount: Type.Integer({ description: 'Entries on the list.' }),
  activeEntryCount: Type.Integer({ description: 'Entries in force: enabled and not expired.' }),
  version: Type.Integer({ description: "The tenant's version (the ETag)." }),
  warnings: ModeWarnings,
});

/** @example const r: IpRestrictionDto = { tenantId, mode: 'manual', … }; */
export type IpRestrictionDto = Static<typeof IpRestriction>;

/** PATCH …/ip-restriction. Limits need a token for all tenants. @example { "mode": "off" } */
export const UpdateIpRestrictionBody = Type.Object(
  {
    mode: Type.Optional(Mode),
    ipEntryLimit: Type.Optional(Limit),
    keyIpLimit: Type.Optional(Limit),
    keyDomainLimit: Type.Optional(Limit),
    enforce: Type.Optional(Enforce),
    confirmLockout: ConfirmLockout,
  },
  { additionalProperties: false, examples: [{ mode: 'manual' }, { enforce: false }] },
);

/**
 * The DTO of a stored tenant.
 *
 * @example
 * toTenantDto(await store.getTenant('ten_1')).createdAt; // '2025-…Z'
 */
export function toTenantDto(t: StoredTenant): TenantDto {
  return {
    id: t.id,
    name: t.name,
    ipMode: t.ipMode,
    ipEntryLimit: t.ipEntryLimit,
    keyIpLimit: t.keyIpLimit,
    keyDomainLimit: t.keyDomainLimit,
    enforce: t.enforce,
    version: t.version,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    ...withModeWarnings(t.ipMode),
  };
}

/**
 * `{ warnings }` when the mode has something to say, else nothing, for spreading into an answer.
 *
 * @example
 * ({ ...dto, ...withModeWarnings('auto') }).warnings; // undefined: no mode needs a warning today
 */
export function withModeWarnings(mode: StoredTenant['ipMode']): { warnings?: WarningType[] } {
  const warnings = modeWarnings(mode);
  return warnings.length === 0 ? {} : { warnings };
}
