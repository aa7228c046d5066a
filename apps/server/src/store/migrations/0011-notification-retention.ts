import type { Kysely, Migration } from 'kysely';

/**
 * Indexes for the retention of the notification tables (docs/architecture/review.md#retention): old
 * rows are found by time, a batch at a time, and a notification's deliveries by the notification
 * (PostgreSQL indexes no foreign key by itself, and the cascade from a deleted notification, like
 * the check that none of its deliveries is left, reads them by it).
 *
 * @example
 * await notificationRetentionMigration().up(db);
 */
export function notificationRetentionMigration(): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema at their point in history
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createIndex('notification_deliveries_created')
        .on('notification_deliveries')
        .column('created_at')
        .execute();
      await db.schema
        .createIndex('notification_deliveries_notification')
        .on('notification_deliveries')
        .column('notification_id')
        .execute();
      await db.schema.createIndex('notifications_created').on('notifications').column('created_at').execute();
      await db.schema
        .createIndex('outbox_messages_created')
        .on('outbox_messages')
        .column('created_at')
        .execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      for (const index of [
        'outbox_messages_created',
        'notifications_created',
        'notification_deliveries_notification',
        'notification_deliveries_created',
      ]) {
        await db.schema.dropIndex(index).ifExists().execute();
      }
    },
  };
}
