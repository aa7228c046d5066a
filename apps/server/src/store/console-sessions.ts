/**
 * Console sessions (docs/architecture/console.md#sessions). Not configuration: they write no change
 * and no audit event, so signing in never makes the nodes recompile their rules.
 */
import { randomBytes } from 'node:crypto';
import { hashSecret } from '../secrets/secrets.js';
import { read, type StoreContext } from './context.js';
import { newId } from './ids.js';
import { principalFromRow } from './principals.js';
import { toDate } from './rows.js';
import type { Principal } from './store.js';

/** A signed-in browser. */
export interface ConsoleSession {
  readonly id: string;
  readonly principal: Principal;
  readonly csrfToken: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  /** The absolute end. */
  readonly expiresAt: Date;
}

/**
 * Starts a session for a user; returns the cookie's secret (shown to the browser only) with it.
 *
 * @example
 * const { secret, session } = await createConsoleSession(ctx, 'prn_…', new Date(), new Date(Date.now() + 12 * 3600_000));
 */
export async function createConsoleSession(
  ctx: StoreContext,
  principalId: string,
  createdAt: Date,
  expiresAt: Date,
): Promise<{ readonly secret: string; readonly session: ConsoleSession }> {
  const secret = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const now = createdAt.toISOString();
  const id = newId('ses');
  await ctx.dialect.transaction(async (trx) => {
    await trx
      .insertInto('console_sessions')
      .values({
        id,
        token_hash: hashSecret(secret),
        principal_id: principalId,
        csrf_token: csrfToken,
        created_at: now,
        last_seen_at: now,
        expires_at: expiresAt.toISOString(),
      })
      .execute();
  });
  const session = await findConsoleSession(ctx, secret);
  if (session === undefined) throw new Error('a session just made is not there');
  return { secret, session };
}

/**
 * The session of a cookie secret, with its user as it is now; undefined for anything else. Expiry is
 * the caller's to judge (it knows the idle timeout).
 *
 * @example
 * const session = await findConsoleSession(ctx, cookieValue);
 */
export async function findConsoleSession(
  ctx: StoreContext,
  secret: string,
): Promise<ConsoleSession | undefined> {
  if (typeof secret !== 'string' || secret.length === 0 || secret.length > 200) return undefined;
  const row = await read(ctx, () =>
    ctx.db
      .selectFrom('console_sessions as s')
      .innerJoin('principals as p', 'p.id', 's.principal_id')
      .selectAll('p')
      .select([
        's.id as session_id',
        's.csrf_token',
        's.created_at as session_created_at',
        's.last_seen_at',
        's.expires_at',
      ])
      .where('s.token_hash', '=', hashSecret(secret))
      .executeTakeFirst(),
  );
  if (row === undefined) return undefined;
  return {
    id: row.session_id,
    principal: principalFromRow(row),
    csrfToken: row.csrf_token,
    createdAt: toDate(row.session_created_at),
    lastSeenAt: toDate(row.last_seen_at),
    expiresAt: toDate(row.expires_at),
  };
}

/**
 * Records activity, which pushes the idle expiry back.
 *
 * @example
 * await touchConsoleSession(ctx, session.id, new Date());
 */
export async function touchConsoleSession(ctx: StoreContext, sessionId: string, at: Date): Promise<void> {
  await ctx.dialect.transaction(async (trx) => {
    await trx
      .updateTable('console_sessions')
      .set({ last_seen_at: at.toISOString() })
      .where('id', '=', sessionId)
      .execute();
  });
}

/**
 * Ends a session (sign-out, or expiry found).
 *
 * @example
 * await deleteConsoleSession(ctx, session.id);
 */
export async function deleteConsoleSession(ctx: StoreContext, sessionId: string): Promise<void> {
  await ctx.dialect.transaction(async (trx) => {
    await trx.deleteFrom('console_sessions').where('id', '=', sessionId).execute();
  });
}

/**
 * Deletes sessions past their absolute end, or idle since before `idleBefore`; returns how many.
 *
 * @example
 * await pruneConsoleSessions(ctx, new Date(), new Date(Date.now() - 30 * 60_000));
 */
export async function pruneConsoleSessions(ctx: StoreContext, now: Date, idleBefore: Date): Promise<number> {
  return ctx.dialect.transaction(async (trx) => {
    const result = await trx
      .deleteFrom('console_sessions')
      .where((eb) =>
        eb.or([eb('expires_at', '<=', now.toISOString()), eb('last_seen_at', '<', idleBefore.toISOString())]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}
