/**
 * The background sender (docs/architecture/review.md#notifications): every interval it leases the
 * due deliveries from the store, sends them, and records each attempt. Failures are retried with
 * exponential backoff; a sender that dies mid-send (kill -9) leaves a lease that lapses, so another
 * sender — this node after a restart, or another node — sends it. Emails about pending addresses
 * become a digest once a channel has had `digestThreshold` of them within an hour.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { newId } from '../store/ids.js';
import type { ClaimedDelivery, DeliveryOutcome } from '../store/notification-types.js';
import type { Store } from '../store/store.js';
import type { EmailTransport } from './email-transport.js';
import { loadPendingNotice, type PendingNotice } from './pending-notice.js';
import { renderDigestEmail, renderPendingEmail } from './render-email.js';
import { DEFAULT_RETRY, type RetryPolicy, retryAt } from './retry-backoff.js';
import { type ActionLinks, makeActionLinks } from './review-links.js';
import { webhookPayload } from './webhook-payload.js';
import type { WebhookTransport } from './webhook-transport.js';

const HOUR = 60 * 60 * 1000;
/** How long a sender holds a delivery; a dead sender's deliveries come back after it. */
const LEASE_MS = 60_000;
const BATCH = 50;

export interface NotificationSenderOptions {
  readonly store: Store;
  readonly email: EmailTransport;
  readonly webhooks: WebhookTransport;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Where the action links point (`--public-url`). */
  readonly publicUrl: string;
  readonly linkTtlMs: number;
  readonly intervalMs: number;
  readonly retry?: RetryPolicy | undefined;
  /** Single emails per channel and hour before they are folded into a digest. */
  readonly digestThreshold: number;
  /** Least time between two digests of one channel. */
  readonly digestEveryMs?: number | undefined;
  /** How long a round holds the deliveries it took (default 60 s); a dead sender's come back after it. */
  readonly leaseMs?: number | undefined;
  /** The clock of the leases (tests move it); `Date.now` by default. */
  readonly now?: (() => number) | undefined;
}

export interface NotificationSender {
  /** One round: lease, send, record. Resolves when done (tests call it to avoid waiting). */
  runOnce(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The message key of a digest: the same deliveries give the same key, so a digest sent again after
 * a crash has the Message-ID of the first copy.
 *
 * @example
 * digestKey(['dlv_b', 'dlv_a']) === digestKey(['dlv_a', 'dlv_b']); // true
 */
export function digestKey(deliveryIds: readonly string[]): string {
  const hash = createHash('sha256')
    .update([...deliveryIds].sort().join('\n'))
    .digest('hex');
  return `digest-${hash.slice(0, 32)}`;
}

/**
 * Starts the sender.
 *
 * @example
 * const sender = startNotificationSender({ store, email, webhooks, logger, publicUrl, linkTtlMs: 72 * 3600_000, intervalMs: 1000, digestThreshold: 10 });
 */
export function startNotificationSender(options: NotificationSenderOptions): NotificationSender {
  const { store, logger } = options;
  const retry = options.retry ?? DEFAULT_RETRY;
  const digestEveryMs = options.digestEveryMs ?? 15 * 60 * 1000;
  const leaseMs = options.leaseMs ?? LEASE_MS;
  const now = options.now ?? Date.now;
  let running: Promise<void> | undefined;
  let closed = false;

  const links = (
    tenantId: string,
    observedId: string,
    recipient: string,
    channelId: string,
  ): Promise<ActionLinks> =>
    makeActionLinks(
      store.notifications,
      { publicUrl: options.publicUrl, ttlMs: options.linkTtlMs },
      { tenantId, observedId, recipient, channelId },
    );

  /**
   * Records a claimed delivery's outcome while this round's lease still holds it. A lease that lapsed
   * (a round or a process held up past it) may have passed the delivery to another sender, whose
   * outcome stands: this one is dropped, and said so in the log.
   */
  async function complete(d: ClaimedDelivery, outcome: DeliveryOutcome): Promise<void> {
    if (await store.notifications.completeDelivery(d.id, outcome, d.leaseUntil)) return;
    logger.warn(
      { deliveryId: d.id, channelId: d.channel.id, outcome: outcome.ok },
      'notification outcome not recorded: its lease had lapsed and another sender holds or finished it',
    );
  }

  async function attempt(d: ClaimedDelivery, send: () => Promise<string>, digestId?: string): Promise<void> {
    const started = Date.now();
    try {
      const detail = await send();
      await complete(d, {
        ok: true,
        detail,
        durationMs: Date.now() - started,
        ...(digestId === undefined ? {} : { digestId }),
      });
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e);
      const next = retryAt(new Date(), d.attempt, retry);
      logger.warn(
        { deliveryId: d.id, channelId: d.channel.id, attempt: d.attempt, retryAt: next, detail },
        next === null ? 'notification given up' : 'notification failed; will retry',
      );
      await complete(d, {
        ok: false,
        detail,
        durationMs: Date.now() - started,
        retryAt: next,
      });
    }
  }

  async function sendWebhook(d: ClaimedDelivery): Promise<void> {
    const observedId = d.notification.observedId;
    let notice: PendingNotice | undefined;
    let actionLinks: ActionLinks | undefined;
    if (d.notification.type === 'ip.pending' && observedId !== null) {
      notice = await loadPendingNotice(store, d.tenantId, observedId);
      if (notice === undefined) {
        await complete(d, { ok: 'skipped', detail: 'no longer pending' });
        return;
      }
      actionLinks = await links(d.tenantId, observedId, `webhook ${d.channel.name}`, d.channel.id);
    }
    const payload = webhookPayload(d, notice, actionLinks, new Date());
    // The delivery id is the message id: the same on every retry, so receivers can drop duplicates.
    await attempt(d, () =>
      options.webhooks.send({ url: d.channel.target, secret: d.channel.secret ?? '' }, d.id, payload),
    );
  }

  /**
   * Hands a delivery back to the queue without counting an attempt: its lease is running out. Due as
   * of its creation, so it keeps its place ahead of later messages.
   */
  const giveBack = (d: ClaimedDelivery): Promise<void> => complete(d, { ok: 'later', at: d.createdAt });

  async function sendEmails(channelDeliveries: ClaimedDelivery[], inTime: () => boolean): Promise<void> {
    const first = channelDeliveries[0];
    if (first === undefined) return;
    const channel = first.channel;
    const ready: { d: ClaimedDelivery; notice: PendingNotice }[] = [];
    for (const d of channelDeliveries) {
      const notice =
        d.notification.observedId === null
          ? undefined
          : await loadPendingNotice(store, d.tenantId, d.notification.observedId);
      if (notice === undefined) {
        await complete(d, { ok: 'skipped', detail: 'no longer pending' });
      } else {
        ready.push({ d, notice });
      }
    }
    if (ready.length === 0) return;
    const now = new Date();
    const sentLastHour = await store.notifications.countSentSince(channel.id, new Date(now.getTime() - HOUR));
    const single = Math.max(0, options.digestThreshold - sentLastHour);
    for (const { d, notice } of ready.slice(0, single)) {
      if (!inTime()) {
        await giveBack(d);
        continue;
      }
      const l = await links(d.tenantId, notice.observedId, `email link, ${channel.target}`, channel.id);
      const mail = renderPendingEmail(notice, l);
      await attempt(d, () =>
        options.email.send(
          { ...mail, to: channel.target, messageKey: d.id },
          { tenantId: d.tenantId, channelId: channel.id },
        ),
      );
    }
    const rest = ready.slice(single);
    if (rest.length === 0) return;
    if (!inTime()) {
      for (const { d } of rest) await giveBack(d);
      return;
    }
    const last = await store.notifications.lastDigestAt(channel.id);
    if (last !== null && now.getTime() - last.getTime() < digestEveryMs) {
      const at = new Date(last.getTime() + digestEveryMs);
      for (const { d } of rest) await complete(d, { ok: 'later', at });
      return;
    }
    const items = [];
    for (const { d, notice } of rest) {
      items.push({
        notice,
        links: await links(d.tenantId, notice.observedId, `email link, ${channel.target}`, channel.id),
      });
    }
    const mail = renderDigestEmail(rest[0]?.notice.tenant.name ?? '', items);
    const digestId = newId('dig');
    const started = Date.now();
    try {
      const detail = await options.email.send(
        { ...mail, to: channel.target, messageKey: digestKey(rest.map(({ d }) => d.id)) },
        { tenantId: first.tenantId, channelId: channel.id },
      );
      await store.notifications.markDigestSent(channel.id, now);
      for (const { d } of rest) {
        await complete(d, {
          ok: true,
          detail: `${detail} (digest of ${rest.length})`,
          durationMs: Date.now() - started,
          digestId,
        });
      }
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e);
      for (const { d } of rest) {
        await complete(d, {
          ok: false,
          detail,
          durationMs: Date.now() - started,
          retryAt: retryAt(new Date(), d.attempt, retry),
        });
      }
    }
  }

  async function round(): Promise<void> {
    const claimedAt = now();
    const due = await store.notifications.claimDueDeliveries(new Date(claimedAt), BATCH, leaseMs);
    if (due.length === 0) return;
    // The round sends one delivery after another, and each send is bounded (a webhook at 10 s as a
    // whole) but a round of 50 is not: past its lease another node (or worker) takes the deliveries not
    // sent yet and both send them. So after the round's first send (a lease exceeds a send: the
    // setting says so) no send starts once half the lease has passed; the rest go back to the queue,
    // due, for the next round on any node.
    let firstSend = true;
    const inTime = (): boolean => {
      const go = firstSend || now() - claimedAt < leaseMs / 2;
      firstSend = false;
      return go;
    };
    const emailsByChannel = new Map<string, ClaimedDelivery[]>();
    for (const d of due) {
      if (d.channel.kind === 'email') {
        if (d.notification.type !== 'ip.pending') {
          await complete(d, {
            ok: 'skipped',
            detail: 'email carries ip.pending only',
          });
          continue;
        }
        const list = emailsByChannel.get(d.channel.id) ?? [];
        list.push(d);
        emailsByChannel.set(d.channel.id, list);
      } else if (inTime()) {
        await sendWebhook(d);
      } else {
        await giveBack(d);
      }
    }
    for (const list of emailsByChannel.values()) await sendEmails(list, inTime);
  }

  const runOnce = (): Promise<void> => {
    running ??= round()
      .catch((e: unknown) => logger.error({ err: e }, 'notification round failed; will retry'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const timer = setInterval(() => {
    if (!closed) void runOnce();
  }, options.intervalMs);
  timer.unref();

  return {
    runOnce,
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
      options.email.close();
      await options.webhooks.close();
    },
  };
}
