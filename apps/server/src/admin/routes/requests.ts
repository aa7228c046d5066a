/**
 * `/v1/tenants/{tenantId}/requests`: the tenant's request log, newest first, and one request by id
 * (what an operator looks up from the `requestId` of a denial).
 */

import { IpGateError } from '@ipgate/core';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { principalOf } from '../auth/access.js';
import { recordedMatchNames } from '../lists/entry-names.js';
import { errorResponses, Id, Page } from '../schemas/common.js';
import { RequestQuery, RequestRecord, toRequestRecordDto } from '../schemas/requests.js';
import { type AdminApp, type AdminDeps, defined, page, TenantParams } from './context.js';

const tags = ['requests'];

/** An API's allowlist is the operator's: its entries are named for tokens that see every tenant. */
const namesFor = (request: FastifyRequest) => ({ apiAllowlistNames: principalOf(request).tenantId === null });

/**
 * Registers the request log routes.
 */
export function registerRequestRoutes(app: AdminApp, { store }: AdminDeps): void {
  app.get(
    '/v1/tenants/:tenantId/requests',
    {
      config: { access: { role: 'viewer', scope: 'tenant' } },
      schema: {
        summary: "List the tenant's requests",
        description: 'Filter by decision, key, API, client address and time.',
        tags,
        params: TenantParams,
        querystring: RequestQuery,
        response: { 200: Page(RequestRecord), ...errorResponses },
      },
    },
    async (request) => {
      const { tenantId } = request.params;
      await store.getTenant(tenantId);
      const { since, until, limit, cursor, ...filters } = request.query;
      const result = await store.listRequests(
        defined({
          ...filters,
          tenantId,
          since: since === undefined ? undefined : new Date(since),
          until: until === undefined ? undefined : new Date(until),
        }),
        page(defined({ limit, cursor })),
      );
      const names = await recordedMatchNames(store, result.items, namesFor(request));
      return {
        items: result.items.map((r) => toRequestRecordDto(r, names)),
        ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }),
      };
    },
  );

  app.get(
    '/v1/tenants/:tenantId/requests/:requestId',
    {
      config: { access: { role: 'viewer', scope: 'tenant' } },
      schema: {
        summary: 'Get one request',
        tags,
        params: Type.Object({ ...TenantParams.properties, requestId: Id('The requestId of the request.') }),
        response: { 200: RequestRecord, ...errorResponses },
      },
    },
    async (request) => {
      const record = await store.getRequest(request.params.requestId);
      // A record of another tenant is answered exactly like a missing one.
      if (record.tenantId !== request.params.tenantId) {
        throw new IpGateError('IPG_NOT_FOUND', `No request ${JSON.stringify(request.params.requestId)}.`);
      }
      return toRequestRecordDto(record, await recordedMatchNames(store, [record], namesFor(request)));
    },
  );
}
