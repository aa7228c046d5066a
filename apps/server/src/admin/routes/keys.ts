/**
 * `/v1/tenants/{tenantId}/keys`: a tenant's API keys. The secret is in the answer to create and
 * rotate, and nowhere else, ever.
 */
import { withEtag } from '../http/etag.js';
import { errorResponses, IfMatchHeaders, Page, PageQuery } from '../schemas/common.js';
import { CreateKeyBody, Key, KeyWithSecret, toKeyDto, UpdateKeyBody } from '../schemas/keys.js';
import {
  type AdminApp,
  type AdminDeps,
  creation,
  defined,
  KeyParams,
  mutation,
  page,
  TenantParams,
} from './context.js';

const tags = ['keys'];

/**
 * Registers the key routes.
 */
export function registerKeyRoutes(app: AdminApp, { store, engine }: AdminDeps): void {
  const config = (role: 'viewer' | 'editor') => ({ access: { role, scope: 'tenant' as const } });

  app.get(
    '/v1/tenants/:tenantId/keys',
    {
      config: config('viewer'),
      schema: {
        summary: 'List keys',
        tags,
        params: TenantParams,
        querystring: PageQuery,
        response: { 200: Page(Key), ...errorResponses },
      },
    },
    async (request) => {
      const result = await store.listKeys(request.params.tenantId, page(request.query));
      return {
        items: result.items.map(toKeyDto),
        ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }),
      };
    },
  );

  app.post(
    '/v1/tenants/:tenantId/keys',
    {
      config: config('editor'),
      schema: {
        summary: 'Create a key',
        description: 'The answer carries the secret; it is shown once.',
        tags,
        params: TenantParams,
        body: CreateKeyBody,
        response: { 201: KeyWithSecret, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { key, secret } = await store.createKey(
        request.params.tenantId,
        defined(request.body),
        creation(request),
      );
      await engine.refresh();
      return withEtag(reply.status(201), { ...toKeyDto(key), secret });
    },
  );

  app.get(
    '/v1/tenants/:tenantId/keys/:keyId',
    {
      config: config('viewer'),
      schema: { summary: 'Get a key', tags, params: KeyParams, response: { 200: Key, ...errorResponses } },
    },
    async (request, reply) =>
      withEtag(reply, toKeyDto(await store.getKey(request.params.tenantId, request.params.keyId))),
  );

  app.patch(
    '/v1/tenants/:tenantId/keys/:keyId',
    {
      config: config('editor'),
      schema: {
        summary: 'Rename a key or switch its restrictions',
        tags,
        params: KeyParams,
        headers: IfMatchHeaders,
        body: UpdateKeyBody,
        response: { 200: Key, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.params;
      const key = await store.updateKey(tenantId, keyId, defined(request.body), mutation(request));
      await engine.refresh();
      return withEtag(reply, toKeyDto(key));
    },
  );

  app.post(
    '/v1/tenants/:tenantId/keys/:keyId/rotate',
    {
      config: config('editor'),
      schema: {
        summary: 'Rotate a key',
        description:
          'A new secret (shown once); the old one stops working at once. A revoked key cannot be rotated (409 IPG_KEY_REVOKED).',
        tags,
        params: KeyParams,
        headers: IfMatchHeaders,
        response: { 200: KeyWithSecret, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.params;
      const { key, secret } = await store.rotateKey(tenantId, keyId, mutation(request));
      await engine.refresh();
      return withEtag(reply, { ...toKeyDto(key), secret });
    },
  );

  app.post(
    '/v1/tenants/:tenantId/keys/:keyId/revoke',
    {
      config: config('editor'),
      schema: {
        summary: 'Revoke a key',
        description: 'The key stops working for good.',
        tags,
        params: KeyParams,
        headers: IfMatchHeaders,
        response: { 200: Key, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.params;
      const key = await store.revokeKey(tenantId, keyId, mutation(request));
      await engine.refresh();
      return withEtag(reply, toKeyDto(key));
    },
  );
}
