/**
 * `/v1/tenants/{tenantId}/ip-restriction/entries`: the tenant's IP list.
 */

import { type AdminApp, type AdminDeps, TenantParams } from './context.js';
import { registerIpListRoutes } from './ip-list-entries.js';

/**
 * Registers the tenant IP list routes.
 */
export function registerTenantIpEntryRoutes(app: AdminApp, deps: AdminDeps): void {
  const { store } = deps;
  registerIpListRoutes(app, deps, {
    path: '/v1/tenants/:tenantId/ip-restriction/entries',
    params: TenantParams,
    ownerParam: 'tenantId',
    scope: 'tenant',
    tag: 'ip-restriction',
    noun: "the tenant's IP list",
    list: (t) => store.listTenantIpEntries(t),
    get: (t, e) => store.getTenantIpEntry(t, e),
    add: (t, input, o) => store.addTenantIpEntry(t, input, o),
    update: (t, e, patch, o) => store.updateTenantIpEntry(t, e, patch, o),
    remove: (t, e, o) => store.removeTenantIpEntry(t, e, o),
    importEntries: (t, input, o) => store.importTenantIpEntries(t, input, o),
    limit: async (t) => (await store.getTenant(t)).ipEntryLimit,
    guardState: async (t, entries) => ({ kind: 'tenant', mode: (await store.getTenant(t)).ipMode, entries }),
    simulationTarget: (tenantId) => ({ kind: 'tenant', tenantId }),
  });
}
