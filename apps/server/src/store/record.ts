import type { Transaction } from 'kysely';
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
  await ctx.dialect.beforeChange(trx);
  const { version } = await trx
    .insertInto('changes')
    .values({
      at,
      tenant_id: change.tenantId,
      api_id: change.apiId ?? null,
      key_id: change.keyId ?? null,
      kind: change.action,
    })
    .returning('version')
    .executeTakeFirstOrThrow();
  await ctx.dialect.afterChange(trx, Number(version));
  await trx
    .insertInto('audit_events')
    .values({
      id: newId('aud'),
      change_version: Number(version),
      at,
      actor: change.actor,
      tenant_id: change.tenantId,
      action: change.action,
      target_type: change.targetType,
      target_id: change.targetId,
      before: change.before === null ? null : JSON.stringify(change.before),
      after: change.after === null ? null : JSON.stringify(change.after),
    })
    .execute();
  return Number(version);
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

/** Audit rows per statement: far below SQLite's and PostgreSQL's bound-parameter limits. */
const AUDIT_CHUNK = 200;

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
  change: { readonly tenantId: string; readonly kind: string },
  audits: readonly AuditRecord[],
): Promise<number> {
  await ctx.dialect.beforeChange(trx);
  const { version } = await trx
    .insertInto('changes')
    .values({ at, tenant_id: change.tenantId, api_id: null, key_id: null, kind: change.kind })
    .returning('version')
    .executeTakeFirstOrThrow();
  await ctx.dialect.afterChange(trx, Number(version));
  for (let i = 0; i < audits.length; i += AUDIT_CHUNK) {
    await trx
      .insertInto('audit_events')
      .values(
        audits.slice(i, i + AUDIT_CHUNK).map((a) => ({
          id: newId('aud'),
          change_version: Number(version),
          at,
          actor: a.actor,
          tenant_id: change.tenantId,
          action: a.action,
          target_type: a.targetType,
          target_id: a.targetId,
          before: a.before === null ? null : JSON.stringify(a.before),
          after: a.after === null ? null : JSON.stringify(a.after),
        })),
      )
      .execute();
  }
  return Number(version);
}
