/**
 * The wire shape of a key's own restriction entries: IP entries (server callers) and domain rules
 * (browser callers).
 */
import { type Static, Type } from 'typebox';
import type { KeyDomainEntry as StoredDomain, KeyIpEntry as StoredIp } from '../../store/store.js';
import { DateTime, Label, Warning } from './common.js';
import { usageProperty } from './entry-usage.js';
import { DryRunFlag } from './simulation.js';

const common = {
  id: Type.String(),
  keyId: Type.String(),
  name: Type.String(),
  value: Type.String({ description: 'As written.' }),
  canonical: Type.String(),
  version: Type.Integer(),
  createdAt: DateTime,
  updatedAt: DateTime,
};

/** An IP entry of a key. @example { "id": "kip_1", "type": "ip", "value": "203.0.113.7", … } */
export const KeyIpEntry = Type.Object({
  ...common,
  type: Type.Enum(['ip', 'range']),
  usage: usageProperty('Present on list answers.'),
});

/** A domain rule of a key. @example { "id": "kdm_1", "value": "*.example.com", … } */
export const KeyDomainEntry = Type.Object(common);

/** An add or edit answer with core's warnings. @example { …entry, warnings: [] } */
export const KeyIpEntryWithWarnings = Type.Object({
  ...common,
  type: Type.Enum(['ip', 'range']),
  warnings: Type.Array(Warning),
});

/** An add or edit answer for a domain rule. @example { …entry, warnings: [] } */
export const KeyDomainEntryWithWarnings = Type.Object({ ...common, warnings: Type.Array(Warning) });

const addKeyEntryProperties = {
  value: Type.String({ minLength: 1, maxLength: 300 }),
  name: Type.Optional(Label),
  dryRun: DryRunFlag,
};

/** POST …/ips: one body shape with the domain rules, but its own examples. @example { "value": "198.51.100.7" } */
export const AddKeyIpBody = Type.Object(addKeyEntryProperties, {
  additionalProperties: false,
  examples: [{ value: '198.51.100.7', name: 'build server' }, { value: '192.0.2.0/28' }],
});

/** POST …/domains. @example { "value": "*.example.com", "name": "portal" } */
export const AddKeyDomainBody = Type.Object(addKeyEntryProperties, {
  additionalProperties: false,
  examples: [{ value: '*.example.com', name: 'portal' }, { value: 'app.example.org' }],
});

/** PATCH …/ips/{entryId} or …/domains/{entryId}. @example { "name": "office" } */
export const UpdateKeyEntryBody = Type.Object(
  {
    value: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    name: Type.Optional(Label),
    dryRun: DryRunFlag,
  },
  { additionalProperties: false, examples: [{ name: 'office' }] },
);

export type KeyIpEntryDto = Static<typeof KeyIpEntry>;
export type KeyDomainEntryDto = Static<typeof KeyDomainEntry>;

/**
 * The DTO of a key IP entry.
 *
 * @example
 * toKeyIpEntryDto(entry).canonical; // '203.0.113.0/24'
 */
export function toKeyIpEntryDto(e: StoredIp): KeyIpEntryDto {
  return { ...toKeyDomainEntryDto(e), type: e.type };
}

/**
 * The DTO of a key domain rule.
 *
 * @example
 * toKeyDomainEntryDto(rule).canonical; // '*.example.com'
 */
export function toKeyDomainEntryDto(e: StoredDomain | StoredIp): KeyDomainEntryDto {
  return {
    id: e.id,
    keyId: e.keyId,
    name: e.name,
    value: e.value,
    canonical: e.canonical,
    version: e.version,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}
