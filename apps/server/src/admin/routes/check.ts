/**
 * `POST /v1/tenants/{tenantId}/check`: explains the decision for an address, key, API and origin
 * without sending traffic, from the snapshot the gateway serves.
 */
import { decisionReasons } from '@ipgate/core';
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
          "Allow or deny, the stage and reason, and the entries that matched — for an address with a key of this tenant, an API's allowlist and an Origin.",
        tags: ['check'],
        params: TenantParams,
        body: CheckBody,
        response: { 200: CheckResult, ...errorResponses },
      },
    },
    async (request) => {
      const { address, keyId, apiId, origin } = request.body;
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
