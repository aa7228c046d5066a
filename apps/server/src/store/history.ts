import type { Selectable } from 'kysely';
import { read, type StoreContext } from './context.js';
import type { AuditEventsTable, ChangesTable } from './database.js';
import { invalid } from './errors.js';
import { decodeCursor, pageLimit, toPage } from './pagination.js';
import { toDate } from './rows.js';
import type { AuditEvent, Change, Page, PageRequest } from './store.js';

/**
 * A tenant's audit events, newest first. Works for deleted tenants too: history outlives them.
 */
export async function listAuditEvents(
  ctx: StoreContext,
  tenantId: string,
  page?: PageRequest,
  filter: AuditFilter = {},
): Promise<Page<AuditEvent>> {
  return auditPage(ctx, tenantId, page, filter);
}

/**
 * Every audit event (all tenants, top-level APIs, principals), newest first.
 */
export async function listAllAuditEvents(
  ctx: StoreContext,
  page?: PageRequest,
  filter: AuditFilter = {},
): Promise<Page<AuditEvent>> {
  return auditPage(ctx, undefined, page, filter);
}

/** Narrows an audit list: exact actor, action and target; `since` inclusive, `until` exclusive. */
export interface AuditFilter {
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
  readonly targetType?: string | undefined;
  readonly targetId?: string | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
}

async function auditPage(
  ctx: StoreContext,
  tenantId: string | undefined,
  page: PageRequest | undefined,
  f: AuditFilter = {},
): Promise<Page<AuditEvent>> {
  const limit = pageLimit(page);
  // Events of one change (a batch of auto authorizations) share its version: the id orders them.
  const before =
    page?.cursor === undefined
      ? undefined
      : (decodeCursor(page.cursor, ['number', 'string']) as [number, string]);
  const rows = await read(ctx, () =>
    ctx.db
      .selectFrom('audit_events')
      .selectAll()
      .$if(tenantId !== undefined, (qb) => qb.where('tenant_id', '=', tenantId as string))
      .$if(before !== undefined, (qb) => {
        const [version, id] = before as [number, string];
        return qb.where((eb) =>
          eb.or([
            eb('change_version', '<', version),
            eb.and([eb('change_version', '=', version), eb('id', '<', id)]),
          ]),
        );
      })
      .$if(f.actor !== undefined, (qb) => qb.where('actor', '=', f.actor as string))
      .$if(f.action !== undefined, (qb) => qb.where('action', '=', f.action as string))
      .$if(f.targetType !== undefined, (qb) => qb.where('target_type', '=', f.targetType as string))
      .$if(f.targetId !== undefined, (qb) => qb.where('target_id', '=', f.targetId as string))
      .$if(f.since !== undefined, (qb) => qb.where('at', '>=', (f.since as Date).toISOString()))
      .$if(f.until !== undefined, (qb) => qb.where('at', '<', (f.until as Date).toISOString()))
      .orderBy('change_version', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute(),
  );
  return toPage(
    rows.map((r) => auditFromRow(ctx, r)),
    limit,
    (e) => [e.changeVersion, e.id],
  );
}

function auditFromRow(ctx: StoreContext, row: Selectable<AuditEventsTable>): AuditEvent {
  return {
    id: row.id,
    changeVersion: Number(row.change_version),
    at: toDate(row.at),
    actor: row.actor,
    tenantId: row.tenant_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    before: row.before === null ? null : ctx.dialect.readJson(row.before),
    after: row.after === null ? null : ctx.dialect.readJson(row.after),
  };
}

/**
 * Committed changes after `version`, oldest first: what a node replays to catch up.
 *
 * @example
 * for (const change of await changesSince(ctx, lastSeen)) rebuild(change);
 */
export async function changesSince(ctx: StoreContext, version: number, limit = 1000): Promise<Change[]> {
  if (!Number.isInteger(version) || version < 0)
    throw invalid('version', 'version must be a whole number from 0.');
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw invalid('limit', 'limit must be a whole number from 1 to 10000.');
  }
  const rows = await read(ctx, () =>
    ctx.db
      .selectFrom('changes')
      .selectAll()
      .where('version', '>', version)
      .orderBy('version')
      .limit(limit)
      .execute(),
  );
  return rows.map(changeFromRow);
}

/**
 * The latest change version, 0 when nothing has changed yet.
 */
export async function currentVersion(ctx: StoreContext): Promise<number> {
  const row = await read(ctx, () =>
    ctx.db
      .selectFrom('changes')
      .select((eb) => eb.fn.max('version').as('v'))
      .executeTakeFirst(),
  );
  return row?.v === null || row?.v === undefined ? 0 : Number(row.v);
}

/**
 * The store's own id (`sto_…`), made once by its migration.
 */
export async function storeId(ctx: StoreContext): Promise<string> {
  const row = await read(ctx, () => ctx.db.selectFrom('store_identity').select('id').executeTakeFirst());
  if (row === undefined) throw new Error('the store has no identity row (store_identity is empty)');
  return row.id;
}

function changeFromRow(row: Selectable<ChangesTable>): Change {
  return {
    version: Number(row.version),
    at: toDate(row.at),
    tenantId: row.tenant_id,
    apiId: row.api_id,
    keyId: row.key_id,
    kind: row.kind,
  };
}
