/**
 * The wire shape of APIs: the upstreams the gateway protects (top-level, not tenant-scoped).
 */
import { type Static, Type } from 'typebox';
import type { Api as StoredApi } from '../../store/store.js';
import { AUTH_HEADERS } from '../../store/vocabulary.js';
import { DateTime, Name } from './common.js';

const Host = Type.Union([Type.String({ minLength: 1, maxLength: 253 }), Type.Null()], {
  description: 'The Host the API answers on; null: any host.',
});
const PathPrefix = Type.String({
  minLength: 1,
  maxLength: 500,
  pattern: '^/',
  description: 'Starts with /.',
});
const UpstreamUrl = Type.String({
  minLength: 1,
  maxLength: 2000,
  description: 'http(s) URL of the upstream.',
});
const Enforce = Type.Boolean({
  description:
    'false: the allowlist is report-only: it still decides every request, but one it denies goes on to the next stages and, if they pass it, is forwarded and recorded as would-deny. Default true.',
});
const AuthHeader = Type.Enum(AUTH_HEADERS, {
  description: 'Which header carries the key.',
});

/** An API. @example { "id": "api_1", "name": "orders", "host": null, "pathPrefix": "/orders", … } */
export const Api = Type.Object({
  id: Type.String(),
  name: Type.String(),
  host: Type.Union([Type.String(), Type.Null()]),
  pathPrefix: Type.String(),
  stripPrefix: Type.Boolean(),
  upstreamUrl: Type.String(),
  authHeader: AuthHeader,
  enforce: Enforce,
  version: Type.Integer(),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export type ApiDto = Static<typeof Api>;

/** POST /v1/apis. @example { "name": "orders", "pathPrefix": "/orders", "upstreamUrl": "http://10.0.0.5:8080" } */
export const CreateApiBody = Type.Object(
  {
    name: Name,
    host: Type.Optional(Host),
    pathPrefix: Type.Optional(PathPrefix),
    stripPrefix: Type.Optional(Type.Boolean()),
    upstreamUrl: UpstreamUrl,
    authHeader: Type.Optional(AuthHeader),
    enforce: Type.Optional(Enforce),
  },
  {
    additionalProperties: false,
    examples: [
      { name: 'billing', pathPrefix: '/billing', upstreamUrl: 'http://10.0.0.5:8080' },
      {
        name: 'partner feed',
        host: 'feed.example.com',
        pathPrefix: '/v2',
        stripPrefix: true,
        upstreamUrl: 'https://feed-backend.internal.example:8443',
        authHeader: 'x-api-key',
        enforce: false,
      },
    ],
  },
);

/** PATCH /v1/apis/{apiId}. @example { "stripPrefix": true } */
export const UpdateApiBody = Type.Object(
  {
    name: Type.Optional(Name),
    host: Type.Optional(Host),
    pathPrefix: Type.Optional(PathPrefix),
    stripPrefix: Type.Optional(Type.Boolean()),
    upstreamUrl: Type.Optional(UpstreamUrl),
    authHeader: Type.Optional(AuthHeader),
    enforce: Type.Optional(Enforce),
  },
  { additionalProperties: false, examples: [{ upstreamUrl: 'http://10.0.0.6:8080' }, { enforce: true }] },
);

/**
 * The DTO of a stored API.
 *
 * @example
 * toApiDto(api).pathPrefix; // '/orders'
 */
export function toApiDto(a: StoredApi): ApiDto {
  return {
    id: a.id,
    name: a.name,
    host: a.host,
    pathPrefix: a.pathPrefix,
    stripPrefix: a.stripPrefix,
    upstreamUrl: a.upstreamUrl,
    authHeader: a.authHeader,
    enforce: a.enforce,
    version: a.version,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}
