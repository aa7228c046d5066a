/**
 * The wire shape of observed addresses and their review actions (docs/architecture/review.md).
 */
import { type Static, Type } from 'typebox';
import type { ObservedIp as StoredObserved } from '../../store/store.js';
import { Assessment } from './assessment.js';
import { DateTime, Id, Label } from './common.js';
import { IpEntry } from './ip-entries.js';
import { KeyWithSecret } from './keys.js';

const Status = Type.Enum(['authorized', 'pending', 'rejected']);

/** An address that presented a tenant's key. @example { "address": "198.51.100.7", "status": "pending", … } */
export const ObservedIp = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  keyId: Type.String(),
  address: Type.String(),
  firstSeen: DateTime,
  lastSeen: DateTime,
  count: Type.Integer(),
  status: Status,
  reasons: Type.Array(Type.String()),
  assessment: Type.Union([Assessment, Type.Null()], {
    description: 'The latest assessment of the address; null when it was never assessed.',
  }),
  version: Type.Integer(),
});

export type ObservedIpDto = Static<typeof ObservedIp>;

/** GET …/observed-ips filters. @example ?status=pending&keyId=key_1 */
export const ObservedIpQuery = Type.Object(
  {
    status: Type.Optional(Status),
    keyId: Type.Optional(Id('Only addresses seen with this key.')),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  },
  { additionalProperties: false },
);

/** POST …/authorize. @example { "name": "new office", "reason": "confirmed by phone" } */
export const AuthorizeBody = Type.Object(
  { name: Type.Optional(Label), reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false, examples: [{ name: 'home office', reason: 'Confirmed with the customer' }] },
);

/** POST …/reject. @example { "rotateKey": true } */
export const RejectBody = Type.Object(
  {
    rotateKey: Type.Optional(
      Type.Boolean({ description: 'Also give the key a new secret (returned once).' }),
    ),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false, examples: [{ rotateKey: true, reason: 'Not one of our offices' }] },
);

/** What authorize answers. @example { "observed": {…}, "entry": {…} } */
export const AuthorizeResult = Type.Object({
  observed: ObservedIp,
  entry: Type.Union([IpEntry, Type.Null()], { description: 'The entry added; null when already covered.' }),
});

/** What reject answers. @example { "observed": {…}, "rotated": null } */
export const RejectResult = Type.Object({
  observed: ObservedIp,
  rotated: Type.Union([KeyWithSecret, Type.Null()]),
  removedEntries: Type.Array(IpEntry, {
    description:
      "Entries of the tenant's IP list that authorizing this address had added (source review or auto), removed by the reject.",
  }),
  stillListed: Type.Boolean({
    description:
      'True when other entries of the tenant list (written by a person, or wider ranges) still let the address through: the reject did not touch them.',
  }),
});

/**
 * The DTO of an observed address.
 *
 * @example
 * toObservedIpDto(o).lastSeen; // '2025-…Z'
 */
export function toObservedIpDto(o: StoredObserved): ObservedIpDto {
  return {
    id: o.id,
    tenantId: o.tenantId,
    keyId: o.keyId,
    address: o.address,
    firstSeen: o.firstSeen.toISOString(),
    lastSeen: o.lastSeen.toISOString(),
    count: o.count,
    status: o.status,
    reasons: [...o.reasons],
    assessment: o.assessment as ObservedIpDto['assessment'],
    version: o.version,
  };
}
