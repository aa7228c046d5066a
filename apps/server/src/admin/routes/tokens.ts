/**
 * `/v1/tokens`: admin tokens, for owners. A tenant's owner sees and manages only its tenant's tokens
 * and cannot mint a token for all tenants.
 */
import { IpGateError, isIpGateError } from '@ipgate/core';
import { Type } from 'typebox';
import type { Principal } from '../../store/store.js';
import { principalOf } from '../auth/access.js';
import { errorResponses, Id, IfMatchHeaders, Page, PageQuery } from '../schemas/common.js';
import { CreateTokenBody, Token, TokenWithSecret, toTokenDto } from '../schemas/tokens.js';
import { type AdminApp, type AdminDeps, creation, mutation, page } from './context.js';

const tags = ['tokens'];

/**
 * Registers the token routes.
 */
export function registerTokenRoutes(app: AdminApp, { store }: AdminDeps): void {
  const config = { access: { role: 'owner' as const, scope: 'any' as const } };

  app.get(
    '/v1/tokens',
    {
      config,
      schema: {
        summary: 'List admin tokens',
        description: "A tenant's owner sees its tenant's tokens only.",
        tags,
        querystring: PageQuery,
        response: { 200: Page(Token), ...errorResponses },
      },
    },
    async (request) => {
      // A tenant's owner pages through its tenant's principals only, by the store's index.
      const caller = principalOf(request);
      const filter = caller.tenantId === null ? {} : { tenantId: caller.tenantId };
      const result = await store.listPrincipals(page(request.query), filter);
      return {
        items: result.items.map(toTokenDto),
        ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }),
      };
    },
  );

  app.post(
    '/v1/tokens',
    {
      config,
      schema: {
        summary: 'Create an admin token',
        description: 'The answer carries the secret; it is shown once.',
        tags,
        body: CreateTokenBody,
        response: { 201: TokenWithSecret, ...errorResponses },
      },
    },
    async (request, reply) => {
      const caller = principalOf(request);
      const tenantId = request.body.tenantId === undefined ? caller.tenantId : request.body.tenantId;
      if (caller.tenantId !== null && tenantId !== caller.tenantId) {
        if (tenantId === null) {
          throw new IpGateError(
            'IPG_ROLE_FORBIDDEN',
            'A tenant token cannot create a token for all tenants.',
            {
              field: 'tenantId',
            },
          );
        }
        throw new IpGateError('IPG_NOT_FOUND', `No tenant ${JSON.stringify(tenantId)}.`, {
          field: 'tenantId',
        });
      }
      if (tenantId !== null) await store.getTenant(tenantId);
      const { principal, secret } = await store.createToken(
        { name: request.body.name, role: request.body.role, tenantId },
        creation(request),
      );
      return reply.status(201).send({ ...toTokenDto(principal), secret });
    },
  );

  app.delete(
    '/v1/tokens/:tokenId',
    {
      config,
      schema: {
        summary: 'Delete an admin token',
        description:
          'It stops working at once. The last owner for all tenants cannot be deleted (409 IPG_LAST_OWNER): create another first.',
        tags,
        params: Type.Object({ tokenId: Id('The token (principal) id.') }),
        headers: IfMatchHeaders,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { tokenId } = request.params;
      const caller = principalOf(request);
      const target = await store.getPrincipal(tokenId).catch((e: unknown) => {
        if (isIpGateError(e) && e.code === 'IPG_NOT_FOUND') return undefined;
        throw e;
      });
      if (target === undefined || !isVisible(caller, target)) {
        throw new IpGateError('IPG_NOT_FOUND', `No token ${JSON.stringify(tokenId)}.`);
      }
      await store.deletePrincipal(tokenId, mutation(request));
      return reply.status(204).send(null);
    },
  );
}

function isVisible(caller: Principal, p: Principal): boolean {
  return caller.tenantId === null || p.tenantId === caller.tenantId;
}
