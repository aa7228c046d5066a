import type { IpListSpec } from './ip-lists.js';
import { settleListedObservations } from './listed-observations.js';
import type { TenantIpEntry } from './store.js';
import { getTenant, lockTenant } from './tenants.js';

/**
 * The tenant's IP list (docs/architecture/README.md#vocabulary): limited by the tenant's `ipEntryLimit`,
 * locked through the tenant row.
 *
 * @example
 * await addIpEntry(ctx, tenantIpList, tenantId, { value: '203.0.113.7' }, { actor });
 */
export const tenantIpList: IpListSpec<TenantIpEntry> = {
  table: 'tenant_ip_entries',
  ownerColumn: 'tenant_id',
  entryNoun: 'tenant IP entry',
  listNoun: 'tenant IP list',
  action: 'tenant.ip_entry',
  targetType: 'tenant_ip_entry',
  async lockOwner(ctx, trx, tenantId) {
    const tenant = await lockTenant(ctx, trx, tenantId);
    return { limit: tenant.ipEntryLimit };
  },
  async assertOwner(ctx, tenantId) {
    await getTenant(ctx, tenantId);
  },
  scope: (tenantId) => ({ tenantId, apiId: null }),
  withOwner: (entry, tenantId) => ({ ...entry, tenantId }),
  afterWrite: (ctx, trx, tenantId, entry, now) => settleListedObservations(ctx, trx, tenantId, entry, now),
};
