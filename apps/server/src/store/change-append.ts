/**
 * How a mutation's `changes` row and audit events are appended, statement by statement: what the
 * SQLite store does (its statements run in-process, so several cost little), and what the
 * PostgreSQL store does for the audit events that do not fit its one-statement append
 * (postgres-change-append.ts).
 */
import type { Transaction } from 'kysely';
import type { StoreDialect } from './context.js';
import type { Database } from './database.js';

/** A `changes` row to append: what nodes follow and recompile. */
export interface NewChange {
  readonly at: string;
  readonly tenantId: string | null;
  readonly apiId: string | null;
  readonly keyId: string | null;
  readonly kind: string;
  /**
   * The ids of the tenant list entries the change added, when adding them is ALL it did to the
   * rules (then nodes extend the tenant's compiled list instead of recompiling it). Absent or
   * undefined for anything else — always safe, it only costs the recompile.
   */
  readonly addedEntries?: readonly string[] | undefined;
}

/**
 * More added ids than this and the change says nothing of them: a node reads a whole list about as
 * fast as this many rows by id, and the column stays small.
 */
export const MAX_ADDED_ENTRIES = 1000;

/** The `added_entries` column of a change: comma-joined ids, or null (see {@link NewChange.addedEntries}). */
export function addedEntriesColumn(change: NewChange): string | null {
  const ids = change.addedEntries;
  if (ids === undefined || change.tenantId === null || ids.length > MAX_ADDED_ENTRIES) return null;
  for (const id of ids) {
    // Ids the store makes never hold a comma; one that did could not be told apart when read back.
    if (id === '' || id.includes(',')) return null;
  }
  return ids.join(',');
}

/**
 * An audit event to append with a change; it takes the change's version, time and tenant.
 * `before` and `after` are JSON text already (or null).
 */
export interface NewAudit {
  readonly id: string;
  readonly actor: string;
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string;
  readonly before: string | null;
  readonly after: string | null;
}

/** Audit rows per statement: far below SQLite's and PostgreSQL's bound-parameter limits. */
export const AUDIT_CHUNK = 200;

/**
 * Appends the change (its version handed out by the table's key) and its audit events, in
 * `trx`; returns the version. With `insertRows` (SQLite), the audit events go through its kept
 * statement, a row per `run`, instead of a multi-row statement whose text changes with the count.
 *
 * @example
 * const version = await appendChangeRows(trx, { at, tenantId, apiId: null, keyId: null, kind: 'tenant.updated' }, audits);
 */
export async function appendChangeRows(
  trx: Transaction<Database>,
  change: NewChange,
  audits: readonly NewAudit[],
  insertRows?: StoreDialect['insertRows'],
): Promise<number> {
  const { version } = await trx
    .insertInto('changes')
    .values({
      at: change.at,
      tenant_id: change.tenantId,
      api_id: change.apiId,
      key_id: change.keyId,
      kind: change.kind,
      added_entries: addedEntriesColumn(change),
    })
    .returning('version')
    .executeTakeFirstOrThrow();
  if (insertRows !== undefined) {
    // No conflict target: an audit event is never skipped. Its id is new; were it taken, the change
    // fails as a whole (as on PostgreSQL's plain insert) rather than commit without its record.
    insertRows(
      'audit_events',
      AUDIT_COLUMNS,
      null,
      audits.map((a) => [
        a.id,
        Number(version),
        change.at,
        a.actor,
        change.tenantId,
        a.action,
        a.targetType,
        a.targetId,
        a.before,
        a.after,
      ]),
    );
  } else {
    await insertAudits(trx, Number(version), change, audits);
  }
  return Number(version);
}

/** The columns of an audit event, in the order {@link appendChangeRows} binds them with `insertRows`. */
const AUDIT_COLUMNS = [
  'id',
  'change_version',
  'at',
  'actor',
  'tenant_id',
  'action',
  'target_type',
  'target_id',
  'before',
  'after',
] as const;

/**
 * Inserts audit events of the change `version`, `AUDIT_CHUNK` rows a statement.
 *
 * @example
 * await insertAudits(trx, version, change, audits.slice(AUDIT_CHUNK));
 */
export async function insertAudits(
  trx: Transaction<Database>,
  version: number,
  change: NewChange,
  audits: readonly NewAudit[],
): Promise<void> {
  for (let i = 0; i < audits.length; i += AUDIT_CHUNK) {
    await trx
      .insertInto('audit_events')
      .values(
        audits.slice(i, i + AUDIT_CHUNK).map((a) => ({
          id: a.id,
          change_version: version,
          at: change.at,
          actor: a.actor,
          tenant_id: change.tenantId,
          action: a.action,
          target_type: a.targetType,
          target_id: a.targetId,
          before: a.before,
          after: a.after,
        })),
      )
      .execute();
  }
}
