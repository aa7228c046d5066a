/**
 * When an entry that lets addresses through is written to a tenant's list, the pending observations of
 * those addresses are settled as `authorized` in the same transaction: otherwise they stay `pending` —
 * waiting for a review that is no longer needed — until the address happens to call again
 * (docs/architecture/review.md#how-traffic-updates-the-status).
 */
import { IpSet } from '@ipgate/core';
import type { Transaction } from 'kysely';
import type { StoreContext } from './context.js';
import type { Database } from './database.js';

/** What of the written entry decides whether it lets anything through now. */
export interface WrittenEntry {
  readonly id: string;
  readonly canonical: string;
  readonly enabled: boolean;
  readonly expiresAt: Date | null;
}

/**
 * Marks the tenant's pending observations that `entry` covers as authorized, with a reason naming the
 * entry; moves their version (a status change) and nothing else. An entry that is disabled or expired
 * lets nothing through and settles nothing.
 *
 * @example
 * await settleListedObservations(ctx, trx, tenantId, { id: 'ent_1', canonical: '203.0.113.0/24', enabled: true, expiresAt: null }, now);
 */
export async function settleListedObservations(
  ctx: StoreContext,
  trx: Transaction<Database>,
  tenantId: string,
  entry: WrittenEntry,
  now: string,
): Promise<void> {
  if (!entry.enabled || (entry.expiresAt !== null && entry.expiresAt.getTime() <= Date.parse(now))) return;
  const pending = await trx
    .selectFrom('observed_ips')
    .select(['id', 'address', 'reasons', 'version'])
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'pending')
    .$if(ctx.dialect.lockRows, (qb) => qb.forUpdate())
    .execute();
  // The compiled set matches as the gateway does (an IPv4-mapped entry matches IPv4 callers).
  const set = IpSet.from([entry.canonical]);
  for (const row of pending) {
    if (!set.has(row.address)) continue;
    const before = row.reasons === null ? [] : ctx.dialect.readJson(row.reasons);
    const reasons = [
      ...(Array.isArray(before) ? before.map(String) : []),
      `listed by entry ${entry.id} (${entry.canonical})`,
    ];
    await trx
      .updateTable('observed_ips')
      .set({ status: 'authorized', reasons: JSON.stringify(reasons), version: row.version + 1 })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .execute();
  }
}
