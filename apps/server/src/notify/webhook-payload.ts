/**
 * The JSON body of each webhook event (the review docs show a sample made by a test). The envelope
 * follows the Standard Webhooks convention: `type`, `timestamp`, `data`.
 */
import type { ClaimedDelivery } from '../store/notification-types.js';
import type { PendingNotice } from './pending-notice.js';
import type { ActionLinks } from './review-links.js';

/**
 * The body of a delivery; for `ip.pending` with what the email says and the action links.
 *
 * @example
 * webhookPayload(delivery, notice, links, new Date()).type; // 'ip.pending'
 */
export function webhookPayload(
  delivery: ClaimedDelivery,
  notice: PendingNotice | undefined,
  links: ActionLinks | undefined,
  now: Date,
): Record<string, unknown> {
  const n = delivery.notification;
  const data: Record<string, unknown> =
    notice === undefined
      ? { tenantId: delivery.tenantId, ...n.payload }
      : {
          tenantId: notice.tenant.id,
          tenantName: notice.tenant.name,
          observedIp: {
            id: notice.observedId,
            address: notice.address,
            network: notice.network,
            status: notice.status,
            firstSeen: notice.firstSeen.toISOString(),
            lastSeen: notice.lastSeen.toISOString(),
            count: notice.count,
          },
          key: notice.key,
          assessment: notice.assessment ?? null,
          ...(links === undefined
            ? {}
            : {
                actions: {
                  authorize: links.authorize,
                  rejectAndRotate: links['reject-and-rotate'],
                  stopReviewing: links['stop-reviewing'],
                  expiresAt: links.expiresAt.toISOString(),
                },
              }),
        };
  return { type: n.type, timestamp: now.toISOString(), data };
}
