/**
 * The wire shape of network list entries: a tenant's IP list and an API's allowlist share it.
 */
import { type Static, Type } from 'typebox';
import type { IpListEntry } from '../../store/store.js';
import { ENTRY_SOURCES } from '../../store/vocabulary.js';
import { ConfirmLockout, DateTime, Label, NullableDateTime, Warning } from './common.js';
import { usageProperty } from './entry-usage.js';
import { DryRunFlag } from './simulation.js';

const Value = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'An address, CIDR, dotted netmask, partial CIDR or range.',
});

const entryProperties = {
  id: Type.String(),
  name: Type.String(),
  type: Type.Enum(['ip', 'range']),
  value: Type.String({ description: 'As written.' }),
  canonical: Type.String({ description: 'The one spelling ipgate stores and compares.' }),
  enabled: Type.Boolean(),
  expiresAt: NullableDateTime,
  source: Type.Enum(ENTRY_SOURCES),
  reason: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.String(),
  version: Type.Integer(),
  createdAt: DateTime,
  updatedAt: DateTime,
};

/** One entry. @example { "id": "ent_1", "value": "203.0.113.0/24", "canonical": "203.0.113.0/24", … } */
export const IpEntry = Type.Object({
  ...entryProperties,
  usage: usageProperty('Present on list and get answers.'),
});

export type IpEntryDto = Static<typeof IpEntry>;

/** What an add or edit answers: the entry and core's warnings about it. @example { …entry, warnings: [] } */
export const IpEntryWithWarnings = Type.Object({
  ...entryProperties,
  warnings: Type.Array(Warning),
  usage: usageProperty('Present on list answers.'),
});

/** POST …/entries. @example { "value": "203.0.113.0/24", "name": "office" } */
export const AddIpEntryBody = Type.Object(
  {
    value: Value,
    name: Type.Optional(Label),
    enabled: Type.Optional(Type.Boolean()),
    expiresAt: Type.Optional(NullableDateTime),
    reason: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
    confirmLockout: ConfirmLockout,
    dryRun: DryRunFlag,
  },
  {
    additionalProperties: false,
    examples: [
      { value: '198.51.100.0/24', name: 'office' },
      {
        value: '192.0.2.10-192.0.2.20',
        name: 'contractor VPN',
        expiresAt: '2099-01-01T00:00:00Z',
        reason: 'Until the contract ends',
      },
      { value: '203.0.113.99', dryRun: true },
    ],
  },
);

/** PATCH …/entries/{entryId}. @example { "enabled": false, "confirmLockout": true } */
export const UpdateIpEntryBody = Type.Object(
  {
    value: Type.Optional(Value),
    name: Type.Optional(Label),
    enabled: Type.Optional(Type.Boolean()),
    expiresAt: Type.Optional(NullableDateTime),
    confirmLockout: ConfirmLockout,
    dryRun: DryRunFlag,
  },
  { additionalProperties: false, examples: [{ name: 'head office' }, { expiresAt: null }] },
);

/**
 * The DTO of a stored entry.
 *
 * @example
 * toIpEntryDto(entry).expiresAt; // null or '2030-01-01T00:00:00.000Z'
 */
export function toIpEntryDto(e: IpListEntry): IpEntryDto {
  return {
    id: e.id,
    name: e.name,
    type: e.type,
    value: e.value,
    canonical: e.canonical,
    enabled: e.enabled,
    expiresAt: e.expiresAt === null ? null : e.expiresAt.toISOString(),
    source: e.source,
    reason: e.reason,
    createdBy: e.createdBy,
    version: e.version,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}
