import type { Transaction } from 'kysely';
import type { NewAudit } from './change-append.js';
import type { StoreContext } from './context.js';
import type { Database } from './database.js';
import { newId } from './ids.js';

/** What one mutation did, for its audit event and its `changes` row. */
export interface ChangeRecord {
  readonly actor: string;
  readonly action: string;
  readonly tenantId: string | null;
  readonly apiId?: string | null;
  readonly keyId?: string | null;
  /** The tenant list entries the mutation added, when adding them is all it did to the rules. */
  readonly addedEntries?: readonly string[] | undefined;
  readonly targetType: string;
  readonly targetId: string;
  readonly before: unknown;
  readonly after: unknown;
}

/**
 * Appends the `changes` row and the audit event of a mutation, in its transaction. The change comes
 * first so the audit event can carry its version, which orders audit events exactly as commits.
 *
 * @example
 * await recordChange(ctx, trx, now, { actor, action: 'tenant.created', tenantId: id, targetType: 'tenant', targetId: id, before: null, after: tenant });
 */
export async function recordChange(
  ctx: StoreContext,
  trx: Transaction<Database>,
  at: string,
  change: ChangeRecord,
): Promise<number> {
  return ctx.dialect.appendChange(
    trx,
    {
      at,
      tenantId: change.tenantId,
      apiId: change.apiId ?? null,
      keyId: change.keyId ?? null,
      kind: change.action,
      addedEntries: change.addedEntries,
    },
    [auditRow(change)],
  );
}

/** One audit event of {@link recordChanges}: what one mutation of a batch did. */
export interface AuditRecord {
  readonly actor: string;
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string;
  readonly before: unknown;
  readonly after: unknown;
}

/**
 * Appends ONE `changes` row for a batch of mutations of one tenant, and one audit event per mutation,
 * all carrying that change's version: nodes follow (and recompile the tenant for) one change, while
 * the audit trail still names each mutation with its own target, before and after.
 *
 * @example
 * await recordChanges(ctx, trx, now, { tenantId, kind: 'tenant.observed_ip.auto_authorized' }, audits);
 */
export async function recordChanges(
  ctx: StoreContext,
  trx: Transaction<Database>,
  at: string,
  change: {
    readonly tenantId: string;
    readonly kind: string;
    /** The tenant list entries the batch added, when adding them is all it did to the rules. */
    readonly addedEntries?: readonly string[] | undefined;
  },
  audits: readonly AuditRecord[],
): Promise<number> {
  return ctx.dialect.appendChange(
    trx,
    {
      at,
      tenantId: change.tenantId,
      apiId: null,
      keyId: null,
      kind: change.kind,
      addedEntries: change.addedEntries,
    },
    audits.map(auditRow),
  );
}

function auditRow(a: AuditRecord): NewAudit {
  return {
    id: newId('aud'),
    actor: a.actor,
    action: a.action,
    targetType: a.targetType,
    targetId: a.targetId,
    before: a.before === null ? null : JSON.stringify(a.before),
    after: a.after === null ? null : JSON.stringify(a.after),
  };
}
