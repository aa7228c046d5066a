/**
 * The test send of a channel (docs/review.md#testing-a-channel): one clearly marked message sent
 * now, on the request, through the same transports as real notifications (SMTP or the outbox;
 * signed webhooks behind the SSRF guard), with a short deadline, and answered with how it went.
 * It never enters the delivery queue and never touches the review or the once-a-day notice of an
 * address; the store records it as an audit event.
 */
import { IpGateError } from '@ipgate/core';
import { newId } from '../store/ids.js';
import type { ChannelTestResult, NotificationChannel } from '../store/notification-types.js';
import type { Store } from '../store/store.js';
import { renderTestEmail, type TestMessageFacts, testWebhookPayload } from './channel-test-message.js';
import type { EmailTransport } from './email-transport.js';
import { classifyTestFailure, TestTimeout } from './test-failure.js';
import { type TestThrottle, testThrottle } from './test-throttle.js';
import type { WebhookTransport } from './webhook-transport.js';

/** How long a test may take before it is answered as a timeout. */
export const TEST_TIMEOUT_MS = 10_000;
/** Least time between two tests of one channel. */
export const TEST_EVERY_MS = 10_000;

export interface ChannelTesterOptions {
  readonly store: Pick<Store, 'notifications' | 'getTenant'>;
  readonly email: EmailTransport;
  /** A transport of the test's own, with the test's timeout (closed with the tester). */
  readonly webhooks: WebhookTransport;
  readonly timeoutMs?: number | undefined;
  readonly everyMs?: number | undefined;
  readonly now?: (() => number) | undefined;
}

export interface ChannelTester {
  /**
   * Sends the test and records it. IPG_NOT_FOUND for another tenant's or a missing channel;
   * IPG_CHANNEL_TEST_THROTTLED (with `retryAfterSeconds`) when the channel was tested moments ago.
   */
  test(
    tenantId: string,
    channelId: string,
    actor: string,
  ): Promise<{ readonly result: ChannelTestResult; readonly channel: NotificationChannel }>;
  close(): Promise<void>;
}

/** IPG_CHANNEL_TEST_THROTTLED with the seconds to wait, for the Retry-After header. */
export class ChannelTestThrottled extends IpGateError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      'IPG_CHANNEL_TEST_THROTTLED',
      'This channel was sent a test message moments ago; nothing was sent now.',
      {
        hint: `Wait ${retryAfterSeconds} s (Retry-After) before testing it again: one test per channel every ${TEST_EVERY_MS / 1000} s.`,
      },
    );
  }
}

/**
 * A tester over the server's transports.
 *
 * @example
 * const tester = channelTester({ store, email, webhooks: webhookTransport({ allowPrivate: false, timeoutMs: TEST_TIMEOUT_MS }) });
 * const { result, channel } = await tester.test(tenantId, channelId, 'principal:prn_…');
 */
export function channelTester(options: ChannelTesterOptions): ChannelTester {
  const { store } = options;
  const timeoutMs = options.timeoutMs ?? TEST_TIMEOUT_MS;
  const throttle: TestThrottle = testThrottle(options.everyMs ?? TEST_EVERY_MS, options.now);

  /** Races the send against the deadline; the transport's own timeouts end the loser later. */
  async function withDeadline(send: Promise<string>): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new TestTimeout(timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([send, deadline]);
    } finally {
      clearTimeout(timer);
      // A send that loses the race may still fail later: nobody waits for it any more.
      send.catch(() => {});
    }
  }

  return {
    async test(tenantId, channelId, actor) {
      const { channel, secret } = await store.notifications.channelForTest(tenantId, channelId);
      const waitMs = throttle.take(`${tenantId}/${channelId}`);
      if (waitMs > 0) throw new ChannelTestThrottled(Math.max(1, Math.ceil(waitMs / 1000)));
      const tenant = await store.getTenant(tenantId);
      const at = new Date();
      const facts: TestMessageFacts = {
        tenant: { id: tenant.id, name: tenant.name },
        channel: { id: channel.id, name: channel.name },
        messageId: newId('tst'),
        at,
      };
      const via = channel.kind === 'webhook' ? 'webhook' : options.email.kind;
      const started = performance.now();
      let outcome: Pick<ChannelTestResult, 'ok' | 'reason' | 'detail' | 'httpStatus'>;
      try {
        const detail = await withDeadline(
          channel.kind === 'webhook'
            ? options.webhooks.send(
                { url: channel.target, secret: secret ?? '' },
                facts.messageId,
                testWebhookPayload(facts),
              )
            : options.email.send(
                { ...renderTestEmail(facts), to: channel.target, messageKey: facts.messageId },
                { tenantId, channelId },
              ),
        );
        const status = /^HTTP (\d{3})/.exec(detail)?.[1];
        outcome = {
          ok: true,
          reason: null,
          detail,
          httpStatus: status === undefined ? null : Number(status),
        };
      } catch (e) {
        outcome = { ok: false, ...classifyTestFailure(e, via) };
      }
      const result: ChannelTestResult = {
        ...outcome,
        via,
        durationMs: Math.round(performance.now() - started),
        messageId: facts.messageId,
        at,
      };
      const after = await store.notifications.recordChannelTest(tenantId, channelId, result, { actor });
      return { result, channel: after };
    },
    close: () => options.webhooks.close(),
  };
}
