import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { read, type StoreContext } from './context.js';
import type { Database, NotificationChannelsTable } from './database.js';
import { checkVersion, invalid, notFound } from './errors.js';
import { newId } from './ids.js';
import {
  type ChannelKind,
  type CreateChannelInput,
  FAILING_AFTER,
  NOTIFICATION_EVENT_TYPES,
  type NotificationChannel,
  type NotificationEventType,
  type UpdateChannelInput,
} from './notification-types.js';
import { recordChange } from './record.js';
import { nowIso, toBool, toDate, toDateOrNull } from './rows.js';
import type { MutationOptions } from './store.js';
import { lockTenant } from './tenants.js';
import * as v from './validate.js';

/** Channels per tenant: enough for a team, few enough that one address never fans out to thousands. */
export const MAX_CHANNELS_PER_TENANT = 20;

const KINDS: readonly ChannelKind[] = ['email', 'webhook'];
// One address, no display name: what nodemailer puts in `To` is exactly what the owner typed.
const EMAIL = /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\]+\.[^\s@<>(),;:"[\]\\]+$/;

/**
 * The stored row as the public entity (never the webhook secret).
 */
export function channelFromRow(
  ctx: StoreContext,
  row: Selectable<NotificationChannelsTable>,
): NotificationChannel {
  const events = ctx.dialect.readJson(row.events);
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    name: row.name,
    target: row.target,
    events: Array.isArray(events) ? (events as NotificationEventType[]) : [],
    enabled: toBool(row.enabled),
    failing: row.consecutive_failures >= FAILING_AFTER,
    consecutiveFailures: row.consecutive_failures,
    lastError: row.last_error,
    lastFailureAt: toDateOrNull(row.last_failure_at),
    lastSuccessAt: toDateOrNull(row.last_success_at),
    version: row.version,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/**
 * An email address (one mailbox, no display name) or an http(s) URL without credentials.
 *
 * @example
 * channelTarget('email', ' owner@example.com '); // 'owner@example.com'
 */
export function channelTarget(kind: ChannelKind, value: unknown): string {
  if (typeof value !== 'string') throw invalid('target', 'target must be text.');
  const t = value.trim();
  if (kind === 'email') {
    if (t.length > 254 || !EMAIL.test(t))
      throw invalid(
        'target',
        `${JSON.stringify(t)} is not one email address.`,
        'Write it as owner@example.com.',
      );
    return t;
  }
  let url: URL;
  try {
    url = new URL(t);
  } catch {
    throw invalid(
      'target',
      `${JSON.stringify(t)} is not a URL.`,
      'Write it as https://example.com/hooks/ipgate.',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalid('target', `A webhook URL must be http or https, not ${url.protocol.slice(0, -1)}.`);
  if (url.username !== '' || url.password !== '')
    throw invalid(
      'target',
      'A webhook URL must not carry a user name or password.',
      'Requests are signed instead.',
    );
  if (t.length > 2000) throw invalid('target', 'A webhook URL must be at most 2000 characters.');
  return url.toString();
}

function events(kind: ChannelKind, value: unknown): NotificationEventType[] {
  if (value === undefined) return kind === 'email' ? ['ip.pending'] : [...NOTIFICATION_EVENT_TYPES];
  if (!Array.isArray(value) || value.length === 0)
    throw invalid('events', 'events must be a non-empty list of event types.');
  const list = [...new Set(value.map((e) => v.oneOf(e, 'events', NOTIFICATION_EVENT_TYPES)))];
  if (kind === 'email' && list.some((e) => e !== 'ip.pending'))
    throw invalid(
      'events',
      'An email channel carries ip.pending only.',
      'Use a webhook for the other events.',
    );
  return list;
}

/**
 * Adds a channel to the tenant (audited). A webhook gets a new signing secret, returned once.
 *
 * @example
 * const { channel } = await createChannel(ctx, tenantId, { kind: 'email', name: 'owner', target: 'owner@example.com' }, { actor });
 */
export async function createChannel(
  ctx: StoreContext,
  tenantId: string,
  input: CreateChannelInput,
  options: { readonly actor: string },
): Promise<{ channel: NotificationChannel; secret: string | null }> {
  const actor = v.actor(options.actor);
  const kind = v.oneOf(input.kind, 'kind', KINDS);
  const name = v.text(input.name, 'name');
  const target = channelTarget(kind, input.target);
  const list = events(kind, input.events);
  const enabled = input.enabled === undefined ? true : v.bool(input.enabled, 'enabled');
  // The Standard Webhooks secret form: `whsec_` and base64 of 24 random bytes.
  const secret = kind === 'webhook' ? `whsec_${randomBytes(24).toString('base64')}` : null;
  return ctx.dialect.transaction(async (trx) => {
    await lockTenant(ctx, trx, tenantId);
    const { n } = await trx
      .selectFrom('notification_channels')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    if (Number(n) >= MAX_CHANNELS_PER_TENANT)
      throw invalid('target', `A tenant has at most ${MAX_CHANNELS_PER_TENANT} notification channels.`);
    const now = nowIso();
    const row = await trx
      .insertInto('notification_channels')
      .values({
        id: newId('nch'),
        tenant_id: tenantId,
        kind,
        name,
        target,
        secret,
        events: JSON.stringify(list),
        enabled: enabled ? 1 : 0,
        consecutive_failures: 0,
        last_error: null,
        last_failure_at: null,
        last_success_at: null,
        last_digest_at: null,
        version: 1,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const channel = channelFromRow(ctx, row);
    await recordChange(ctx, trx, now, {
      actor,
      action: 'tenant.notification_channel.created',
      tenantId,
      targetType: 'notification_channel',
      targetId: channel.id,
      before: null,
      after: channel,
    });
    return { channel, secret };
  });
}

/**
 * The tenant's channels, oldest first.
 */
export async function listChannels(ctx: StoreContext, tenantId: string): Promise<NotificationChannel[]> {
  const rows = await read(ctx, async () => {
    const tenant = await ctx.db
      .selectFrom('tenants')
      .select('id')
      .where('id', '=', tenantId)
      .executeTakeFirst();
    if (tenant === undefined) throw notFound('tenant', tenantId);
    return ctx.db
      .selectFrom('notification_channels')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  });
  return rows.map((r) => channelFromRow(ctx, r));
}

/**
 * One channel of this tenant, or IPG_NOT_FOUND.
 */
export async function getChannel(
  ctx: StoreContext,
  tenantId: string,
  channelId: string,
): Promise<NotificationChannel> {
  return channelFromRow(ctx, await read(ctx, () => channelRow(ctx.db, tenantId, channelId)));
}

/**
 * The stored row of one channel of this tenant, webhook secret included, or IPG_NOT_FOUND; `db` is
 * the store's connection or a transaction.
 *
 * @example
 * const row = await channelRow(trx, tenantId, channelId);
 */
export async function channelRow(
  db: Kysely<Database>,
  tenantId: string,
  channelId: string,
): Promise<Selectable<NotificationChannelsTable>> {
  const row = await db
    .selectFrom('notification_channels')
    .selectAll()
    .where('id', '=', channelId)
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (row === undefined) throw notFound('notification channel', channelId);
  return row;
}

/**
 * Changes name, target, events or enabled (audited). Changing the target clears the failure count
 * and deletes the one-click links sent through the channel.
 */
export async function updateChannel(
  ctx: StoreContext,
  tenantId: string,
  channelId: string,
  patch: UpdateChannelInput,
  options: MutationOptions,
): Promise<NotificationChannel> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  return ctx.dialect.transaction(async (trx) => {
    const before = await lockedChannel(ctx, trx, tenantId, channelId, expected);
    const target = patch.target === undefined ? undefined : channelTarget(before.kind, patch.target);
    const now = nowIso();
    const after = await trx
      .updateTable('notification_channels')
      .set({
        ...(patch.name === undefined ? {} : { name: v.text(patch.name, 'name') }),
        ...(target === undefined ? {} : { target, consecutive_failures: 0, last_error: null }),
        ...(patch.events === undefined ? {} : { events: JSON.stringify(events(before.kind, patch.events)) }),
        ...(patch.enabled === undefined ? {} : { enabled: v.bool(patch.enabled, 'enabled') ? 1 : 0 }),
        version: before.version + 1,
        updated_at: now,
      })
      .where('id', '=', channelId)
      .returningAll()
      .executeTakeFirstOrThrow();
    // Links sent to the old recipient stop working: whoever the channel no longer reaches keeps none.
    if (target !== undefined && target !== before.target) await revokeLinks(trx, channelId);
    const channel = channelFromRow(ctx, after);
    await recordChange(ctx, trx, now, {
      actor,
      action: 'tenant.notification_channel.updated',
      tenantId,
      targetType: 'notification_channel',
      targetId: channelId,
      before,
      after: channel,
    });
    return channel;
  });
}

/**
 * Deletes the one-click links sent through the channel (docs/architecture/review.md#one-click-actions):
 * a link is the only credential its action asks for, so it must not outlive its recipient's place
 * on the channel.
 */
async function revokeLinks(trx: Parameters<typeof lockTenant>[1], channelId: string): Promise<void> {
  await trx.deleteFrom('review_action_tokens').where('channel_id', '=', channelId).execute();
}

/** The channel a change starts from, read with its tenant locked and its version checked. */
async function lockedChannel(
  ctx: StoreContext,
  trx: Parameters<typeof lockTenant>[1],
  tenantId: string,
  channelId: string,
  expected: ReturnType<typeof v.expectedVersion>,
): Promise<NotificationChannel> {
  await lockTenant(ctx, trx, tenantId);
  const before = channelFromRow(ctx, await channelRow(trx, tenantId, channelId));
  checkVersion('notification channel', before, expected);
  return before;
}

/**
 * Removes a channel with its queued deliveries and the one-click links sent through it (audited).
 */
export async function deleteChannel(
  ctx: StoreContext,
  tenantId: string,
  channelId: string,
  options: MutationOptions,
): Promise<void> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  await ctx.dialect.transaction(async (trx) => {
    const before = await lockedChannel(ctx, trx, tenantId, channelId, expected);
    // The foreign key cascades too; said here so the links' end does not rest on the schema alone.
    await revokeLinks(trx, channelId);
    await trx.deleteFrom('notification_channels').where('id', '=', channelId).execute();
    await recordChange(ctx, trx, nowIso(), {
      actor,
      action: 'tenant.notification_channel.deleted',
      tenantId,
      targetType: 'notification_channel',
      targetId: channelId,
      before,
      after: null,
    });
  });
}
