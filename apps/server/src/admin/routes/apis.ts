/**
 * `/v1/apis`: the upstreams the gateway protects (top-level: tokens for all tenants only), and
 * `/v1/apis/{apiId}/allowlist/entries`, each API's network allowlist.
 */
import { Type } from 'typebox';
import { withEtag } from '../http/etag.js';
import { Api, CreateApiBody, toApiDto, UpdateApiBody } from '../schemas/apis.js';
import { errorResponses, IfMatchHeaders, Page, PageQuery } from '../schemas/common.js';
import { type AdminApp, type AdminDeps, ApiParams, creation, defined, mutation, page } from './context.js';
import { registerIpListRoutes } from './ip-list-entries.js';

const tags = ['apis'];

/**
 * Registers the API routes and their allowlist routes.
 */
export function registerApiRoutes(app: AdminApp, deps: AdminDeps): void {
  const { store, engine } = deps;
  const config = (role: 'viewer' | 'editor') => ({ access: { role, scope: 'global' as const } });

  app.get(
    '/v1/apis',
    {
      config: config('viewer'),
      schema: {
        summary: 'List APIs',
        tags,
        querystring: PageQuery,
        response: { 200: Page(Api), ...errorResponses },
      },
    },
    async (request) => {
      const result = await store.listApis(page(request.query));
      return {
        items: result.items.map(toApiDto),
        ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }),
      };
    },
  );

  app.post(
    '/v1/apis',
    {
      config: config('editor'),
      schema: {
        summary: 'Create an API',
        tags,
        body: CreateApiBody,
        response: { 201: Api, ...errorResponses },
      },
    },
    async (request, reply) => {
      const api = await store.createApi(defined(request.body), creation(request));
      await engine.refresh();
      return withEtag(reply.status(201), toApiDto(api));
    },
  );

  app.get(
    '/v1/apis/:apiId',
    {
      config: config('viewer'),
      schema: { summary: 'Get an API', tags, params: ApiParams, response: { 200: Api, ...errorResponses } },
    },
    async (request, reply) => withEtag(reply, toApiDto(await store.getApi(request.params.apiId))),
  );

  app.patch(
    '/v1/apis/:apiId',
    {
      config: config('editor'),
      schema: {
        summary: 'Change an API',
        tags,
        params: ApiParams,
        headers: IfMatchHeaders,
        body: UpdateApiBody,
        response: { 200: Api, ...errorResponses },
      },
    },
    async (request, reply) => {
      const api = await store.updateApi(request.params.apiId, defined(request.body), mutation(request));
      await engine.refresh();
      return withEtag(reply, toApiDto(api));
    },
  );

  app.delete(
    '/v1/apis/:apiId',
    {
      config: config('editor'),
      schema: {
        summary: 'Delete an API',
        description: 'Deletes its allowlist too.',
        tags,
        params: ApiParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      await store.deleteApi(request.params.apiId, mutation(request));
      await engine.refresh();
      return reply.status(204).send(null);
    },
  );

  registerIpListRoutes(app, deps, {
    path: '/v1/apis/:apiId/allowlist/entries',
    params: ApiParams,
    ownerParam: 'apiId',
    scope: 'global',
    tag: 'apis',
    noun: "the API's network allowlist",
    list: (a) => store.listApiAllowlistEntries(a),
    get: (a, e) => store.getApiAllowlistEntry(a, e),
    add: (a, input, o) => store.addApiAllowlistEntry(a, input, o),
    update: (a, e, patch, o) => store.updateApiAllowlistEntry(a, e, patch, o),
    remove: (a, e, o) => store.removeApiAllowlistEntry(a, e, o),
    importEntries: (a, input, o) => store.importApiAllowlistEntries(a, input, o),
    // The store's own setting, not visible here: the import itself still enforces it.
    limit: async () => undefined,
    guardState: async (_a, entries) => ({ kind: 'api', entries }),
    simulationTarget: (apiId) => ({ kind: 'api', apiId }),
  });
}
