/**
 * The wire shape of notification channels, deliveries and the outbox
 * (docs/architecture/review.md#notifications).
 */
import { type Static, Type } from 'typebox';
import type {
  NotificationChannel,
  OutboxMessage,
  Delivery as StoredDelivery,
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
