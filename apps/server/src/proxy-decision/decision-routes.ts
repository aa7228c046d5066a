/**
 * The decision endpoint on the admin listener: `GET /v1/decide/nginx` (auth_request),
 * `GET /v1/decide/traefik` (ForwardAuth) and any method on `/v1/decide/envoy/…` (HTTP ext_authz with
 * `path_prefix: /v1/decide/envoy`). No admin token: the asking proxy is trusted by its address
 * (trustProxy), as it already is for X-Forwarded-For; see docs/decision-endpoint.md.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { withEveryCopy } from '../gateway/presented-key.js';
import type { Decider, DecisionAnswer } from './decider.js';
import type { DecisionApp } from './decision-app.js';
import { ENVOY_PREFIX, type ProxyKind } from './proxy-kinds.js';

const access = { role: 'public' as const, scope: 'any' as const };

const Denial = Type.Object(
  { error: Type.String(), requestId: Type.String() },
  { description: 'The denial body, as the gateway sends it; the operator finds the reason by requestId.' },
);

const HEADERS: Record<'nginx' | 'traefik', string> = {
  nginx:
    'nginx auth_request. The config (docs/nginx-auth-request.conf) sends X-Original-URI ($request_uri), X-Original-Method and X-Original-Host ($http_host) and the original headers. Allowed → 204; denied, no route or bad target → 403; missing/unknown key → 401.',
  traefik:
    'Traefik ForwardAuth (trustForwardHeader off). Reads X-Forwarded-Uri, X-Forwarded-Method and X-Forwarded-Host and the original headers. Allowed → 200; denied → 403; missing/unknown key → 401; no route → 404.',
};

/**
 * Registers the decision routes in their own scope, whose body parser ignores bodies: an Envoy check
 * may carry the client's Content-Type with no body, which the admin API's JSON parser would refuse.
 *
 * @example
 * registerDecisionRoutes(app, { decider: createDecider({ snapshots: engine, clientAddress, recorder }) });
 */
export function registerDecisionRoutes(app: DecisionApp, { decider }: { readonly decider: Decider }): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => {
      payload.resume();
      done(null, undefined);
    });

    const send =
      (kind: ProxyKind) =>
      (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> =>
        answerDecision(decider, kind, request, reply);

    for (const kind of ['nginx', 'traefik'] as const) {
      scope.get(
        `/v1/decide/${kind}`,
        {
          config: { access },
          // One decision per API request: Fastify's per-request lines would drown the log.
          logLevel: 'warn',
          schema: {
            summary: `Decide a request for ${kind}`,
            description: HEADERS[kind],
            tags: ['decide'],
            security: [],
            response: {
              200: Type.Null({
                description: 'Allowed (Traefik); X-Ipgate-Tenant-Id and X-Ipgate-Key-Id name the key.',
              }),
              204: Type.Null({ description: 'Allowed (nginx).' }),
              401: Denial,
              403: Denial,
              404: Denial,
              500: Denial,
              503: Denial,
            },
          },
        },
        send(kind),
      );
    }

    scope.route({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: `${ENVOY_PREFIX}/*`,
      config: { access },
      logLevel: 'warn',
      // Any method and path: OpenAPI cannot describe it; docs/decision-endpoint.md does.
      schema: { hide: true },
      handler: send('envoy'),
    });
  });
}

/**
 * Decides the request a proxy asks about and sends the answer.
 *
 * @example
 * await answerDecision(decider, 'envoy', request, reply);
 */
export async function answerDecision(
  decider: Decider,
  kind: ProxyKind,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const answer: DecisionAnswer = decider.decide(kind, {
    method: request.method,
    url: request.raw.url ?? request.url,
    headers: withEveryCopy(request.headers, request.raw.rawHeaders),
    peer: request.socket.remoteAddress,
  });
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}

/**
 * Whether a URL the router could not decode is an Envoy check: Envoy puts the client's path after its
 * prefix as it is, so `/v1/decide/envoy/admin%ff` is the client's odd path, to be decided (and refused)
 * like the gateway refuses it, not answered as a bad URL of the admin API.
 *
 * @example
 * isEnvoyAsk('/v1/decide/envoy/x%c0%ae'); // true
 */
export function isEnvoyAsk(url: string | undefined): boolean {
  return url?.startsWith(`${ENVOY_PREFIX}/`) === true;
}
