import { IpGateError } from '@ipgate/core';
import type { Selectable, Transaction } from 'kysely';
import { trimPrefix } from '../snapshot/request-path.js';
import { routeHost } from '../snapshot/route-table.js';
import type { StoreContext } from './context.js';
import type { ApisTable, Database, IpListEntryColumns } from './database.js';
import { checkVersion, invalid, notFound } from './errors.js';
import { newId } from './ids.js';
import { type IpListSpec, ipEntryShape, ipListEntryFromRow } from './ip-entries.js';
import { recordChange } from './record.js';
import { pagePosition, readById, readCreationPage } from './resource-reads.js';
import { flag, nowIso, toBool, toDate } from './rows.js';
import type {
  Api,
  ApiAllowlistEntry,
  CreateApiInput,
  CreateOptions,
  MutationOptions,
  Page,
  PageRequest,
  UpdateApiInput,
} from './store.js';
import * as v from './validate.js';
import { AUTH_HEADERS } from './vocabulary.js';

/**
 * The stored row as the public entity.
 *
 * @example
 * apiFromRow(row).stripPrefix; // false
 */
export function apiFromRow(row: Selectable<ApisTable>): Api {
  return {
    id: row.id,
    name: row.name,
    host: row.host,
    pathPrefix: row.path_prefix,
    stripPrefix: toBool(row.strip_prefix),
    upstreamUrl: row.upstream_url,
    authHeader: row.auth_header,
    enforce: toBool(row.enforce),
    version: row.version,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** A host the router can compare with the request's Host: lower case, optional port, nothing else. */
function host(value: unknown): string | null {
  if (value === null) return null;
  const h = v.text(value, 'host').toLowerCase();
  let url: URL | undefined;
  try {
    url = new URL(`http://${h}`);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.host !== h || url.username !== '' || url.pathname !== '/') {
    throw invalid(
      'host',
      `${JSON.stringify(value)} is not a host name.`,
      'Write a host such as api.example.com.',
    );
  }
  return h;
}

function pathPrefix(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || /[\s?#]/.test(value) || value.length > 2000) {
    throw invalid('pathPrefix', 'pathPrefix must be a path starting with "/", without query or fragment.');
  }
  return value;
}

function upstreamUrl(value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw invalid(
      'upstreamUrl',
      'upstreamUrl must be an http or https URL.',
      'Write e.g. http://10.0.0.5:8080.',
    );
  }
  return text;
}

/**
 * Refuses a route (host and path prefix) that another API has already: two APIs on one route would leave
 * the second unreachable, and which one serves the route would depend on creation order. Compared as
 * routing compares them (`apps/server/src/snapshot/route-table.ts`): host in lower case without trailing
 * dot, port kept; prefix without trailing slashes.
 */
async function assertRouteFree(
  ctx: StoreContext,
  trx: Transaction<Database>,
  apiHost: string | null,
  prefix: string,
  self: string | null,
): Promise<void> {
  // Serialises API writers on PostgreSQL (the advisory lock every change takes anyway), so two
  // concurrent creates cannot both see the route free; SQLite has one writer.
  await ctx.dialect.beforeChange(trx);
  const key = routeKey(apiHost, prefix);
  const rows = await trx.selectFrom('apis').select(['id', 'name', 'host', 'path_prefix']).execute();
  const taken = rows.find((r) => r.id !== self && routeKey(r.host, r.path_prefix) === key);
  if (taken === undefined) return;
  const where = `${apiHost === null ? 'any host' : `host ${apiHost}`}, path prefix ${prefix}`;
  throw new IpGateError(
    'IPG_ALREADY_EXISTS',
    `API ${taken.id} (${JSON.stringify(taken.name)}) already serves ${where}.`,
    {
      field: 'pathPrefix',
      input: taken.id,
      hint: 'Give this API another path prefix or a host, or change the existing API instead.',
    },
  );
}

function routeKey(apiHost: string | null, prefix: string): string {
  return `${routeHost(apiHost, true) ?? ''} ${trimPrefix(prefix)}`;
}

/**
 * Reads an API in a write transaction, locking its row on PostgreSQL.
 *
 * @example
 * const api = await lockApi(ctx, trx, apiId); // throws IPG_NOT_FOUND
 */
export async function lockApi(ctx: StoreContext, trx: Transaction<Database>, apiId: string): Promise<Api> {
  const row = await trx
    .selectFrom('apis')
    .selectAll()
    .where('id', '=', apiId)
    .$if(ctx.dialect.lockRows, (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (row === undefined) throw notFound('API', apiId);
  return apiFromRow(row);
}

/**
 * Registers an upstream API.
 *
 * @example
 * await createApi(ctx, { name: 'orders', upstreamUrl: 'http://10.0.0.5:8080', pathPrefix: '/orders' }, { actor });
 */
export async function createApi(
  ctx: StoreContext,
  input: CreateApiInput,
  options: CreateOptions,
): Promise<Api> {
  const actor = v.actor(options.actor);
  const values = {
    name: v.text(input.name, 'name'),
    host: input.host === undefined ? null : host(input.host),
    path_prefix: input.pathPrefix === undefined ? '/' : pathPrefix(input.pathPrefix),
    strip_prefix: flag(input.stripPrefix === undefined ? false : v.bool(input.stripPrefix, 'stripPrefix')),
    upstream_url: upstreamUrl(input.upstreamUrl),
    auth_header:
      input.authHeader === undefined
        ? 'authorization'
        : v.oneOf(input.authHeader, 'authHeader', AUTH_HEADERS),
    enforce: flag(input.enforce === undefined ? true : v.bool(input.enforce, 'enforce')),
  };
  return ctx.dialect.transaction(async (trx) => {
    await assertRouteFree(ctx, trx, values.host, values.path_prefix, null);
    const now = nowIso();
    const row = await trx
      .insertInto('apis')
      .values({ id: newId('api'), ...values, version: 1, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    const api = apiFromRow(row);
    await recordChange(ctx, trx, now, {
      actor,
      action: 'api.created',
      tenantId: null,
      apiId: api.id,
      targetType: 'api',
      targetId: api.id,
      before: null,
      after: api,
    });
    return api;
  });
}

/**
 * One API, or IPG_NOT_FOUND.
 */
export async function getApi(ctx: StoreContext, apiId: string): Promise<Api> {
  return readById(ctx, 'apis', 'API', apiId, apiFromRow);
}

/**
 * APIs, oldest first, one page at a time.
 */
export async function listApis(ctx: StoreContext, page?: PageRequest): Promise<Page<Api>> {
  return readCreationPage(ctx, 'apis', pagePosition(page), apiFromRow);
}

/**
 * Changes an API's routing or upstream.
 *
 * @example
 * await updateApi(ctx, apiId, { stripPrefix: true }, { actor, expectedVersion: 1 });
 */
export async function updateApi(
  ctx: StoreContext,
  apiId: string,
  patch: UpdateApiInput,
  options: MutationOptions,
): Promise<Api> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  const set = {
    ...(patch.name === undefined ? {} : { name: v.text(patch.name, 'name') }),
    ...(patch.host === undefined ? {} : { host: host(patch.host) }),
    ...(patch.pathPrefix === undefined ? {} : { path_prefix: pathPrefix(patch.pathPrefix) }),
    ...(patch.stripPrefix === undefined
      ? {}
      : { strip_prefix: flag(v.bool(patch.stripPrefix, 'stripPrefix')) }),
    ...(patch.upstreamUrl === undefined ? {} : { upstream_url: upstreamUrl(patch.upstreamUrl) }),
    ...(patch.authHeader === undefined
      ? {}
      : { auth_header: v.oneOf(patch.authHeader, 'authHeader', AUTH_HEADERS) }),
    ...(patch.enforce === undefined ? {} : { enforce: flag(v.bool(patch.enforce, 'enforce')) }),
  };
  return ctx.dialect.transaction(async (trx) => {
    const before = await lockApi(ctx, trx, apiId);
    checkVersion('API', before, expected);
    if (set.host !== undefined || set.path_prefix !== undefined) {
      await assertRouteFree(ctx, trx, set.host ?? before.host, set.path_prefix ?? before.pathPrefix, apiId);
    }
    const now = nowIso();
    const row = await trx
      .updateTable('apis')
      .set({ ...set, version: before.version + 1, updated_at: now })
      .where('id', '=', apiId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const after = apiFromRow(row);
    await recordChange(ctx, trx, now, {
      actor,
      action: 'api.updated',
      tenantId: null,
      apiId,
      targetType: 'api',
      targetId: apiId,
      before,
      after,
    });
    return after;
  });
}

/**
 * Deletes an API with its allowlist.
 */
export async function deleteApi(ctx: StoreContext, apiId: string, options: MutationOptions): Promise<void> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  await ctx.dialect.transaction(async (trx) => {
    const before = await lockApi(ctx, trx, apiId);
    checkVersion('API', before, expected);
    await trx.deleteFrom('apis').where('id', '=', apiId).execute();
    await recordChange(ctx, trx, nowIso(), {
      actor,
      action: 'api.deleted',
      tenantId: null,
      apiId,
      targetType: 'api',
      targetId: apiId,
      before,
      after: null,
    });
  });
}

/**
 * An API's network allowlist (docs/architecture/pipeline.md#3-api-network-allowlist): unlimited unless the
 * store was opened with `apiAllowlistEntryLimit`; locked through the API row.
 *
 * @example
 * await addEntry(ctx, apiAllowlist, apiId, { value: '198.51.100.0/24' }, { actor });
 */
export const apiAllowlist: IpListSpec<ApiAllowlistEntry> = {
  ...ipEntryShape,
  table: 'api_allowlist_entries',
  ownerColumn: 'api_id',
  entryNoun: 'API allowlist entry',
  listNoun: 'API allowlist',
  action: 'api.allowlist_entry',
  targetType: 'api_allowlist_entry',
  ownerId: (apiId) => apiId,
  async lockOwner(ctx, trx, apiId) {
    await lockApi(ctx, trx, apiId);
    return { limit: ctx.options.apiAllowlistEntryLimit };
  },
  async assertOwner(ctx, apiId) {
    await getApi(ctx, apiId);
  },
  scope: (apiId) => ({ tenantId: null, apiId }),
  fromRow: (row, apiId) => ({
    ...ipListEntryFromRow(row as unknown as Selectable<IpListEntryColumns>),
    apiId,
  }),
};
