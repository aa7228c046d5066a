/**
 * A mutation's `changes` row, its `NOTIFY` and its audit events on PostgreSQL in ONE statement
 * (one round trip instead of four: the changes lock, the row, the notification, the audit insert).
 * Every admin write ends with this, so its round trips are paid by every write — and a storm of
 * writes pays them on the store's machine twice, in the writer and in its backend.
 */
import { sql, type Transaction } from 'kysely';
import {
  AUDIT_CHUNK,
  addedEntriesColumn,
  insertAudits,
  type NewAudit,
  type NewChange,
} from './change-append.js';
import type { Database } from './database.js';

/**
 * Takes the changes lock (`pg_advisory_xact_lock(lockKey)`), appends the change, queues
 * `NOTIFY channel, '<schema>:<version>'` (postgres-changes.ts) and inserts the audit events, in `trx`; returns the version.
 *
 * The lock must be held before the version is handed out, so that versions commit in the order
 * they are handed out (a follower never sees 7 before 6 commits). In one statement that order is
 * a data dependency: the `changes` row is selected from the lock's row, so its key's default
 * (`nextval`) is computed after the lock is granted.
 *
 * @example
 * const version = await appendChangePostgres(trx, change, audits, { lockKey: 0x69706763, channel: 'ipgate_changes', schema: 'public' });
 */
export async function appendChangePostgres(
  trx: Transaction<Database>,
  change: NewChange,
  audits: readonly NewAudit[],
  announce: { readonly lockKey: number; readonly channel: string; readonly schema: string },
): Promise<number> {
  const { lockKey, channel } = announce;
  const first = audits.slice(0, AUDIT_CHUNK);
  const audited =
    first.length === 0
      ? sql``
      : sql`, audited as (
          insert into audit_events
            (id, change_version, at, actor, tenant_id, action, target_type, target_id, before, after)
          select a.id, change.version, change.at, a.actor, change.tenant_id, a.action, a.target_type,
            a.target_id, a.before::jsonb, a.after::jsonb
          from change, (values ${sql.join(
            first.map(
              (a) =>
                sql`(${a.id}, ${a.actor}, ${a.action}, ${a.targetType}, ${a.targetId}, ${a.before}, ${a.after})`,
            ),
          )}) as a (id, actor, action, target_type, target_id, before, after)
        )`;
  const { rows } = await sql<{ version: number }>`
    with locked as (select pg_advisory_xact_lock(${lockKey})),
    change as (
      insert into changes (at, tenant_id, api_id, key_id, kind, added_entries)
      select ${change.at}::timestamptz, ${change.tenantId}::text, ${change.apiId}::text,
        ${change.keyId}::text, ${change.kind}::text, ${addedEntriesColumn(change)}::text
      from locked
      returning version, at, tenant_id
    ),
    announced as (select pg_notify(${channel}, ${`${announce.schema}:`}::text || version::text) from change)${audited}
    select change.version from change, announced`.execute(trx);
  const version = rows[0]?.version;
  if (version === undefined) throw new Error('appending a change returned no version');
  await insertAudits(trx, Number(version), change, audits.slice(AUDIT_CHUNK));
  return Number(version);
}
