/**
 * `/v1/tenants`: the customer accounts. Tokens for all tenants list and create them; a tenant's own
 * token sees only its tenant.
 */
import { Type } from 'typebox';
import { principalOf } from '../auth/access.js';
import { withEtag } from '../http/etag.js';
import { errorResponses, IfMatchHeaders, Page, PageQuery } from '../schemas/common.js';
import { CreateTenantBody, Tenant, toTenantDto, UpdateTenantBody } from '../schemas/tenants.js';
import { type AdminApp, type AdminDeps, creation, defined, mutation, page, TenantParams } from './context.js';

const tags = ['tenants'];

/**
 * Registers the tenant routes.
 */
export function registerTenantRoutes(app: AdminApp, { store, engine }: AdminDeps): void {
  app.get(
    '/v1/tenants',
    {
      config: { access: { role: 'viewer', scope: 'any' } },
      schema: {
        summary: 'List tenants',
        description: 'A token scoped to one tenant sees only that tenant.',
        tags,
        querystring: PageQuery,
        response: { 200: Page(Tenant), ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (principal.tenantId !== null) {
        const own = await store.getTenant(principal.tenantId);
        return { items: request.query.cursor === undefined ? [toTenantDto(own)] : [] };
      }
      const result = await store.listTenants(page(request.query));
      return {
        items: result.items.map(toTenantDto),
        ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }),
      };
    },
  );

  app.post(
    '/v1/tenants',
    {
      config: { access: { role: 'editor', scope: 'global' } },
      schema: {
        summary: 'Create a tenant',
        description: 'Mode defaults to manual: access is blocked until addresses are listed.',
        tags,
        body: CreateTenantBody,
        response: { 201: Tenant, ...errorResponses },
      },
    },
    async (request, reply) => {
      const tenant = await store.createTenant(defined(request.body), creation(request));
      await engine.refresh();
      return withEtag(reply.status(201), toTenantDto(tenant));
    },
  );

  app.get(
    '/v1/tenants/:tenantId',
    {
      config: { access: { role: 'viewer', scope: 'tenant' } },
      schema: {
        summary: 'Get a tenant',
        tags,
        params: TenantParams,
        response: { 200: Tenant, ...errorResponses },
      },
    },
    async (request, reply) => withEtag(reply, toTenantDto(await store.getTenant(request.params.tenantId))),
  );

  app.patch(
    '/v1/tenants/:tenantId',
    {
      config: { access: { role: 'editor', scope: 'tenant' } },
      schema: {
        summary: 'Rename a tenant',
        description: 'Mode and limits are changed under ip-restriction.',
        tags,
        params: TenantParams,
        headers: IfMatchHeaders,
        body: UpdateTenantBody,
        response: { 200: Tenant, ...errorResponses },
      },
    },
    async (request, reply) => {
      const tenant = await store.updateTenant(
        request.params.tenantId,
        defined(request.body),
        mutation(request),
      );
      await engine.refresh();
      return withEtag(reply, toTenantDto(tenant));
    },
  );

  app.delete(
    '/v1/tenants/:tenantId',
    {
      // Tenants are the platform's to create and to delete: a token scoped to one tenant (a
      // customer's own) must not be able to delete its account with every key and list in it. And
      // owner, not editor: the delete takes the tenant's admin tokens with it, which only an owner
      // may delete one by one.
      config: { access: { role: 'owner', scope: 'global' } },
      schema: {
        summary: 'Delete a tenant',
        description:
          'Deletes its lists, keys, observed addresses and admin tokens; its audit events stay, and the tenant.deleted event lists what went with it. Needs an all-tenants owner token.',
        tags,
        params: TenantParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      await store.deleteTenant(request.params.tenantId, mutation(request));
      await engine.refresh();
      return reply.status(204).send(null);
    },
  );
}
