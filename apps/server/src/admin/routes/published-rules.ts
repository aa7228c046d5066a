/**
 * `GET /v1/rules/apis/{apiId}` and `GET /v1/rules/tenants/{tenantId}`: the live rules a middleware or
 * guard follows (`liveRules` in @ipgate/node), as core's `PublishedRules` document with `ETag: "<version>"`,
 * and a long-poll: with `If-None-Match` naming the current version and `?wait=N`, the answer waits until the
 * scope's content changes on this node (a write here, or one seen by polling other nodes) and then carries
 * the new document, or answers 304 when N seconds pass.
 */
import { IpGateError, type PublishedRules } from '@ipgate/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { noneMatchNames } from '../http/if-none-match.js';
import type { RulesPublisher, RulesScope } from '../published/rules-publisher.js';
import { errorResponses } from '../schemas/common.js';
import {
  PublishedRulesDocument,
  RulesApiParams,
  RulesHeaders,
  RulesQuery,
} from '../schemas/published-rules.js';
import { type AdminApp, TenantParams } from './context.js';

const tags = ['rules'];

type PublishedRulesDto = Static<typeof PublishedRulesDocument>;

const responses = {
  200: PublishedRulesDocument,
  304: Type.Null({ description: 'Not modified: the version named by If-None-Match is still current.' }),
  ...errorResponses,
};

const longPoll =
  'Send If-None-Match: "<version>" (the ETag of your copy) with ?wait=N (0–60 s): the answer comes as soon as the content changes (200 with the new document), or 304 after N seconds. Without wait, 304 at once when unchanged.';

/**
 * Registers the published rules routes.
 *
 * @example
 * registerPublishedRulesRoutes(app, { publisher: createRulesPublisher(engine) });
 */
export function registerPublishedRulesRoutes(
  app: AdminApp,
  { publisher }: { readonly publisher: RulesPublisher },
): void {
  app.get(
    '/v1/rules/apis/:apiId',
    {
      config: { access: { role: 'viewer', scope: 'global' } },
      schema: {
        summary: "An API's live network allowlist",
        description: `The enabled, unexpired entries of the API's allowlist, for middlewares that follow it live. ${longPoll}`,
        tags,
        params: RulesApiParams,
        querystring: RulesQuery,
        headers: RulesHeaders,
        response: responses,
      },
    },
    (request, reply) =>
      answer(publisher, { kind: 'api', apiId: request.params.apiId }, request, reply, request.query.wait),
  );

  app.get(
    '/v1/rules/tenants/:tenantId',
    {
      config: { access: { role: 'viewer', scope: 'tenant' } },
      schema: {
        summary: "A tenant's live IP restriction",
        description: `The tenant's mode and the enabled, unexpired entries of its IP list, for middlewares that follow it live. ${longPoll}`,
        tags,
        params: TenantParams,
        querystring: RulesQuery,
        headers: RulesHeaders,
        response: responses,
      },
    },
    (request, reply) =>
      answer(
        publisher,
        { kind: 'tenant', tenantId: request.params.tenantId },
        request,
        reply,
        request.query.wait,
      ),
  );
}

async function answer(
  publisher: RulesPublisher,
  scope: RulesScope,
  request: FastifyRequest,
  reply: FastifyReply,
  waitSeconds: number | undefined,
): Promise<PublishedRulesDto | undefined> {
  const doc = (await publisher.document(scope)) ?? notFound(scope);
  const header = request.headers['if-none-match'];
  if (!noneMatchNames(header, doc.version)) return send(reply, doc);
  if ((waitSeconds ?? 0) === 0) return notModified(reply, doc);

  // A client that hangs up stops waiting at once, so a waiter never outlives its connection.
  const left = new AbortController();
  const onClose = (): void => {
    if (!reply.raw.writableFinished) left.abort();
  };
  reply.raw.once('close', onClose);
  const result = await publisher.wait(scope, doc.version, (waitSeconds ?? 0) * 1000, left.signal);
  reply.raw.off('close', onClose);
  if (result.kind === 'changed') return send(reply, result.document);
  if (result.kind === 'gone') return notFound(scope);
  return notModified(reply, (await publisher.document(scope)) ?? doc);
}

function send(reply: FastifyReply, doc: PublishedRules): PublishedRulesDto {
  void reply.header('etag', `"${doc.version}"`).header('cache-control', 'private, no-cache');
  return { ...doc, entries: [...doc.entries] };
}

function notModified(reply: FastifyReply, doc: PublishedRules): undefined {
  void reply.code(304).header('etag', `"${doc.version}"`).header('cache-control', 'private, no-cache');
  return undefined;
}

function notFound(scope: RulesScope): never {
  throw new IpGateError(
    'IPG_NOT_FOUND',
    scope.kind === 'api'
      ? `No API ${JSON.stringify(scope.apiId)}.`
      : `No tenant ${JSON.stringify(scope.tenantId)}.`,
  );
}
