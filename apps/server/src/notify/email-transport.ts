/**
 * Where emails go: an SMTP server through nodemailer (`--smtp-url`), or — with none configured, as in
 * the demo — the outbox in the store, readable through the management API and noted in the log.
 */

import nodemailer, { type TransportOptions } from 'nodemailer';
import type { Logger } from 'pino';
import type { NotificationStore } from '../store/notification-types.js';
import type { RenderedEmail } from './render-email.js';

export interface EmailTransport {
  readonly kind: 'smtp' | 'outbox';
  /**
   * Sends (or keeps) one email; resolves with what the delivery log records, rejects on failure.
   * `messageKey` names what the email is about (its delivery, or the deliveries of a digest): the
   * same key gives the same Message-ID, so a copy sent again after a crash is recognisably the same.
   */
  send(
    message: RenderedEmail & { readonly to: string; readonly messageKey: string },
    where: { readonly tenantId: string; readonly channelId: string },
  ): Promise<string>;
  close(): void;
}

/** SMTP settings of `ipgate serve`. */
export interface SmtpSettings {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://host:465` (TLS from the start). */
  readonly url: string;
  readonly from: string;
  /** Refuse to send unless the server offers STARTTLS. */
  readonly requireTls: boolean;
  /** Check the server's certificate (turn off only for a test server with a self-signed one). */
  readonly tlsRejectUnauthorized: boolean;
}

/**
 * Sends through an SMTP server.
 *
 * @example
 * const email = smtpTransport({ url: 'smtp://127.0.0.1:2525', from: 'ipgate <ipgate@example.com>', requireTls: false, tlsRejectUnauthorized: true });
 */
export function smtpTransport(settings: SmtpSettings): EmailTransport {
  const domain = senderDomain(settings.from);
  const transporter = nodemailer.createTransport({
    url: settings.url,
    requireTLS: settings.requireTls,
    tls: { rejectUnauthorized: settings.tlsRejectUnauthorized },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  } as TransportOptions);
  return {
    kind: 'smtp',
    async send(message) {
      const info = (await transporter.sendMail({
        from: settings.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        // Delivery is at least once (a sender killed between the server's 250 and marking it sent
        // sends it again after its lease): a stable Message-ID lets mail clients and people tell
        // the second copy for the same message.
        messageId: messageIdOf(message.messageKey, domain),
        // Tells mail servers and auto-responders this is machine-made (RFC 3834): no vacation replies.
        headers: { 'Auto-Submitted': 'auto-generated' },
      })) as { response?: string; messageId?: string };
      return `SMTP ${info.response ?? 'accepted'}`.slice(0, 300);
    },
    close: () => transporter.close(),
  };
}

/**
 * The Message-ID of an email about `key` (a delivery id, or a digest's key): `<key@domain>`.
 *
 * @example
 * messageIdOf('dlv_01jf3v…', 'example.com'); // '<dlv_01jf3v…@example.com>'
 */
export function messageIdOf(key: string, domain: string): string {
  return `<${key.replace(/[^A-Za-z0-9_.-]/g, '-')}@${domain}>`;
}

/** The domain of the sender's address (`ipgate <ipgate@example.com>` → `example.com`). */
export function senderDomain(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from.trim());
  return m?.[1] ?? 'localhost';
}

/**
 * Keeps emails in the store's outbox.
 *
 * @example
 * const email = outboxTransport(store.notifications, logger);
 */
export function outboxTransport(
  store: Pick<NotificationStore, 'addOutboxMessage'>,
  logger: Pick<Logger, 'info'>,
): EmailTransport {
  return {
    kind: 'outbox',
    async send(message, where) {
      const kept = await store.addOutboxMessage({
        tenantId: where.tenantId,
        channelId: where.channelId,
        recipient: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
      });
      // The body carries the one-click links, so the log says where to read it, never what it says.
      logger.info(
        { outboxId: kept.id, tenantId: where.tenantId, to: message.to, subject: message.subject },
        `email kept in the outbox (no --smtp-url): GET /v1/tenants/${where.tenantId}/outbox`,
      );
      return `kept in the outbox as ${kept.id}`;
    },
    close: () => {},
  };
}
