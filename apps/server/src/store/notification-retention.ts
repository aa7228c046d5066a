/**
 * Retention of the notification tables (docs/architecture/review.md#retention): what was delivered
 * (or given up, or skipped) and is older than the cutoff goes, with its attempts; a notification
 * goes once none of its deliveries is left; kept emails, expired one-click tokens and bursts that
 * ended go too. Queued deliveries are never deleted: they are work still to do. Each batch is its
 * own short transaction found by an index on time, as for the request log.
 */
import type { StoreContext } from './context.js';
import { cutoffOf, inBatches, type PruneOptions } from './retention.js';

/** How many rows each table lost. */
export interface NotificationPruneCounts {
  /** Sent, failed or skipped deliveries (their attempts went with them). */
  readonly deliveries: number;
  readonly notifications: number;
  readonly outbox: number;
  /** One-click action tokens that expired before the cutoff, used or not. */
  readonly tokens: number;
  /** Bursts on keys that ended before the cutoff. */
  readonly bursts: number;
}

/**
 * Deletes what the notification tables keep from before `before`; returns how many rows went.
 *
 * @example
 * await pruneNotifications(ctx, new Date(Date.now() - 30 * 86_400_000)); // keep 30 days
 */
export async function pruneNotifications(
  ctx: StoreContext,
  before: Date,
  options: PruneOptions = {},
): Promise<NotificationPruneCounts> {
  const cutoff = cutoffOf(before);
  const deliveries = await inBatches(options, (batch) =>
    ctx.dialect.transaction(async (trx) => {
      const result = await trx
        .deleteFrom('notification_deliveries')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('notification_deliveries')
            .select('id')
            .where('created_at', '<', cutoff)
            .where('status', '<>', 'queued')
            .orderBy('created_at')
            .limit(batch),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    }),
  );
  const notifications = await inBatches(options, (batch) =>
    ctx.dialect.transaction(async (trx) => {
      const result = await trx
        .deleteFrom('notifications')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('notifications as n')
            .select('n.id')
            .where('n.created_at', '<', cutoff)
            // A notification with a delivery still queued stays with it (the sender reads both).
            .where(({ not, exists, selectFrom }) =>
              not(
                exists(
                  selectFrom('notification_deliveries as d')
                    .select('d.id')
                    .whereRef('d.notification_id', '=', 'n.id'),
                ),
              ),
            )
            .orderBy('n.created_at')
            .limit(batch),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    }),
  );
  const outbox = await inBatches(options, (batch) =>
    ctx.dialect.transaction(async (trx) => {
      const result = await trx
        .deleteFrom('outbox_messages')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('outbox_messages')
            .select('id')
            .where('created_at', '<', cutoff)
            .orderBy('created_at')
            .limit(batch),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    }),
  );
  const tokens = await inBatches(options, (batch) =>
    ctx.dialect.transaction(async (trx) => {
      const result = await trx
        .deleteFrom('review_action_tokens')
        .where('token_hash', 'in', (eb) =>
          eb
            .selectFrom('review_action_tokens')
            .select('token_hash')
            .where('expires_at', '<', cutoff)
            .orderBy('expires_at')
            .limit(batch),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    }),
  );
  const bursts = await inBatches(options, (batch) =>
    ctx.dialect.transaction(async (trx) => {
      // One row per key at most: no index on time needed to find the few that ended.
      const result = await trx
        .deleteFrom('key_bursts')
        .where('key_id', 'in', (eb) =>
          eb.selectFrom('key_bursts').select('key_id').where('held_until', '<', cutoff).limit(batch),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    }),
  );
  return { deliveries, notifications, outbox, tokens, bursts };
}
