/**
 * `/v1/tenants/{tenantId}/ip-restriction`: the tenant's mode and limits. Changing the mode is guarded
 * against locking the caller out; changing limits needs a token for all tenants, because a tenant that
 * could raise its own limits would not be limited.
 */
import { IpGateError } from '@ipgate/core';
import type { Tenant as StoredTenant, TenantIpEntry } from '../../store/store.js';
import { principalOf } from '../auth/access.js';
import { withEtag } from '../http/etag.js';
import { activeEntries, guardLockout } from '../lists/lockout-guard.js';
import { errorResponses, IfMatchHeaders } from '../schemas/common.js';
import {
  IpRestriction,
  type IpRestrictionDto,
  UpdateIpRestrictionBody,
  withModeWarnings,
} from '../schemas/tenants.js';
import { type AdminApp, type AdminDeps, callerAddress, defined, mutation, TenantParams } from './context.js';

const tags = ['ip-restriction'];

/**
 * Registers the IP restriction routes.
 */
export function registerIpRestrictionRoutes(app: AdminApp, { store, engine }: AdminDeps): void {
  app.get(
    '/v1/tenants/:tenantId/ip-restriction',
    {
      config: { access: { role: 'viewer', scope: 'tenant' } },
      schema: {
        summary: "Get the tenant's IP restriction",
        tags,
        params: TenantParams,
        response: { 200: IpRestriction, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.params;
      const tenant = await store.getTenant(tenantId);
      return withEtag(reply, toDto(tenant, await store.listTenantIpEntries(tenantId)));
    },
  );

  app.patch(
    '/v1/tenants/:tenantId/ip-restriction',
    {
      config: { access: { role: 'editor', scope: 'tenant' } },
      schema: {
        summary: "Change the tenant's mode, report-only setting or limits",
        description:
          'A mode or enforce change that would deny your own address is refused with 409 IPG_SELF_LOCKOUT unless confirmLockout is true. enforce: false makes the tenant report-only (denials are recorded as would-deny, the requests pass). Limits need a token for all tenants; a limit below what a list holds now is refused with 409 IPG_LIMIT_BELOW_COUNT (nothing is removed). Audited as tenant.updated.',
        tags,
        params: TenantParams,
        headers: IfMatchHeaders,
        body: UpdateIpRestrictionBody,
        response: { 200: IpRestriction, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.params;
      const { mode, enforce, confirmLockout, ...limits } = request.body;
      const changesLimits = Object.values(limits).some((v) => v !== undefined);
      if (changesLimits && principalOf(request).tenantId !== null) {
        throw new IpGateError('IPG_ROLE_FORBIDDEN', 'Limits are set by a token for all tenants.', {
          field: Object.keys(defined(limits))[0] ?? 'ipEntryLimit',
        });
      }
      const options = mutation(request);
      const entries = await store.listTenantIpEntries(tenantId);
      if (mode !== undefined || enforce !== undefined) {
        const before = await store.getTenant(tenantId);
        // Report-only denies no one: for the guard it is mode off.
        const effective = (m: StoredTenant['ipMode'], on: boolean) => (on ? m : 'off');
        guardLockout(
          callerAddress(request),
          { kind: 'tenant', mode: effective(before.ipMode, before.enforce), entries },
          { kind: 'tenant', mode: effective(mode ?? before.ipMode, enforce ?? before.enforce), entries },
          confirmLockout,
        );
      }
      const patch = defined({ ...limits, ipMode: mode, enforce });
      const tenant = await store.updateTenant(tenantId, patch, options);
      await engine.refresh();
      return withEtag(reply, toDto(tenant, entries));
    },
  );
}

function toDto(tenant: StoredTenant, entries: readonly TenantIpEntry[]): IpRestrictionDto {
  return {
    tenantId: tenant.id,
    mode: tenant.ipMode,
    ipEntryLimit: tenant.ipEntryLimit,
    keyIpLimit: tenant.keyIpLimit,
    keyDomainLimit: tenant.keyDomainLimit,
    enforce: tenant.enforce,
    entryCount: entries.length,
    activeEntryCount: activeEntries(entries).length,
    version: tenant.version,
    ...withModeWarnings(tenant.ipMode),
  };
}
