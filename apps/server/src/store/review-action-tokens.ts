/**
 * One-click action tokens (docs/architecture/review.md#one-click-actions), kept only as SHA-256
 * hashes, bound to a tenant, an observed address and one action, single use and expiring.
 */
import { read, type StoreContext } from './context.js';
import type { ActionTokenRecord } from './notification-types.js';
import { nowIso, toDate, toDateOrNull } from './rows.js';

/**
 * Stores a new token's hash with what it is bound to.
 *
 * @example
 * await addActionToken(ctx, hashSecret(token), { tenantId, observedId, action: 'authorize', recipient, channelId, expiresAt });
 */
export async function addActionToken(
  ctx: StoreContext,
  tokenHash: string,
  record: Omit<ActionTokenRecord, 'usedAt'>,
): Promise<void> {
  await ctx.dialect.transaction(async (trx) => {
    await trx
      .insertInto('review_action_tokens')
      .values({
        token_hash: tokenHash,
        tenant_id: record.tenantId,
        observed_id: record.observedId,
        action: record.action,
        recipient: record.recipient,
        channel_id: record.channelId,
        expires_at: record.expiresAt.toISOString(),
        used_at: null,
        created_at: nowIso(),
      })
      .execute();
  });
}

/**
 * The token with this hash, or undefined (never made, or its tenant is gone).
 */
export async function findActionToken(
  ctx: StoreContext,
  tokenHash: string,
): Promise<ActionTokenRecord | undefined> {
  const row = await read(ctx, () =>
    ctx.db
      .selectFrom('review_action_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst(),
  );
  if (row === undefined) return undefined;
  return {
    tenantId: row.tenant_id,
    observedId: row.observed_id,
    action: row.action,
    recipient: row.recipient,
    channelId: row.channel_id ?? null,
    expiresAt: toDate(row.expires_at),
    usedAt: toDateOrNull(row.used_at),
  };
}

/**
 * Marks the token used, atomically: true for the one caller that found it unused and unexpired.
 *
 * @example
 * if (!(await useActionToken(ctx, hash, new Date()))) return alreadyDone();
 */
export async function useActionToken(ctx: StoreContext, tokenHash: string, now: Date): Promise<boolean> {
  const at = now.toISOString();
  return ctx.dialect.transaction(async (trx) => {
    const r = await trx
      .updateTable('review_action_tokens')
      .set({ used_at: at })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  });
}

/**
 * Makes a used token usable again: its action failed (the list was full, the store broke), so the
 * owner may try the same link again.
 */
export async function releaseActionToken(ctx: StoreContext, tokenHash: string): Promise<void> {
  await ctx.dialect.transaction(async (trx) => {
    await trx
      .updateTable('review_action_tokens')
      .set({ used_at: null })
      .where('token_hash', '=', tokenHash)
      .execute();
  });
}
