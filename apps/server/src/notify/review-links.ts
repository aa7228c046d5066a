/**
 * The one-click action links of a message (docs/architecture/review.md#one-click-actions): one
 * token per action, 256 random bits, stored only as its SHA-256, bound to (tenant, observed
 * address, action), single use, expiring.
 */
import { randomBytes } from 'node:crypto';
import { hashSecret } from '../secrets/secrets.js';
import type { NotificationStore, ReviewAction } from '../store/notification-types.js';
import { REVIEW_ACTIONS } from '../store/notification-types.js';

/** Starts every action token, so logs and scanners can recognise (and redact) one. */
export const ACTION_TOKEN_PREFIX = 'ipg_rev_';

/** The three links of one message, and when they stop working. */
export interface ActionLinks {
  readonly authorize: string;
  readonly 'reject-and-rotate': string;
  readonly 'stop-reviewing': string;
  readonly expiresAt: Date;
}

/**
 * The path of an action page: `/review/{tenantId}/{observedId}/{action}/{token}`.
 *
 * @example
 * actionPath('ten_1', 'obs_1', 'authorize', 'ipg_rev_x'); // '/review/ten_1/obs_1/authorize/ipg_rev_x'
 */
export function actionPath(
  tenantId: string,
  observedId: string,
  action: ReviewAction,
  token: string,
): string {
  return `/review/${encodeURIComponent(tenantId)}/${encodeURIComponent(observedId)}/${action}/${token}`;
}

/**
 * Makes and stores the three tokens for one recipient and returns the links under `publicUrl`.
 *
 * @example
 * const links = await makeActionLinks(store.notifications, { publicUrl, ttlMs }, { tenantId, observedId, recipient: 'owner@example.com', channelId });
 */
export async function makeActionLinks(
  store: Pick<NotificationStore, 'addActionToken'>,
  settings: { readonly publicUrl: string; readonly ttlMs: number },
  target: {
    readonly tenantId: string;
    readonly observedId: string;
    readonly recipient: string;
    /** The channel the links go through: deleting it, or changing its target, deletes them. */
    readonly channelId: string;
  },
  now: Date = new Date(),
): Promise<ActionLinks> {
  const expiresAt = new Date(now.getTime() + settings.ttlMs);
  const base = settings.publicUrl.replace(/\/+$/, '');
  const links: Partial<Record<ReviewAction, string>> = {};
  for (const action of REVIEW_ACTIONS) {
    const token = ACTION_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    await store.addActionToken(hashSecret(token), {
      tenantId: target.tenantId,
      observedId: target.observedId,
      action,
      recipient: target.recipient,
      channelId: target.channelId,
      expiresAt,
    });
    links[action] = base + actionPath(target.tenantId, target.observedId, action, token);
  }
  return { ...(links as Record<ReviewAction, string>), expiresAt };
}
