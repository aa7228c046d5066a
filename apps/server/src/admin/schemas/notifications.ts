/**
 * The wire shape of notification channels, deliveries and the outbox
 * (docs/architecture/review.md#notifications).
 */
import { type Static, Type } from 'typebox';
import type {
  NotificationChannel,
  OutboxMessage,
  Delivery as StoredDelivery,
  ChannelTestResult as StoredTestResult,
} from '../../store/notification-types.js';
import { DateTime, Id, Label } from './common.js';

const EventType = Type.Enum(['ip.pending', 'ip.authorized', 'ip.rejected', 'review.stopped'], {
  description:
    'ip.pending: an unlisted address called; ip.authorized / ip.rejected: a review action; review.stopped: mode set to off.',
});
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

/** A channel. @example { "id": "nch_…", "kind": "email", "target": "owner@example.com", "failing": false, … } */
export const Channel = Type.Object(
  {
    id: Type.String(),
    tenantId: Type.String(),
    kind: Type.Enum(['email', 'webhook']),
    name: Type.String(),
    target: Type.String({ description: 'The email address or the webhook URL.' }),
    events: Type.Array(EventType),
    enabled: Type.Boolean(),
    failing: Type.Boolean({ description: 'True after 3 failed attempts in a row; a success clears it.' }),
    consecutiveFailures: Type.Integer(),
    lastError: Nullable(Type.String()),
    lastFailureAt: Nullable(DateTime),
    lastSuccessAt: Nullable(DateTime),
    version: Type.Integer(),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  {
    examples: [
      {
        id: 'nch_01jf0000000000000000000000',
        tenantId: 'ten_01jf0000000000000000000000',
        kind: 'email',
        name: 'owner',
        target: 'owner@example.com',
        events: ['ip.pending'],
        enabled: true,
        failing: false,
        consecutiveFailures: 0,
        lastError: null,
        lastFailureAt: null,
        lastSuccessAt: '2026-12-06T19:40:00.000Z',
        version: 1,
        createdAt: '2026-12-06T19:00:00.000Z',
        updatedAt: '2026-12-06T19:00:00.000Z',
      },
    ],
  },
);
export type ChannelDto = Static<typeof Channel>;

/** A new channel with its webhook signing secret (once). */
export const CreatedChannel = Type.Object({
  ...Channel.properties,
  secret: Nullable(
    Type.String({ description: 'The webhook signing secret (whsec_…), shown this once; null for email.' }),
  ),
});

/** POST …/notification-channels. @example { "kind": "webhook", "name": "ops", "target": "https://hooks.example.com/ipgate" } */
export const CreateChannelBody = Type.Object(
  {
    kind: Type.Enum(['email', 'webhook']),
    name: Label,
    target: Type.String({
      minLength: 1,
      maxLength: 2000,
      description: 'An email address, or an http(s) URL.',
    }),
    events: Type.Optional(
      Type.Array(EventType, {
        minItems: 1,
        maxItems: 4,
        description: 'Default: ip.pending for email (the only one it carries), all four for webhooks.',
      }),
    ),
    enabled: Type.Optional(Type.Boolean()),
  },
  {
    additionalProperties: false,
    examples: [{ kind: 'email', name: 'owner', target: 'owner@example.com' }],
  },
);

/** PATCH …/notification-channels/{channelId}. @example { "enabled": false } */
export const UpdateChannelBody = Type.Object(
  {
    name: Type.Optional(Label),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    events: Type.Optional(Type.Array(EventType, { minItems: 1, maxItems: 4 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, examples: [{ enabled: false }] },
);

/** A delivery with its attempts. */
export const Delivery = Type.Object({
  id: Type.String({ description: 'Also the webhook-id of a webhook delivery (the same on every retry).' }),
  notificationId: Type.String(),
  type: EventType,
  observedId: Nullable(Type.String()),
  channelId: Type.String(),
  status: Type.Enum(['queued', 'sent', 'failed', 'skipped'], {
    description:
      'queued (waiting or retrying), sent, failed (given up), skipped (no longer pending when due).',
  }),
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(DateTime),
  lastError: Nullable(Type.String()),
  sentAt: Nullable(DateTime),
  digestId: Nullable(Type.String({ description: 'Set when it went out inside a digest email.' })),
  createdAt: DateTime,
  log: Type.Array(
    Type.Object({ at: DateTime, ok: Type.Boolean(), detail: Type.String(), durationMs: Type.Integer() }),
  ),
});

/** GET …/notification-deliveries filters. */
export const DeliveryQuery = Type.Object(
  {
    status: Type.Optional(Type.Enum(['queued', 'sent', 'failed', 'skipped'])),
    channelId: Type.Optional(Id('Only this channel.')),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  },
  { additionalProperties: false },
);

/** An email kept in the outbox. */
export const OutboxEmail = Type.Object({
  id: Type.String(),
  channelId: Nullable(Type.String()),
  to: Type.String(),
  subject: Type.String(),
  text: Type.String(),
  html: Type.String(),
  createdAt: DateTime,
});

/** POST …/notification-channels/{channelId}/test: how the test message went. */
export const ChannelTestResult = Type.Object(
  {
    channelId: Type.String(),
    result: Type.Enum(['ok', 'failed'], {
      description: 'ok: the SMTP server, the outbox or the endpoint (2xx) took the message.',
    }),
    reason: Type.Union(
      [
        Type.Enum(['smtp', 'http-status', 'timeout', 'destination-refused', 'connection', 'error'], {
          description:
            'smtp: the SMTP server refused; http-status: the endpoint answered non-2xx (httpStatus); timeout: no answer in 10 s; destination-refused: the address is private or loopback (--webhook-allow-private); connection: nothing listens or the name does not resolve; error: anything else.',
        }),
        Type.Null(),
      ],
      { description: 'Why it failed; null when ok.' },
    ),
    detail: Type.String({ description: 'What the transport said: `SMTP 250 …`, `HTTP 204`, the error.' }),
    httpStatus: Type.Union([Type.Integer(), Type.Null()], {
      description: 'The endpoint’s answer status (webhooks); null for email or when none came.',
    }),
    via: Type.Enum(['smtp', 'outbox', 'webhook'], {
      description: 'outbox: no SMTP server is configured, the email is kept in GET …/outbox.',
    }),
    durationMs: Type.Integer(),
    messageId: Type.String({
      description: 'The webhook-id of the test event, or the local part of the email’s Message-ID.',
    }),
    testedAt: DateTime,
    failing: Type.Boolean({
      description: 'The channel’s state after the test: a success clears it, a failure leaves it as it was.',
    }),
  },
  {
    examples: [
      {
        channelId: 'nch_01jf0000000000000000000000',
        result: 'failed',
        reason: 'http-status',
        detail: 'HTTP 500: upstream unavailable',
        httpStatus: 500,
        via: 'webhook',
        durationMs: 48,
        messageId: 'tst_01jf0000000000000000000000',
        testedAt: '2026-12-06T19:45:00.000Z',
        failing: false,
      },
    ],
  },
);

/** @example toChannelTestDto(result, channel).result */
export function toChannelTestDto(
  r: StoredTestResult,
  channel: NotificationChannel,
): Static<typeof ChannelTestResult> {
  return {
    channelId: channel.id,
    result: r.ok ? 'ok' : 'failed',
    reason: r.reason,
    detail: r.detail,
    httpStatus: r.httpStatus,
    via: r.via,
    durationMs: r.durationMs,
    messageId: r.messageId,
    testedAt: r.at.toISOString(),
    failing: channel.failing,
  };
}

/** @example toChannelDto(channel).failing */
export function toChannelDto(c: NotificationChannel): ChannelDto {
  return {
    id: c.id,
    tenantId: c.tenantId,
    kind: c.kind,
    name: c.name,
    target: c.target,
    events: [...c.events],
    enabled: c.enabled,
    failing: c.failing,
    consecutiveFailures: c.consecutiveFailures,
    lastError: c.lastError,
    lastFailureAt: c.lastFailureAt?.toISOString() ?? null,
    lastSuccessAt: c.lastSuccessAt?.toISOString() ?? null,
    version: c.version,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** @example toDeliveryDto(d).status */
export function toDeliveryDto(d: StoredDelivery): Static<typeof Delivery> {
  return {
    id: d.id,
    notificationId: d.notificationId,
    type: d.type,
    observedId: d.observedId,
    channelId: d.channelId,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
    lastError: d.lastError,
    sentAt: d.sentAt?.toISOString() ?? null,
    digestId: d.digestId,
    createdAt: d.createdAt.toISOString(),
    log: d.log.map((a) => ({ at: a.at.toISOString(), ok: a.ok, detail: a.detail, durationMs: a.durationMs })),
  };
}

/** @example toOutboxDto(m).subject */
export function toOutboxDto(m: OutboxMessage): Static<typeof OutboxEmail> {
  return {
    id: m.id,
    channelId: m.channelId,
    to: m.recipient,
    subject: m.subject,
    text: m.text,
    html: m.html,
    createdAt: m.createdAt.toISOString(),
  };
}
