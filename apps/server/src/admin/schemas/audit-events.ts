/**
 * The wire shape of audit events: who changed what, when, with the entity before and after.
 */
import { type Static, Type } from 'typebox';
import type { AuditEvent as StoredEvent } from '../../store/store.js';
import { DateTime } from './common.js';

/** @example { "action": "tenant.ip_entry.added", "actor": "token:prn_1", "before": null, "after": {…} } */
export const AuditEvent = Type.Object({
  id: Type.String(),
  changeVersion: Type.Integer(),
  at: DateTime,
  actor: Type.String({ description: 'Who made the change: token:<principal id>, or a system actor.' }),
  actorName: Type.Optional(
    Type.Union([Type.String(), Type.Null()], {
      description: 'The name of that admin token or user now; null when it has been deleted or is not one.',
    }),
  ),
  tenantId: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  targetType: Type.String(),
  targetId: Type.String(),
  before: Type.Unknown({ description: 'The entity before the change; null for creations.' }),
  after: Type.Unknown({ description: 'The entity after the change; null for deletions.' }),
});

export type AuditEventDto = Static<typeof AuditEvent>;

/**
 * The DTO of a stored audit event.
 *
 * @example
 * toAuditEventDto(event).at; // '2025-…Z'
 */
export function toAuditEventDto(e: StoredEvent): AuditEventDto {
  return {
    id: e.id,
    changeVersion: e.changeVersion,
    at: e.at.toISOString(),
    actor: e.actor,
    tenantId: e.tenantId,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    before: e.before ?? null,
    after: e.after ?? null,
  };
}
