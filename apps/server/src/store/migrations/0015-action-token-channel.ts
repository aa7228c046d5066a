import type { Kysely, Migration } from 'kysely';

/**
 * The channel a one-click link was sent through (docs/architecture/review.md#one-click-actions), so
 * that deleting the channel, or pointing it at another recipient, takes its links with it: a person
 * removed from a channel keeps no working link. Null for the links made before this migration, which
 * still expire as before.
 *
 * @example
 * await actionTokenChannelMigration().up(db);
 */
export function actionTokenChannelMigration(): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema at their point in history
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .alterTable('review_action_tokens')
        .addColumn('channel_id', 'text', (c) => c.references('notification_channels.id').onDelete('cascade'))
        .execute();
      // The cascade and a changed target find a channel's links by it.
      await db.schema
        .createIndex('review_action_tokens_channel')
        .ifNotExists()
        .on('review_action_tokens')
        .column('channel_id')
        .execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('review_action_tokens_channel').ifExists().execute();
      await db.schema.alterTable('review_action_tokens').dropColumn('channel_id').execute();
    },
  };
}
