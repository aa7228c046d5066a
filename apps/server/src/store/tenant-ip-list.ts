import type { Selectable, Transaction } from 'kysely';
import type { Database, IpListEntryColumns } from './database.js';
import { type IpListSpec, ipEntryShape, ipListEntryFromRow } from './ip-entries.js';
import { settleListedObservations } from './listed-observations.js';
import type { EntrySource, TenantIpEntry } from './store.js';
import { getTenant, lockTenant } from './tenants.js';
import * as v from './validate.js';

/**
 * The tenant's IP list (docs/architecture/README.md#vocabulary): limited by the tenant's `ipEntryLimit`,
 * locked through the tenant row.
 *
 * @example
 * await addEntry(ctx, tenantIpList, tenantId, { value: '203.0.113.7' }, { actor });
 */
export const tenantIpList: IpListSpec<TenantIpEntry> = {
  ...ipEntryShape,
  table: 'tenant_ip_entries',
  ownerColumn: 'tenant_id',
  entryNoun: 'tenant IP entry',
  listNoun: 'tenant IP list',
  action: 'tenant.ip_entry',
  targetType: 'tenant_ip_entry',
  ownerId: (tenantId) => tenantId,
  async lockOwner(ctx, trx, tenantId) {
    const tenant = await lockTenant(ctx, trx, tenantId);
    return { limit: tenant.ipEntryLimit };
  },
  async assertOwner(ctx, tenantId) {
    await getTenant(ctx, tenantId);
  },
  scope: (tenantId) => ({ tenantId, apiId: null }),
  fromRow: (row, tenantId) => ({
    ...ipListEntryFromRow(row as unknown as Selectable<IpListEntryColumns>),
    tenantId,
  }),
  afterWrite: (ctx, trx, tenantId, entry, now) => settleListedObservations(ctx, trx, tenantId, entry, now),
};

/**
 * Deletes the tenant's entries for exactly `address` that came from one of `sources` (what review
 * added, when review takes an address back); returns them as they were.
 *
 * @example
 * const removed = await removeAddressEntries(trx, tenantId, '203.0.113.7', ['auto']);
 */
export async function removeAddressEntries(
  trx: Transaction<Database>,
  tenantId: string,
  address: string,
  sources: readonly EntrySource[],
): Promise<TenantIpEntry[]> {
  const canonical = v.ipEntry(address).canonical;
  const rows = await trx
    .selectFrom('tenant_ip_entries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('canonical', '=', canonical)
    .where('source', 'in', sources)
    .execute();
  if (rows.length === 0) return [];
  await trx
    .deleteFrom('tenant_ip_entries')
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  return rows.map((r) => tenantIpList.fromRow(r, tenantId));
}
