/**
 * The store's part of a channel's test send (docs/review.md#testing-a-channel): the channel with its
 * signing secret to send with, and the record of how it went (an audit event; a success also clears
 * the failure count). The test message itself never enters the delivery queue.
 */
import { read, type StoreContext } from './context.js';
import { notFound } from './errors.js';
import { channelFromRow, channelRow } from './notification-channels.js';
import type { ChannelTestResult, NotificationChannel } from './notification-types.js';
import { recordChange } from './record.js';
import { lockTenant } from './tenants.js';
import * as v from './validate.js';

/**
 * One channel of this tenant with its webhook secret, or IPG_NOT_FOUND.
 *
 * @example
 * const { channel, secret } = await channelForTest(ctx, tenantId, channelId);
 */
export async function channelForTest(
  ctx: StoreContext,
  tenantId: string,
  channelId: string,
): Promise<{ channel: NotificationChannel; secret: string | null }> {
  const row = await read(ctx, () => channelRow(ctx.db, tenantId, channelId));
  return { channel: channelFromRow(ctx, row), secret: row.secret };
}

/**
 * Records a test send (audited as `tenant.notification_channel.tested`, the result as `after`). A
 * success clears the failure count and sets `lastSuccessAt`, as a delivered message would; a failure
 * changes nothing on the channel: the queue's own attempts decide whether it is `failing`, and a
 * test pressed while an endpoint restarts should not mark it so.
 *
 * @example
 * const channel = await recordChannelTest(ctx, tenantId, channelId, result, { actor: 'principal:prn_…' });
 */
export async function recordChannelTest(
  ctx: StoreContext,
  tenantId: string,
  channelId: string,
  result: ChannelTestResult,
  options: { readonly actor: string },
): Promise<NotificationChannel> {
  const actor = v.actor(options.actor);
  return ctx.dialect.transaction(async (trx) => {
    await lockTenant(ctx, trx, tenantId);
    const at = result.at.toISOString();
    const row = result.ok
      ? await trx
          .updateTable('notification_channels')
          .set({ consecutive_failures: 0, last_success_at: at })
          .where('id', '=', channelId)
          .where('tenant_id', '=', tenantId)
          .returningAll()
          .executeTakeFirst()
      : await channelRow(trx, tenantId, channelId);
    // Removed while the test was on its way: nothing left to record it on.
    if (row === undefined) throw notFound('notification channel', channelId);
    const channel = channelFromRow(ctx, row);
    await recordChange(ctx, trx, at, {
      actor,
      action: 'tenant.notification_channel.tested',
      tenantId,
      targetType: 'notification_channel',
      targetId: channelId,
      before: null,
      after: {
        channel: { id: channel.id, kind: channel.kind, name: channel.name, target: channel.target },
        result: result.ok ? 'ok' : 'failed',
        reason: result.reason,
        detail: result.detail,
        httpStatus: result.httpStatus,
        via: result.via,
        durationMs: result.durationMs,
        messageId: result.messageId,
      },
    });
    return channel;
  });
}
