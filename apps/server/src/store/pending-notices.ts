/**
 * Which addresses of a batch of observations become pending for the first time, and queueing their
 * notification in the batch's own transaction (docs/architecture/review.md#notifications): the
 * request path never waits for it, and what committed the pending row committed its notice too.
 */
import type { Transaction } from 'kysely';
import type { StoreContext } from './context.js';
import type { Database } from './database.js';
import { enqueuePending } from './notification-queue.js';
import { nowIso } from './rows.js';

/** Rows per statement: three parameters each. */
const CHUNK = 300;

interface Candidate {
  readonly tenantId: string;
  readonly keyId: string;
  readonly address: string;
  readonly status: string;
}

/**
 * The pending observations of the batch whose (tenant, key, address) has no row yet. Read before the
 * upsert, in its transaction.
 *
 * @example
 * const fresh = await unseenPending(trx, rows); // then upsert, then notifyNewPending(ctx, trx, fresh)
 */
export async function unseenPending<T extends Candidate>(
  trx: Transaction<Database>,
  rows: readonly T[],
): Promise<T[]> {
  const pending = rows.filter((r) => r.status === 'pending');
  const seen = new Set<string>();
  for (let i = 0; i < pending.length; i += CHUNK) {
    const part = pending.slice(i, i + CHUNK);
    const found = await trx
      .selectFrom('observed_ips')
      .select(['tenant_id', 'key_id', 'address'])
      .where((eb) =>
        eb(
          eb.refTuple('tenant_id', 'key_id', 'address'),
          'in',
          part.map((r) => eb.tuple(r.tenantId, r.keyId, r.address)),
        ),
      )
      .execute();
    for (const f of found) seen.add(`${f.tenant_id}\n${f.key_id}\n${f.address}`);
  }
  return pending.filter((r) => !seen.has(`${r.tenantId}\n${r.keyId}\n${r.address}`));
}

/**
 * Queues `ip.pending` for the rows {@link unseenPending} found, once they exist (after the upsert),
 * if they are still pending.
 */
export async function notifyNewPending(
  ctx: StoreContext,
  trx: Transaction<Database>,
  fresh: readonly Candidate[],
): Promise<void> {
  for (let i = 0; i < fresh.length; i += CHUNK) {
    const part = fresh.slice(i, i + CHUNK);
    const rows = await trx
      .selectFrom('observed_ips')
      .select(['id', 'tenant_id', 'key_id', 'address', 'first_seen'])
      .where('status', '=', 'pending')
      .where((eb) =>
        eb(
          eb.refTuple('tenant_id', 'key_id', 'address'),
          'in',
          part.map((r) => eb.tuple(r.tenantId, r.keyId, r.address)),
        ),
      )
      .execute();
    await enqueuePending(
      ctx,
      trx,
      rows.map((r) => ({
        tenantId: r.tenant_id,
        keyId: r.key_id,
        address: r.address,
        observedId: r.id,
        firstSeen: new Date(r.first_seen).toISOString(),
      })),
      nowIso(),
    );
  }
}
