import type { ColumnType, Generated } from 'kysely';
import type { AuthHeader, EntrySource, IpMode, Role } from './vocabulary.js';

/**
 * A point in time. Written as an ISO-8601 UTC string on both dialects; SQLite hands the string back,
 * PostgreSQL (`timestamptz`) a `Date`. The store turns both into `Date`.
 */
export type Timestamp = ColumnType<Date | string, string, string>;

/**
 * A flag. Written as 0/1 because better-sqlite3 cannot bind JS booleans, and PostgreSQL's `boolean`
 * accepts the text `1`/`0`; read back as 0/1 (SQLite) or `true`/`false` (PostgreSQL).
 */
export type Flag = ColumnType<number | boolean, number, number>;

/** A {@link Flag} with a default in the schema: may be left out on insert. */
export type DefaultedFlag = ColumnType<number | boolean, number | undefined, number>;

/** JSON, written as text; SQLite returns the text, PostgreSQL (`jsonb`) the parsed value. */
export type Json = ColumnType<unknown, string | null, string | null>;

export interface TenantsTable {
  id: string;
  name: string;
  ip_mode: IpMode;
  ip_entry_limit: number;
  key_ip_limit: number;
  key_domain_limit: number;
  /** False: report-only (docs/architecture/pipeline.md#report-only). */
  enforce: DefaultedFlag;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The shared shape of the two network lists that carry expiry and provenance. */
export interface IpListEntryColumns {
  id: string;
  name: string;
  type: 'ip' | 'range';
  value: string;
  canonical: string;
  enabled: Flag;
  expires_at: Timestamp | null;
  source: EntrySource;
  reason: string | null;
  created_by: string;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface TenantIpEntriesTable extends IpListEntryColumns {
  tenant_id: string;
}

export interface ApiAllowlistEntriesTable extends IpListEntryColumns {
  api_id: string;
}

export interface ApisTable {
  id: string;
  name: string;
  host: string | null;
  path_prefix: string;
  strip_prefix: Flag;
  upstream_url: string;
  auth_header: AuthHeader;
  /** False: the allowlist is report-only. */
  enforce: DefaultedFlag;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface KeysTable {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  /** Hex SHA-256 of the whole secret; the secret itself is never stored. */
  secret_hash: string;
  status: 'active' | 'revoked';
  ip_restriction_enabled: Flag;
  domain_restriction_enabled: Flag;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  rotated_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface KeyIpEntriesTable {
  id: string;
  key_id: string;
  name: string;
  type: 'ip' | 'range';
  value: string;
  canonical: string;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface KeyDomainEntriesTable {
  id: string;
  key_id: string;
  name: string;
  value: string;
  canonical: string;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ObservedIpsTable {
  /** Server-generated (`obs_…`); the primary key stays (tenant_id, key_id, address) for the upsert. */
  id: string;
  tenant_id: string;
  key_id: string;
  address: string;
  first_seen: Timestamp;
  last_seen: Timestamp;
  count: number;
  status: 'authorized' | 'pending' | 'rejected';
  reasons: Json;
  /** The latest assessment (review/assessment.ts `Assessment`) as JSON; null when never assessed. */
  assessment: Json;
  /** When the stored assessment was made (the first request that carried it); null when never assessed. */
  assessed_at: Timestamp | null;
  /** Bumped when the status changes (not per call), so review actions can use If-Match. */
  version: number;
}

export interface AuditEventsTable {
  id: string;
  /** The `changes.version` written in the same transaction: a total, commit-ordered sequence. */
  change_version: number;
  at: Timestamp;
  actor: string;
  tenant_id: string | null;
  action: string;
  target_type: string;
  target_id: string;
  before: Json;
  after: Json;
}

export interface RequestsTable {
  request_id: string;
  at: Timestamp;
  tenant_id: string | null;
  api_id: string | null;
  key_id: string | null;
  client: string | null;
  method: string;
  path: string;
  status: number;
  decision: 'allow' | 'deny';
  stage: string | null;
  reason: string | null;
  latency_ms: number;
  /** The request passed although the rules denied it (report-only); `decision` is then `allow`. */
  would_deny: DefaultedFlag;
  /** The browser origin the decision read (`null` text for an unparsable one); SQL null: a server request. */
  origin: string | null;
  /**
   * The entries the request matched, as JSON `[{"list":"tenant","entryId":"ent_…"}]`; null or `[]`:
   * none (and every record written before the column).
   */
  matched: string | null;
}

/**
 * Allowed requests counted per minute and group (docs/architecture/storage.md#counted-requests);
 * `id` is the minute and a digest of the group, so every writer adds to one row.
 */
export interface RequestCountsTable {
  id: string;
  minute: Timestamp;
  tenant_id: string | null;
  api_id: string | null;
  key_id: string | null;
  client: string | null;
  method: string;
  status: number;
  origin: string | null;
  /** As `requests.matched`. */
  matched: string | null;
  /** `bigint`: PostgreSQL hands it back as text. */
  count: ColumnType<number | string, number, number>;
  first_at: Timestamp;
  last_at: Timestamp;
  latency_sum_ms: number;
  latency_max_ms: number;
}

export interface PrincipalsTable {
  id: string;
  kind: 'token' | 'user';
  name: string;
  role: Role;
  /** Null: the principal may act on every tenant. */
  tenant_id: string | null;
  secret_hash: string | null;
  password_hash: string | null;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A console user's signed-in browser (docs/architecture/console.md#sessions). */
export interface ConsoleSessionsTable {
  id: string;
  /** SHA-256 of the cookie's secret: a leaked table signs nobody in. */
  token_hash: string;
  principal_id: string;
  /** Sent back in a header on every state-changing request; readable only by the console's origin. */
  csrf_token: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  /** The absolute end, whatever the activity. */
  expires_at: Timestamp;
}

export interface ChangesTable {
  version: Generated<number>;
  at: Timestamp;
  tenant_id: string | null;
  api_id: string | null;
  key_id: string | null;
  kind: string;
  /** The ids of the tenant entries the change added, comma-joined, when that is all it did; else null. */
  added_entries: string | null;
}

export interface NotificationChannelsTable {
  id: string;
  tenant_id: string;
  kind: 'email' | 'webhook';
  name: string;
  /** An email address or a webhook URL. */
  target: string;
  secret: string | null;
  events: Json;
  enabled: Flag;
  consecutive_failures: number;
  last_error: string | null;
  last_failure_at: Timestamp | null;
  last_success_at: Timestamp | null;
  last_digest_at: Timestamp | null;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface NotificationsTable {
  id: string;
  tenant_id: string;
  type: string;
  dedupe_key: string;
  observed_id: string | null;
  payload: Json;
  created_at: Timestamp;
}

export interface NotificationDeliveriesTable {
  id: string;
  tenant_id: string;
  notification_id: string;
  channel_id: string;
  status: 'queued' | 'sent' | 'failed' | 'skipped';
  attempts: number;
  next_attempt_at: Timestamp;
  lease_until: Timestamp | null;
  last_error: string | null;
  sent_at: Timestamp | null;
  digest_id: string | null;
  created_at: Timestamp;
}

export interface NotificationAttemptsTable {
  id: string;
  delivery_id: string;
  at: Timestamp;
  ok: Flag;
  detail: string;
  duration_ms: number;
}

export interface OutboxMessagesTable {
  id: string;
  tenant_id: string;
  channel_id: string | null;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  created_at: Timestamp;
}

export interface ReviewActionTokensTable {
  token_hash: string;
  tenant_id: string;
  observed_id: string;
  action: 'authorize' | 'reject-and-rotate' | 'stop-reviewing';
  recipient: string;
  /** The channel the link went through; its deletion or a new target deletes the link (null: older links). */
  channel_id: string | null;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: Timestamp;
}

/** Per-entry usage counters (store/entry-usage.ts); ids of any list, no foreign key. */
export interface EntryUsageTable {
  entry_id: string;
  /** `bigint`: PostgreSQL hands it back as text. */
  hits: ColumnType<number | string, number, number>;
  last_matched_at: Timestamp;
}

/**
 * Every table of the server store (docs/architecture/storage.md#tables), as Kysely sees it.
 *
 * Only the store's own modules use this type; callers speak the `Store` interface.
 *
 * @example
 * const db = new Kysely<Database>({ dialect });
 * const rows = await db.selectFrom('tenants').select(['id', 'name']).execute();
 */
export interface Database {
  tenants: TenantsTable;
  tenant_ip_entries: TenantIpEntriesTable;
  apis: ApisTable;
  api_allowlist_entries: ApiAllowlistEntriesTable;
  keys: KeysTable;
  key_ip_entries: KeyIpEntriesTable;
  key_domain_entries: KeyDomainEntriesTable;
  observed_ips: ObservedIpsTable;
  audit_events: AuditEventsTable;
  requests: RequestsTable;
  principals: PrincipalsTable;
  changes: ChangesTable;
  console_sessions: ConsoleSessionsTable;
  notification_channels: NotificationChannelsTable;
  notifications: NotificationsTable;
  notification_deliveries: NotificationDeliveriesTable;
  notification_attempts: NotificationAttemptsTable;
  outbox_messages: OutboxMessagesTable;
  review_action_tokens: ReviewActionTokensTable;
  /** One row: the store's id, made by the migration that created the table. */
  store_identity: { id: string };
  entry_usage: EntryUsageTable;
  key_bursts: KeyBurstsTable;
  request_counts: RequestCountsTable;
}

/** A key whose burst of new addresses is held, cluster-wide, until `held_until`. */
export interface KeyBurstsTable {
  key_id: string;
  tenant_id: string;
  new_addresses: number;
  started_at: Timestamp;
  held_until: Timestamp;
}
