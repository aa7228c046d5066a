/**
 * `POST /v1/tenants/{tenantId}/check`: explains the decision for an address, key, API and origin
 * without sending traffic, from the snapshot the gateway serves.
 */
import { decisionReasons, IpGateError } from '@ipgate/core';
import { principalOf } from '../auth/access.js';
import { withEntryNames } from '../lists/entry-names.js';
import { CheckBody, CheckResult } from '../schemas/check.js';
import { errorResponses } from '../schemas/common.js';
import { type AdminApp, type AdminDeps, TenantParams } from './context.js';

/**
 * Registers the check route.
 */
export function registerCheckRoutes(app: AdminApp, { engine, store }: AdminDeps): void {
  app.post(
    '/v1/tenants/:tenantId/check',
    {
      config: { access: { role: 'viewer', scope: 'tenant' } },
      schema: {
        summary: 'Explain a decision',
        description:
          "Allow or deny, the stage and reason, and the entries that matched — for an address with a key of this tenant, an API's allowlist and an Origin. Naming an API (apiId) needs a token for all tenants: a tenant's token gets 404 for every apiId, as APIs are not its to read.",
        tags: ['check'],
        params: TenantParams,
        body: CheckBody,
        response: { 200: CheckResult, ...errorResponses },
      },
    },
    async (request) => {
      const { address, keyId, apiId, origin } = request.body;
      if (apiId !== undefined && principalOf(request).tenantId !== null) {
        // APIs and their allowlists are for tokens of all tenants: a tenant's token that could name
        // one here would read its allowlist entries, and tell existing ids from others by 404 vs 200.
        // Every id gets the same 404, as on /v1/apis.
        throw new IpGateError('IPG_NOT_FOUND', `No API ${JSON.stringify(apiId)}.`, {
          field: 'apiId',
          input: apiId,
          hint: 'A token for one tenant checks without apiId; a token for all tenants may name an API.',
        });
      }
      const outcome = engine.check({
        address,
        tenantId: request.params.tenantId,
        ...(keyId === undefined ? {} : { keyId }),
        ...(apiId === undefined ? {} : { apiId }),
        ...(origin === undefined ? {} : { origin }),
      });
      const d = outcome.decision;
      const matched = await withEntryNames(store, d.matched, outcome);
      return {
        allow: d.allow,
        status: d.status,
        stage: d.stage,
        reason: d.reason,
        reasonText: decisionReasons[d.reason],
        matched: matched.map((m) => ({ ...m, name: m.name ?? null, id: m.id ?? null })),
        reviewable: d.reviewable,
        ...(d.detail === undefined ? {} : { detail: d.detail }),
        address: outcome.address,
        tenantId: outcome.tenantId,
        keyId: outcome.keyId,
        apiId: outcome.apiId,
        snapshotVersion: outcome.snapshotVersion,
      };
    },
  );
}
