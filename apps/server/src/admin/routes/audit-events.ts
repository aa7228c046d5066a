/**
 * Audit events: a tenant's (`/v1/tenants/{tenantId}/audit-events`) and everyone's
 * (`/v1/audit-events`, tokens for all tenants only), newest first.
 */
import { AuditEvent, toAuditEventDto } from '../schemas/audit-events.js';
import { errorResponses, Page, PageQuery } from '../schemas/common.js';
import { type AdminApp, type AdminDeps, page, TenantParams } from './context.js';

const tags = ['audit'];

/**
 * Registers the audit routes.
 */
export function registerAuditRoutes(app: AdminApp, { store }: AdminDeps): void {
  app.get(
    '/v1/tenants/:tenantId/audit-events',
    {
      config: { access: { role: 'viewer', scope: 'tenant' } },
      schema: {
        summary: "List a tenant's audit events",
        tags,
        params: TenantParams,
        querystring: PageQuery,
        response: { 200: Page(AuditEvent), ...errorResponses },
      },
    },
    async (request) => {
      await store.getTenant(request.params.tenantId);
      const result = await store.listAuditEvents(request.params.tenantId, page(request.query));
      return {
        items: result.items.map(toAuditEventDto),
        ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }),
      };
    },
  );

  app.get(
    '/v1/audit-events',
    {
      config: { access: { role: 'viewer', scope: 'global' } },
      schema: {
        summary: 'List every audit event',
        description: 'All tenants, APIs and admin tokens.',
        tags,
        querystring: PageQuery,
        response: { 200: Page(AuditEvent), ...errorResponses },
      },
    },
    async (request) => {
      const result = await store.listAllAuditEvents(page(request.query));
      return {
        items: result.items.map(toAuditEventDto),
        ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }),
      };
    },
  );
}
