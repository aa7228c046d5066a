/**
 * The store's part of owner notifications (docs/architecture/review.md#notifications): channels,
 * the durable delivery queue, the outbox and the one-click action tokens.
 */
import type { MutationOptions, Page, PageRequest } from './store.js';

export type ChannelKind = 'email' | 'webhook';

/** One event type per transition of an observed address or of the tenant's review. */
export type NotificationEventType = 'ip.pending' | 'ip.authorized' | 'ip.rejected' | 'review.stopped';

export const NOTIFICATION_EVENT_TYPES: readonly NotificationEventType[] = [
  'ip.pending',
  'ip.authorized',
  'ip.rejected',
  'review.stopped',
];

/** The one-click actions a message offers. */
export type ReviewAction = 'authorize' | 'reject-and-rotate' | 'stop-reviewing';

export const REVIEW_ACTIONS: readonly ReviewAction[] = ['authorize', 'reject-and-rotate', 'stop-reviewing'];

/** After this many failed attempts in a row a channel is reported as `failing`. */
export const FAILING_AFTER = 3;

/** Where a tenant's notifications go: one email recipient or one webhook endpoint. */
export interface NotificationChannel {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: ChannelKind;
  readonly name: string;
  /** The email address, or the webhook URL. */
  readonly target: string;
  readonly events: readonly NotificationEventType[];
  readonly enabled: boolean;
  /** True once {@link FAILING_AFTER} attempts in a row failed; a success clears it. */
  readonly failing: boolean;
  readonly consecutiveFailures: number;
  readonly lastError: string | null;
  readonly lastFailureAt: Date | null;
  readonly lastSuccessAt: Date | null;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface CreateChannelInput {
  readonly kind: ChannelKind;
  readonly name: string;
  readonly target: string;
  /** Default: `ip.pending` for email (the only one email carries), every type for webhooks. */
  readonly events?: readonly NotificationEventType[] | undefined;
  readonly enabled?: boolean | undefined;
}

export type UpdateChannelInput = Partial<Omit<CreateChannelInput, 'kind'>>;

/** Why a test send failed (docs/review.md#testing-a-channel). */
export type ChannelTestFailure =
  | 'smtp'
  | 'http-status'
  | 'timeout'
  | 'destination-refused'
  | 'connection'
  | 'error';

/**
 * How a test send went: the message went out now, outside the queue, through the real transport.
 */
export interface ChannelTestResult {
  readonly ok: boolean;
  /** The transport: the SMTP server, the outbox (no SMTP server configured), or the webhook endpoint. */
  readonly via: 'smtp' | 'outbox' | 'webhook';
  /** Null when it went out. */
  readonly reason: ChannelTestFailure | null;
  /** What the transport said: `SMTP 250 …`, `HTTP 204`, the error. */
  readonly detail: string;
  /** The endpoint's answer status, for `http-status` failures and webhook successes. */
  readonly httpStatus: number | null;
  readonly durationMs: number;
  /** The webhook-id, or the key of the email's Message-ID. */
  readonly messageId: string;
  readonly at: Date;
}

/** A delivery the sender holds (its lease), with what it needs to send it. */
export interface ClaimedDelivery {
  readonly id: string;
  readonly tenantId: string;
  /** Attempts including this one. */
  readonly attempt: number;
  readonly createdAt: Date;
  /** Until when this claim holds it: completing it checks the lease is still this one. */
  readonly leaseUntil: Date;
  readonly notification: {
    readonly id: string;
    readonly type: NotificationEventType;
    readonly observedId: string | null;
    readonly payload: Record<string, unknown>;
    readonly createdAt: Date;
  };
  readonly channel: {
    readonly id: string;
    readonly kind: ChannelKind;
    readonly name: string;
    readonly target: string;
    /** The webhook signing secret; null for email. */
    readonly secret: string | null;
  };
}

/** How one attempt went. */
export type DeliveryOutcome =
  | { readonly ok: true; readonly detail: string; readonly durationMs: number; readonly digestId?: string }
  | {
      readonly ok: false;
      readonly detail: string;
      readonly durationMs: number;
      /** When to try again; null: give up (status `failed`). */
      readonly retryAt: Date | null;
    }
  /** Not sent because it no longer applies (the address was reviewed meanwhile). */
  | { readonly ok: 'skipped'; readonly detail: string }
  /** Not attempted now (held for a digest): back in the queue for `at`, the attempt not counted. */
  | { readonly ok: 'later'; readonly at: Date };

export interface DeliveryAttempt {
  readonly at: Date;
  readonly ok: boolean;
  readonly detail: string;
  readonly durationMs: number;
}

/** A delivery with its log, as the management API shows it. */
export interface Delivery {
  readonly id: string;
  readonly tenantId: string;
  readonly notificationId: string;
  readonly type: NotificationEventType;
  readonly observedId: string | null;
  readonly channelId: string;
  readonly status: 'queued' | 'sent' | 'failed' | 'skipped';
  readonly attempts: number;
  readonly nextAttemptAt: Date | null;
  readonly lastError: string | null;
  readonly sentAt: Date | null;
  readonly digestId: string | null;
  readonly createdAt: Date;
  readonly log: readonly DeliveryAttempt[];
}

/** An email kept in the store because no SMTP server is configured. */
export interface OutboxMessage {
  readonly id: string;
  readonly tenantId: string;
  readonly channelId: string | null;
  readonly recipient: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly createdAt: Date;
}

/** A one-click action token as the store keeps it (by hash). */
export interface ActionTokenRecord {
  readonly tenantId: string;
  readonly observedId: string;
  readonly action: ReviewAction;
  readonly recipient: string;
  /** The channel the link was sent through (null: a link made before links were bound to one). */
  readonly channelId: string | null;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
}

/** The store's notification operations. */
export interface NotificationStore {
  /** A webhook gets a signing secret (`whsec_…`), returned here once. */
  createChannel(
    tenantId: string,
    input: CreateChannelInput,
    options: { readonly actor: string },
  ): Promise<{ readonly channel: NotificationChannel; readonly secret: string | null }>;
  listChannels(tenantId: string): Promise<NotificationChannel[]>;
  getChannel(tenantId: string, channelId: string): Promise<NotificationChannel>;
  updateChannel(
    tenantId: string,
    channelId: string,
    patch: UpdateChannelInput,
    options: MutationOptions,
  ): Promise<NotificationChannel>;
  deleteChannel(tenantId: string, channelId: string, options: MutationOptions): Promise<void>;

  /** The channel with its webhook signing secret (null for email), for a test send. */
  channelForTest(
    tenantId: string,
    channelId: string,
  ): Promise<{ readonly channel: NotificationChannel; readonly secret: string | null }>;
  /**
   * Records a test send, audited as `tenant.notification_channel.tested`. A success clears the
   * channel's failure count (the endpoint works again); a failure leaves it as it is, since a test
   * proves nothing about the deliveries that failed.
   */
  recordChannelTest(
    tenantId: string,
    channelId: string,
    result: ChannelTestResult,
    options: { readonly actor: string },
  ): Promise<NotificationChannel>;

  /**
   * Takes up to `limit` due deliveries for `leaseMs` (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so nodes
   * never take the same one), counting the attempt.
   */
  claimDueDeliveries(now: Date, limit: number, leaseMs: number): Promise<ClaimedDelivery[]>;
  /** Records an attempt: sent, skipped, or failed with the time of the next try (or none: given up). */
  /**
   * Records the outcome; with `lease` (the claim's `leaseUntil`) only while that lease still holds
   * the delivery: false when it lapsed and another sender took the delivery (or finished it).
   */
  completeDelivery(deliveryId: string, outcome: DeliveryOutcome, lease?: Date): Promise<boolean>;
  /** Deliveries of the channel sent on their own (not in a digest) since `since`. */
  countSentSince(channelId: string, since: Date): Promise<number>;
  /** When the channel's last digest went out. */
  lastDigestAt(channelId: string): Promise<Date | null>;
  markDigestSent(channelId: string, at: Date): Promise<void>;
  /** Newest first. */
  listDeliveries(
    tenantId: string,
    filter?: { readonly channelId?: string | undefined; readonly status?: Delivery['status'] | undefined },
    page?: PageRequest,
  ): Promise<Page<Delivery>>;

  addOutboxMessage(message: Omit<OutboxMessage, 'id' | 'createdAt'>): Promise<OutboxMessage>;
  /** Newest first. */
  listOutbox(tenantId: string, page?: PageRequest): Promise<Page<OutboxMessage>>;

  /** Stores the hash of a new action token. */
  addActionToken(tokenHash: string, record: Omit<ActionTokenRecord, 'usedAt'>): Promise<void>;
  findActionToken(tokenHash: string): Promise<ActionTokenRecord | undefined>;
  /** Marks the token used if it still is unused and unexpired; false when someone was first. */
  useActionToken(tokenHash: string, now: Date): Promise<boolean>;
  /** Gives a token back after its action failed, so the link can be tried again. */
  releaseActionToken(tokenHash: string): Promise<void>;
}
