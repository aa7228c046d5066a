/**
 * What every route module gets: the Fastify instance typed by TypeBox, the store and the rules engine.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RawServerDefault } from 'fastify';
import { Type } from 'typebox';
import type { AutoReview } from '../../review/auto-review.js';
import type { Simulator } from '../../simulation/simulator.js';
import type { RulesEngine } from '../../snapshot/rules-engine.js';
import type { Store } from '../../store/store.js';
import { actorOf, principalOf } from '../auth/access.js';
import { expectedVersion } from '../http/etag.js';
import { Id } from '../schemas/common.js';

/**
 * The management app with TypeBox inference on every route.
 *
 * @example
 * export function registerApiRoutes(app: AdminApp, deps: AdminDeps): void { app.get('/v1/apis', …) }
 */
export type AdminApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * The collaborators of the routes.
 */
export interface AdminDeps {
  readonly store: Store;
  readonly engine: RulesEngine;
  /** What `dryRun` writes and the simulate routes use; absent without a snapshot engine (dryRun then 503s). */
  readonly simulator?: Simulator | undefined;
  /** The `auto` mode's assessment; absent in apps built without one (the re-assess route then uses defaults and no data). */
  readonly autoReview?: AutoReview | undefined;
}

/**
 * The audit actor and the `If-Match` version of a write, for the store's MutationOptions.
 *
 * @example
 * await store.updateTenant(id, patch, mutation(request));
 */
export function mutation(request: FastifyRequest): { actor: string; expectedVersion?: number } {
  const version = expectedVersion(request);
  const actor = actorOf(principalOf(request));
  return version === undefined ? { actor } : { actor, expectedVersion: version };
}

/**
 * The audit actor of a creation.
 *
 * @example
 * await store.createTenant(body, creation(request));
 */
export function creation(request: FastifyRequest): { actor: string } {
  return { actor: actorOf(principalOf(request)) };
}

/**
 * The caller's own address, for the self-lockout guard: the socket peer of the admin request.
 *
 * @example
 * guardLockout(callerAddress(request), before, after, body.confirmLockout);
 */
export function callerAddress(request: FastifyRequest): string | undefined {
  return request.socket.remoteAddress;
}

/** `/v1/tenants/{tenantId}`. */
export const TenantParams = Type.Object({ tenantId: Id('The tenant.') });

/** `/v1/tenants/{tenantId}/keys/{keyId}`. */
export const KeyParams = Type.Object({ tenantId: Id('The tenant.'), keyId: Id('The key.') });

/** `/v1/apis/{apiId}`. */
export const ApiParams = Type.Object({ apiId: Id('The API.') });

/** Optional PageRequest fields from a query, without undefined keys (exactOptionalPropertyTypes). @example store.listKeys(t, page(query)) */
export function page(query: { limit?: number; cursor?: string }): { limit?: number; cursor?: string } {
  return {
    ...(query.limit === undefined ? {} : { limit: query.limit }),
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  };
}

/**
 * Drops keys whose value is undefined, so a PATCH body becomes a store patch without them.
 *
 * @example
 * defined({ name: 'x', confirmLockout: undefined }); // { name: 'x' }
 */
export function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
