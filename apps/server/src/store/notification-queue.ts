/**
 * The durable notification queue (docs/architecture/review.md#notifications): notifications are
 * written in the transaction of whatever made them (a batch of observations, a review action), one
 * delivery per subscribed channel; senders lease due deliveries, and record each attempt.
 */
import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { read, type StoreContext } from './context.js';
import type { Database, NotificationDeliveriesTable } from './database.js';
import { newId } from './ids.js';
import type {
  ClaimedDelivery,
  Delivery,
  DeliveryOutcome,
  NotificationEventType,
} from './notification-types.js';
import { decodeCursor, pageLimit, toPage } from './pagination.js';
import { flag, toBool, toDate, toDateOrNull } from './rows.js';
import type { Page, PageRequest } from './store.js';
import * as v from './validate.js';

/** Rows per statement, well below either dialect's parameter limit. */
const CHUNK = 200;

/** An observed address that just became pending. */
export interface PendingSighting {
  readonly tenantId: string;
  readonly keyId: string;
  readonly address: string;
  readonly observedId: string;
  readonly firstSeen: string;
}

/** An event for the queue: its type, what makes it unique per tenant, and what it says. */
export interface QueuedEvent {
  readonly tenantId: string;
  readonly type: NotificationEventType;
  readonly dedupeKey: string;
  readonly observedId: string | null;
  readonly payload: Record<string, unknown>;
}

/**
 * Queues `ip.pending` for addresses that just became pending, at most once per (tenant, address)
 * per UTC day: the unique (tenant, dedupe key) makes a second insert — by this node or another one
 * that saw the address at the same moment — a no-op.
 *
 * @example
 * await enqueuePending(ctx, trx, [{ tenantId, keyId, address: '203.0.113.7', observedId, firstSeen }], now);
 */
export async function enqueuePending(
  ctx: StoreContext,
  trx: Transaction<Database>,
  sightings: readonly PendingSighting[],
  now: string,
): Promise<void> {
  const day = now.slice(0, 10);
  await enqueueEvents(
    ctx,
    trx,
    sightings.map((s) => ({
      tenantId: s.tenantId,
      type: 'ip.pending',
      dedupeKey: `ip.pending:${s.address}:${day}`,
      observedId: s.observedId,
      payload: { observedId: s.observedId, keyId: s.keyId, address: s.address, firstSeen: s.firstSeen },
    })),
    now,
  );
}

/**
 * Queues events in the caller's transaction: one notification each (skipped when its dedupe key was
 * used), and one delivery per enabled channel of the tenant that subscribes to its type.
 *
 * @example
 * await enqueueEvents(ctx, trx, [{ tenantId, type: 'review.stopped', dedupeKey: 'review.stopped:7', observedId: null, payload: {} }], now);
 */
export async function enqueueEvents(
  ctx: StoreContext,
  trx: Transaction<Database>,
  events: readonly QueuedEvent[],
  now: string,
): Promise<void> {
  if (events.length === 0) return;
  const tenantIds = [...new Set(events.map((e) => e.tenantId))];
  const channels = new Map<string, { id: string; events: unknown }[]>();
  for (let i = 0; i < tenantIds.length; i += CHUNK) {
    const rows = await trx
      .selectFrom('notification_channels')
      .select(['id', 'tenant_id', 'events'])
      .where('tenant_id', 'in', tenantIds.slice(i, i + CHUNK))
      .where('enabled', '=', flag(true))
      .execute();
    for (const r of rows) {
      const list = channels.get(r.tenant_id) ?? [];
      list.push({ id: r.id, events: ctx.dialect.readJson(r.events) });
      channels.set(r.tenant_id, list);
    }
  }
  // One statement per chunk, not per event (a batch of auto authorizations queues hundreds): the
  // rows a dedupe key already took are skipped, and RETURNING names only the ones inserted.
  const unique = new Map<string, QueuedEvent>();
  for (const e of events) {
    const k = `${e.tenantId}\n${e.dedupeKey}`;
    if (!unique.has(k)) unique.set(k, e);
  }
  const queued = [...unique.values()];
  const insertRows = ctx.dialect.insertRows;
  if (insertRows !== undefined) {
    // SQLite: the dialect's kept statements, a row per run (no statement built per batch); the
    // dedupe key's unique constraint skips a row as the multi-row statement's ON CONFLICT does.
    const rows = queued.map((e) => ({ id: newId('ntf'), e }));
    const inserted = insertRows(
      'notifications',
      NOTIFICATION_COLUMNS,
      ['tenant_id', 'dedupe_key'],
      rows.map(({ id, e }) => [
        id,
        e.tenantId,
        e.type,
        e.dedupeKey,
        e.observedId,
        JSON.stringify(e.payload),
        now,
      ]),
    );
    const deliveries = rows.flatMap(({ id, e }, i) =>
      inserted[i] ? deliveryRows(channels.get(e.tenantId), e, id, now) : [],
    );
    if (deliveries.length > 0)
      insertRows(
        'notification_deliveries',
        DELIVERY_COLUMNS,
        'id',
        deliveries.map((d) => DELIVERY_COLUMNS.map((c) => d[c])),
      );
    return;
  }
  for (let i = 0; i < queued.length; i += CHUNK) {
    const part = queued.slice(i, i + CHUNK);
    const inserted = await trx
      .insertInto('notifications')
      .values(
        part.map((e) => ({
          id: newId('ntf'),
          tenant_id: e.tenantId,
          type: e.type,
          dedupe_key: e.dedupeKey,
          observed_id: e.observedId,
          payload: JSON.stringify(e.payload),
          created_at: now,
        })),
      )
      .onConflict((oc) => oc.columns(['tenant_id', 'dedupe_key']).doNothing())
      .returning(['id', 'tenant_id', 'dedupe_key'])
      .execute();
    const ids = new Map(inserted.map((r) => [`${r.tenant_id}\n${r.dedupe_key}`, r.id]));
    const deliveries = part.flatMap((e) => {
      const id = ids.get(`${e.tenantId}\n${e.dedupeKey}`);
      return id === undefined ? [] : deliveryRows(channels.get(e.tenantId), e, id, now);
    });
    for (let j = 0; j < deliveries.length; j += CHUNK) {
      await trx
        .insertInto('notification_deliveries')
        .values(deliveries.slice(j, j + CHUNK))
        .execute();
    }
  }
}

/** The columns of a notification, in the order {@link enqueueEvents} binds them with `insertRows`. */
const NOTIFICATION_COLUMNS = [
  'id',
  'tenant_id',
  'type',
  'dedupe_key',
  'observed_id',
  'payload',
  'created_at',
] as const;

type DeliveryRow = Insertable<NotificationDeliveriesTable>;

/** The columns of a delivery, in the order {@link enqueueEvents} binds them with `insertRows`. */
const DELIVERY_COLUMNS = [
  'id',
  'tenant_id',
  'notification_id',
  'channel_id',
  'status',
  'attempts',
  'next_attempt_at',
  'lease_until',
  'last_error',
  'sent_at',
  'digest_id',
  'created_at',
] as const satisfies readonly (keyof DeliveryRow)[];

/** One queued delivery of notification `id` per enabled channel of the tenant subscribed to its type. */
function deliveryRows(
  channels: readonly { id: string; events: unknown }[] | undefined,
  e: QueuedEvent,
  id: string,
  now: string,
): DeliveryRow[] {
  return (channels ?? [])
    .filter((c) => Array.isArray(c.events) && c.events.includes(e.type))
    .map((c) => ({
      id: newId('dlv'),
      tenant_id: e.tenantId,
      notification_id: id,
      channel_id: c.id,
      status: 'queued' as const,
      attempts: 0,
      next_attempt_at: now,
      lease_until: null,
      last_error: null,
      sent_at: null,
      digest_id: null,
      created_at: now,
    }));
}

/**
 * Leases up to `limit` due deliveries: queued, due, and not held by a live lease. On PostgreSQL the
 * rows are taken with `FOR UPDATE SKIP LOCKED`, so two nodes never take the same delivery; SQLite
 * has one writer.
 *
 * @example
 * const due = await claimDueDeliveries(ctx, new Date(), 20, 60_000);
 */
export async function claimDueDeliveries(
  ctx: StoreContext,
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<ClaimedDelivery[]> {
  const at = now.toISOString();
  const until = new Date(now.getTime() + leaseMs).toISOString();
  const dueQuery = (db: Kysely<Database>) =>
    db
      .selectFrom('notification_deliveries')
      .select('id')
      .where('status', '=', 'queued')
      .where('next_attempt_at', '<=', at)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', at)]))
      .orderBy('next_attempt_at');
  // Nearly every round (one a second on every node) finds nothing due: a plain read says so without
  // taking the write lock. On SQLite another process may hold that lock (another node, a worker, a
  // storm of changes), and the synchronous driver would wait for it on the node's event loop — every
  // request in flight with it. What is due is claimed below, in the transaction, as before.
  if ((await read(ctx, () => dueQuery(ctx.db).limit(1).executeTakeFirst())) === undefined) return [];
  return ctx.dialect.transaction(async (trx) => {
    const due = await dueQuery(trx)
      .limit(limit)
      .$if(ctx.dialect.lockRows, (qb) => qb.forUpdate().skipLocked())
      .execute();
    if (due.length === 0) return [];
    const ids = due.map((d) => d.id);
    await trx
      .updateTable('notification_deliveries')
      .set({ lease_until: until, attempts: sql`attempts + 1` })
      .where('id', 'in', ids)
      .execute();
    const rows = await trx
      .selectFrom('notification_deliveries as d')
      .innerJoin('notifications as n', 'n.id', 'd.notification_id')
      .innerJoin('notification_channels as c', 'c.id', 'd.channel_id')
      .select([
        'd.id',
        'd.tenant_id',
        'd.attempts',
        'd.created_at',
        'n.id as notification_id',
        'n.type',
        'n.observed_id',
        'n.payload',
        'n.created_at as notification_created_at',
        'c.id as channel_id',
        'c.kind',
        'c.name',
        'c.target',
        'c.secret',
      ])
      .where('d.id', 'in', ids)
      .orderBy('d.created_at')
      .orderBy('d.id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      tenantId: r.tenant_id,
      attempt: r.attempts,
      createdAt: toDate(r.created_at),
      leaseUntil: new Date(until),
      notification: {
        id: r.notification_id,
        type: r.type as NotificationEventType,
        observedId: r.observed_id,
        payload: (ctx.dialect.readJson(r.payload) ?? {}) as Record<string, unknown>,
        createdAt: toDate(r.notification_created_at),
      },
      channel: { id: r.channel_id, kind: r.kind, name: r.name, target: r.target, secret: r.secret },
    }));
  });
}

/**
 * Records an attempt's outcome on the delivery, in its log and on its channel (the failure count
 * that marks a channel `failing`, cleared by a success).
 *
 * @example
 * await completeDelivery(ctx, 'dlv_…', { ok: false, detail: 'HTTP 500', durationMs: 12, retryAt });
 */
export async function completeDelivery(
  ctx: StoreContext,
  deliveryId: string,
  outcome: DeliveryOutcome,
  lease?: Date,
): Promise<boolean> {
  const now = new Date().toISOString();
  const detail = outcome.ok === 'later' ? '' : outcome.detail.slice(0, 500);
  return ctx.dialect.transaction(async (trx) => {
    const row = await trx
      .selectFrom('notification_deliveries')
      .select(['channel_id', 'status', 'lease_until'])
      .where('id', '=', deliveryId)
      .$if(ctx.dialect.lockRows, (qb) => qb.forUpdate())
      .executeTakeFirst();
    if (row === undefined) return false; // deleted with its channel or tenant meanwhile
    // A sender whose lease lapsed (a slow round, a paused process) may have lost the delivery to
    // another, which sent it (or is sending it): its late outcome must not undo that one, e.g. turn
    // a delivery marked `sent` back into `queued` to be sent once more.
    if (
      lease !== undefined &&
      (row.status !== 'queued' ||
        row.lease_until === null ||
        toDate(row.lease_until).getTime() !== lease.getTime())
    )
      return false;
    if (outcome.ok === 'later') {
      await trx
        .updateTable('notification_deliveries')
        .set({ lease_until: null, next_attempt_at: outcome.at.toISOString(), attempts: sql`attempts - 1` })
        .where('id', '=', deliveryId)
        .execute();
      return true;
    }
    if (outcome.ok === 'skipped') {
      await trx
        .updateTable('notification_deliveries')
        .set({ status: 'skipped', lease_until: null, last_error: null, sent_at: now })
        .where('id', '=', deliveryId)
        .execute();
      return true;
    }
    await trx
      .insertInto('notification_attempts')
      .values({
        id: newId('att'),
        delivery_id: deliveryId,
        at: now,
        ok: flag(outcome.ok),
        detail,
        duration_ms: Math.max(0, Math.round(outcome.durationMs)),
      })
      .execute();
    if (outcome.ok) {
      await trx
        .updateTable('notification_deliveries')
        .set({
          status: 'sent',
          lease_until: null,
          last_error: null,
          sent_at: now,
          digest_id: outcome.digestId ?? null,
        })
        .where('id', '=', deliveryId)
        .execute();
      await trx
        .updateTable('notification_channels')
        .set({ consecutive_failures: 0, last_success_at: now })
        .where('id', '=', row.channel_id)
        .execute();
    } else {
      await trx
        .updateTable('notification_deliveries')
        .set({
          status: outcome.retryAt === null ? 'failed' : 'queued',
          lease_until: null,
          last_error: detail,
          next_attempt_at: (outcome.retryAt ?? new Date()).toISOString(),
        })
        .where('id', '=', deliveryId)
        .execute();
      await trx
        .updateTable('notification_channels')
        .set({
          consecutive_failures: sql`consecutive_failures + 1`,
          last_error: detail,
          last_failure_at: now,
        })
        .where('id', '=', row.channel_id)
        .execute();
    }
    return true;
  });
}

/**
 * How many deliveries the channel sent on their own (not in a digest) since `since`.
 */
export async function countSentSince(ctx: StoreContext, channelId: string, since: Date): Promise<number> {
  const row = await read(ctx, () =>
    ctx.db
      .selectFrom('notification_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('channel_id', '=', channelId)
      .where('sent_at', '>=', since.toISOString())
      .where('status', '=', 'sent')
      .where('digest_id', 'is', null)
      .executeTakeFirstOrThrow(),
  );
  return Number(row.n);
}

/** When the channel's last digest went out, or null. */
export async function lastDigestAt(ctx: StoreContext, channelId: string): Promise<Date | null> {
  const row = await read(ctx, () =>
    ctx.db
      .selectFrom('notification_channels')
      .select('last_digest_at')
      .where('id', '=', channelId)
      .executeTakeFirst(),
  );
  return row === undefined ? null : toDateOrNull(row.last_digest_at);
}

/** Notes that a digest went out on the channel. */
export async function markDigestSent(ctx: StoreContext, channelId: string, at: Date): Promise<void> {
  await ctx.dialect.transaction(async (trx) => {
    await trx
      .updateTable('notification_channels')
      .set({ last_digest_at: at.toISOString() })
      .where('id', '=', channelId)
      .execute();
  });
}

function deliveryFromRow(
  row: Selectable<NotificationDeliveriesTable> & { type: string; observed_id: string | null },
  log: Delivery['log'],
): Delivery {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    notificationId: row.notification_id,
    type: row.type as NotificationEventType,
    observedId: row.observed_id,
    channelId: row.channel_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'queued' ? toDate(row.next_attempt_at) : null,
    lastError: row.last_error,
    sentAt: toDateOrNull(row.sent_at),
    digestId: row.digest_id,
    createdAt: toDate(row.created_at),
    log,
  };
}

const STATUSES: readonly Delivery['status'][] = ['queued', 'sent', 'failed', 'skipped'];

/**
 * The tenant's deliveries, newest first, each with its attempts (the delivery log).
 *
 * @example
 * const { items } = await listDeliveries(ctx, tenantId, { status: 'failed' });
 */
export async function listDeliveries(
  ctx: StoreContext,
  tenantId: string,
  filter: { readonly channelId?: string | undefined; readonly status?: Delivery['status'] | undefined } = {},
  page?: PageRequest,
): Promise<Page<Delivery>> {
  const limit = pageLimit(page);
  const status = filter.status === undefined ? undefined : v.oneOf(filter.status, 'status', STATUSES);
  const channelId = filter.channelId === undefined ? undefined : v.text(filter.channelId, 'channelId');
  const after = page?.cursor === undefined ? undefined : decodeCursor(page.cursor, ['string', 'string']);
  const rows = await read(ctx, () =>
    ctx.db
      .selectFrom('notification_deliveries as d')
      .innerJoin('notifications as n', 'n.id', 'd.notification_id')
      .selectAll('d')
      .select(['n.type', 'n.observed_id'])
      .where('d.tenant_id', '=', tenantId)
      .$if(status !== undefined, (qb) => qb.where('d.status', '=', status as Delivery['status']))
      .$if(channelId !== undefined, (qb) => qb.where('d.channel_id', '=', channelId as string))
      .$if(after !== undefined, (qb) => {
        const [at, id] = after as [string, string];
        return qb.where((eb) =>
          eb.or([eb('d.created_at', '<', at), eb.and([eb('d.created_at', '=', at), eb('d.id', '<', id)])]),
        );
      })
      .orderBy('d.created_at', 'desc')
      .orderBy('d.id', 'desc')
      .limit(limit + 1)
      .execute(),
  );
  const ids = rows.slice(0, limit).map((r) => r.id);
  const attempts =
    ids.length === 0
      ? []
      : await read(ctx, () =>
          ctx.db
            .selectFrom('notification_attempts')
            .selectAll()
            .where('delivery_id', 'in', ids)
            .orderBy('at')
            .orderBy('id')
            .execute(),
        );
  const logs = new Map<string, Delivery['log'][number][]>();
  for (const a of attempts) {
    const list = logs.get(a.delivery_id) ?? [];
    list.push({ at: toDate(a.at), ok: toBool(a.ok), detail: a.detail, durationMs: a.duration_ms });
    logs.set(a.delivery_id, list);
  }
  return toPage(
    rows.map((r) => deliveryFromRow(r, logs.get(r.id) ?? [])),
    limit,
    (d) => [d.createdAt.toISOString(), d.id],
  );
}

/**
 * The event of a review action on an observed address, for {@link enqueueEvents}: unique per
 * (address row, version), so each transition is told once.
 *
 * @example
 * await enqueueEvents(ctx, trx, [reviewEvent('ip.authorized', observed, actor)], now);
 */
export function reviewEvent(
  type: 'ip.authorized' | 'ip.rejected',
  observed: {
    readonly id: string;
    readonly tenantId: string;
    readonly keyId: string;
    readonly address: string;
    readonly version: number;
  },
  actor: string,
  extra: Record<string, unknown> = {},
): QueuedEvent {
  return {
    tenantId: observed.tenantId,
    type,
    dedupeKey: `${type}:${observed.id}:${observed.version}`,
    observedId: observed.id,
    payload: { observedId: observed.id, keyId: observed.keyId, address: observed.address, actor, ...extra },
  };
}
