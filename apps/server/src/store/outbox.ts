import type { Selectable } from 'kysely';
import { read, type StoreContext } from './context.js';
import type { OutboxMessagesTable } from './database.js';
import { newId } from './ids.js';
import type { OutboxMessage } from './notification-types.js';
import { decodeCursor, pageLimit, toPage } from './pagination.js';
import { nowIso, toDate } from './rows.js';
import type { Page, PageRequest } from './store.js';

function fromRow(row: Selectable<OutboxMessagesTable>): OutboxMessage {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    channelId: row.channel_id,
    recipient: row.recipient,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    createdAt: toDate(row.created_at),
  };
}

/**
 * Keeps an email in the outbox (no SMTP server configured): the demo's way of showing what the owner
 * would receive, readable through the management API.
 *
 * @example
 * await addOutboxMessage(ctx, { tenantId, channelId, recipient: 'owner@example.com', subject, text, html });
 */
export async function addOutboxMessage(
  ctx: StoreContext,
  message: Omit<OutboxMessage, 'id' | 'createdAt'>,
): Promise<OutboxMessage> {
  return ctx.dialect.transaction(async (trx) =>
    fromRow(
      await trx
        .insertInto('outbox_messages')
        .values({
          id: newId('msg'),
          tenant_id: message.tenantId,
          channel_id: message.channelId,
          recipient: message.recipient,
          subject: message.subject,
          text_body: message.text,
          html_body: message.html,
          created_at: nowIso(),
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    ),
  );
}

/**
 * The tenant's outbox, newest first.
 *
 * @example
 * const { items } = await listOutbox(ctx, tenantId, { limit: 10 });
 */
export async function listOutbox(
  ctx: StoreContext,
  tenantId: string,
  page?: PageRequest,
): Promise<Page<OutboxMessage>> {
  const limit = pageLimit(page);
  const after = page?.cursor === undefined ? undefined : decodeCursor(page.cursor, ['string', 'string']);
  const rows = await read(ctx, () =>
    ctx.db
      .selectFrom('outbox_messages')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .$if(after !== undefined, (qb) => {
        const [at, id] = after as [string, string];
        return qb.where((eb) =>
          eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]),
        );
      })
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute(),
  );
  return toPage(rows.map(fromRow), limit, (m) => [m.createdAt.toISOString(), m.id]);
}
