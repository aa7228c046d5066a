import { type Kysely, type Migration, sql } from 'kysely';
import { type ColumnTypes, columnTypes, type DialectName } from '../dialect.js';

/**
 * The tables of owner notifications (docs/architecture/review.md#notifications): a tenant's channels,
 * the notifications themselves (deduplicated by a unique key), one delivery per channel with its
 * retry state, the delivery log, the outbox of emails kept when no SMTP server is configured, and
 * the hashed one-click action tokens.
 *
 * @example
 * await notificationsMigration('sqlite').up(db);
 */
export function notificationsMigration(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema at their point in history
    async up(db: Kysely<any>): Promise<void> {
      await createChannels(db, t);
      await createNotifications(db, t);
      await createDeliveries(db, t);
      await createAttempts(db, t);
      await createOutbox(db, t);
      await createActionTokens(db, t);
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      for (const table of [
        'review_action_tokens',
        'outbox_messages',
        'notification_attempts',
        'notification_deliveries',
        'notifications',
        'notification_channels',
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are untyped by design
type Db = Kysely<any>;

function inList(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}

const tenantRef = 'tenants.id';

async function createChannels(db: Db, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('notification_channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references(tenantRef).onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(inList('kind', ['email', 'webhook'])))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    // A webhook's signing secret: needed in clear to sign, shown once at creation, never answered again.
    .addColumn('secret', 'text')
    .addColumn('events', t.json, (c) => c.notNull())
    .addColumn('enabled', t.flag, (c) => c.notNull())
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('last_failure_at', t.timestamp)
    .addColumn('last_success_at', t.timestamp)
    .addColumn('last_digest_at', t.timestamp)
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('notification_channels_tenant')
    .on('notification_channels')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();
}

async function createNotifications(db: Db, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references(tenantRef).onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    // What makes two notifications the same one, e.g. `ip.pending:203.0.113.7:2026-12-06`: the unique
    // key is what keeps several nodes that see one address at once to one notification.
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('observed_id', 'text')
    .addColumn('payload', t.json, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('notifications_dedupe', ['tenant_id', 'dedupe_key'])
    .execute();
}

async function createDeliveries(db: Db, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('notification_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references(tenantRef).onDelete('cascade'))
    .addColumn('notification_id', 'text', (c) =>
      c.notNull().references('notifications.id').onDelete('cascade'),
    )
    .addColumn('channel_id', 'text', (c) =>
      c.notNull().references('notification_channels.id').onDelete('cascade'),
    )
    .addColumn('status', 'text', (c) =>
      c.notNull().check(inList('status', ['queued', 'sent', 'failed', 'skipped'])),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', t.timestamp, (c) => c.notNull())
    // Set while a sender holds the delivery; a sender that died (kill -9) lets it lapse and another takes over.
    .addColumn('lease_until', t.timestamp)
    .addColumn('last_error', 'text')
    .addColumn('sent_at', t.timestamp)
    // Set when the delivery went out inside a digest: the id shared by every delivery of that digest.
    .addColumn('digest_id', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('notification_deliveries_due')
    .on('notification_deliveries')
    .columns(['status', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('notification_deliveries_tenant')
    .on('notification_deliveries')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('notification_deliveries_channel')
    .on('notification_deliveries')
    .columns(['channel_id', 'sent_at'])
    .execute();
}

async function createAttempts(db: Db, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('notification_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('delivery_id', 'text', (c) =>
      c.notNull().references('notification_deliveries.id').onDelete('cascade'),
    )
    .addColumn('at', t.timestamp, (c) => c.notNull())
    .addColumn('ok', t.flag, (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('notification_attempts_delivery')
    .on('notification_attempts')
    .columns(['delivery_id', 'at'])
    .execute();
}

async function createOutbox(db: Db, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('outbox_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references(tenantRef).onDelete('cascade'))
    .addColumn('channel_id', 'text')
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text_body', 'text', (c) => c.notNull())
    .addColumn('html_body', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('outbox_messages_tenant')
    .on('outbox_messages')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();
}

async function createActionTokens(db: Db, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('review_action_tokens')
    // SHA-256 of the token: the token itself is only in the message that carried it.
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references(tenantRef).onDelete('cascade'))
    .addColumn('observed_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) =>
      c.notNull().check(inList('action', ['authorize', 'reject-and-rotate', 'stop-reviewing'])),
    )
    // Who the link was sent to, for the audit trail ("email link, owner@example.com").
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .addColumn('used_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('review_action_tokens_expiry')
    .on('review_action_tokens')
    .column('expires_at')
    .execute();
}
