/**
 * Every route of the management API with the access it needs, written out by hand so the tests check
 * the routes' own declarations against an independent statement of intent. A test fails when Fastify
 * has a route this table lacks (or the other way round).
 */
import type { Role } from '../store/store.js';
import type { SeededTenant } from './admin-fixture.test-support.js';

/** One row: `:param` placeholders are filled from a seeded tenant by {@link fillPath}. */
export interface RouteRow {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly role: Role | 'public';
  /** `tenant`: under /v1/tenants/{tenantId}; `global`: tokens for all tenants only; `any`: handler narrows. */
  readonly scope: 'tenant' | 'global' | 'any' | 'public';
  /** A body that passes validation, for write routes. */
  readonly body?: Record<string, unknown>;
}

const T = '/v1/tenants/:tenantId';
const K = `${T}/keys/:keyId`;

/**
 * The table.
 *
 * @example
 * for (const row of ROUTES.filter((r) => r.scope === 'tenant')) …
 */
export const ROUTES: readonly RouteRow[] = [
  { method: 'GET', path: '/v1/tenants', role: 'viewer', scope: 'any' },
  { method: 'POST', path: '/v1/tenants', role: 'editor', scope: 'global', body: { name: 'new' } },
  { method: 'GET', path: T, role: 'viewer', scope: 'tenant' },
  { method: 'PATCH', path: T, role: 'editor', scope: 'tenant', body: { name: 'renamed' } },
  { method: 'DELETE', path: T, role: 'editor', scope: 'global' },
  { method: 'GET', path: `${T}/ip-restriction`, role: 'viewer', scope: 'tenant' },
  { method: 'PATCH', path: `${T}/ip-restriction`, role: 'editor', scope: 'tenant', body: { mode: 'off' } },
  { method: 'GET', path: `${T}/ip-restriction/entries`, role: 'viewer', scope: 'tenant' },
  {
    method: 'POST',
    path: `${T}/ip-restriction/simulate`,
    role: 'viewer',
    scope: 'tenant',
    body: { top: 5, draft: { add: [{ value: '198.18.0.1' }] } },
  },
  {
    method: 'POST',
    path: `${T}/ip-restriction/entries`,
    role: 'editor',
    scope: 'tenant',
    body: { value: '198.18.0.1' },
  },
  { method: 'GET', path: `${T}/ip-restriction/entries/:entryId`, role: 'viewer', scope: 'tenant' },
  {
    method: 'PATCH',
    path: `${T}/ip-restriction/entries/:entryId`,
    role: 'editor',
    scope: 'tenant',
    body: { name: 'x' },
  },
  { method: 'DELETE', path: `${T}/ip-restriction/entries/:entryId`, role: 'editor', scope: 'tenant' },
  {
    method: 'POST',
    path: `${T}/ip-restriction/entries/import`,
    role: 'editor',
    scope: 'tenant',
    body: { content: '198.18.0.1 import\n' },
  },
  { method: 'GET', path: `${T}/ip-restriction/entries/export`, role: 'viewer', scope: 'tenant' },
  { method: 'GET', path: `${T}/keys`, role: 'viewer', scope: 'tenant' },
  { method: 'POST', path: `${T}/keys`, role: 'editor', scope: 'tenant', body: { name: 'k' } },
  { method: 'GET', path: K, role: 'viewer', scope: 'tenant' },
  { method: 'PATCH', path: K, role: 'editor', scope: 'tenant', body: { name: 'k2' } },
  { method: 'POST', path: `${K}/rotate`, role: 'editor', scope: 'tenant' },
  { method: 'POST', path: `${K}/revoke`, role: 'editor', scope: 'tenant' },
  { method: 'GET', path: `${K}/restrictions`, role: 'viewer', scope: 'tenant' },
  { method: 'GET', path: `${K}/restrictions/ips`, role: 'viewer', scope: 'tenant' },
  {
    method: 'POST',
    path: `${K}/restrictions/ips`,
    role: 'editor',
    scope: 'tenant',
    body: { value: '198.18.0.9' },
  },
  {
    method: 'PATCH',
    path: `${K}/restrictions/ips/:keyIpId`,
    role: 'editor',
    scope: 'tenant',
    body: { name: 'n' },
  },
  { method: 'DELETE', path: `${K}/restrictions/ips/:keyIpId`, role: 'editor', scope: 'tenant' },
  {
    method: 'POST',
    path: `${K}/restrictions/ips/simulate`,
    role: 'viewer',
    scope: 'tenant',
    body: { top: 5, draft: { replace: [] } },
  },
  { method: 'GET', path: `${K}/restrictions/domains`, role: 'viewer', scope: 'tenant' },
  {
    method: 'POST',
    path: `${K}/restrictions/domains`,
    role: 'editor',
    scope: 'tenant',
    body: { value: 'new.example.com' },
  },
  {
    method: 'PATCH',
    path: `${K}/restrictions/domains/:keyDomainId`,
    role: 'editor',
    scope: 'tenant',
    body: { name: 'n' },
  },
  { method: 'DELETE', path: `${K}/restrictions/domains/:keyDomainId`, role: 'editor', scope: 'tenant' },
  {
    method: 'POST',
    path: `${K}/restrictions/domains/simulate`,
    role: 'viewer',
    scope: 'tenant',
    body: { top: 5, draft: { add: [{ value: 'x.example.com' }] } },
  },
  { method: 'GET', path: `${T}/observed-ips`, role: 'viewer', scope: 'tenant' },
  { method: 'GET', path: `${T}/observed-ips/:observedId`, role: 'viewer', scope: 'tenant' },
  { method: 'GET', path: `${T}/observed-ips/:observedId/assessment`, role: 'viewer', scope: 'tenant' },
  {
    method: 'POST',
    path: `${T}/observed-ips/:observedId/authorize`,
    role: 'editor',
    scope: 'tenant',
    body: {},
  },
  { method: 'POST', path: `${T}/observed-ips/:observedId/reject`, role: 'editor', scope: 'tenant', body: {} },
  { method: 'GET', path: `${T}/notification-channels`, role: 'viewer', scope: 'tenant' },
  {
    method: 'POST',
    path: `${T}/notification-channels`,
    role: 'editor',
    scope: 'tenant',
    body: { kind: 'email', name: 'n', target: 'n@example.com' },
  },
  { method: 'GET', path: `${T}/notification-channels/:channelId`, role: 'viewer', scope: 'tenant' },
  {
    method: 'PATCH',
    path: `${T}/notification-channels/:channelId`,
    role: 'editor',
    scope: 'tenant',
    body: { name: 'n2' },
  },
  { method: 'DELETE', path: `${T}/notification-channels/:channelId`, role: 'editor', scope: 'tenant' },
  // Editor: it sends a message on the tenant's behalf (and is audited).
  { method: 'POST', path: `${T}/notification-channels/:channelId/test`, role: 'editor', scope: 'tenant' },
  { method: 'GET', path: `${T}/notification-deliveries`, role: 'viewer', scope: 'tenant' },
  // Editor: the outbox's emails carry one-click links that act with an editor's power.
  { method: 'GET', path: `${T}/outbox`, role: 'editor', scope: 'tenant' },
  { method: 'POST', path: `${T}/check`, role: 'viewer', scope: 'tenant', body: { address: '203.0.113.1' } },
  { method: 'GET', path: `${T}/audit-events`, role: 'viewer', scope: 'tenant' },
  { method: 'GET', path: `${T}/requests`, role: 'viewer', scope: 'tenant' },
  { method: 'GET', path: `${T}/requests/:requestId`, role: 'viewer', scope: 'tenant' },
  { method: 'GET', path: '/v1/apis', role: 'viewer', scope: 'global' },
  {
    method: 'POST',
    path: '/v1/apis',
    role: 'editor',
    scope: 'global',
    body: { name: 'n', upstreamUrl: 'http://127.0.0.1:9' },
  },
  { method: 'GET', path: '/v1/apis/:apiId', role: 'viewer', scope: 'global' },
  { method: 'PATCH', path: '/v1/apis/:apiId', role: 'editor', scope: 'global', body: { name: 'n2' } },
  { method: 'DELETE', path: '/v1/apis/:apiId', role: 'editor', scope: 'global' },
  { method: 'GET', path: '/v1/apis/:apiId/allowlist/entries', role: 'viewer', scope: 'global' },
  {
    method: 'POST',
    path: '/v1/apis/:apiId/allowlist/entries',
    role: 'editor',
    scope: 'global',
    body: { value: '198.18.0.1' },
  },
  { method: 'GET', path: '/v1/apis/:apiId/allowlist/entries/:entryId', role: 'viewer', scope: 'global' },
  {
    method: 'PATCH',
    path: '/v1/apis/:apiId/allowlist/entries/:entryId',
    role: 'editor',
    scope: 'global',
    body: { name: 'x' },
  },
  { method: 'DELETE', path: '/v1/apis/:apiId/allowlist/entries/:entryId', role: 'editor', scope: 'global' },
  {
    method: 'POST',
    path: '/v1/apis/:apiId/allowlist/entries/import',
    role: 'editor',
    scope: 'global',
    body: { content: '198.18.0.1 import\n' },
  },
  { method: 'GET', path: '/v1/apis/:apiId/allowlist/entries/export', role: 'viewer', scope: 'global' },
  {
    method: 'POST',
    path: '/v1/apis/:apiId/allowlist/simulate',
    role: 'viewer',
    scope: 'global',
    body: { top: 5, draft: { remove: [] } },
  },
  { method: 'GET', path: '/v1/audit-events', role: 'viewer', scope: 'global' },
  { method: 'GET', path: '/v1/rules/apis/:apiId', role: 'viewer', scope: 'global' },
  { method: 'GET', path: '/v1/rules/tenants/:tenantId', role: 'viewer', scope: 'tenant' },
  { method: 'GET', path: '/v1/tokens', role: 'owner', scope: 'any' },
  { method: 'POST', path: '/v1/tokens', role: 'owner', scope: 'any', body: { name: 't', role: 'viewer' } },
  { method: 'DELETE', path: '/v1/tokens/:tokenId', role: 'owner', scope: 'any' },
  // Console sign-in checks a password, not a token; who is signed in and sign-out take either.
  {
    method: 'POST',
    path: '/v1/session',
    role: 'public',
    scope: 'public',
    body: { name: 'nobody', password: 'x' },
  },
  { method: 'GET', path: '/v1/session', role: 'viewer', scope: 'any' },
  { method: 'DELETE', path: '/v1/session', role: 'viewer', scope: 'any' },
  // The decision endpoint: no admin token, the asking proxy is trusted by address (trustProxy).
  { method: 'GET', path: '/v1/decide/nginx', role: 'public', scope: 'public' },
  { method: 'GET', path: '/v1/decide/traefik', role: 'public', scope: 'public' },
  { method: 'GET', path: '/healthz', role: 'public', scope: 'public' },
  { method: 'GET', path: '/readyz', role: 'public', scope: 'public' },
  { method: 'GET', path: '/metrics', role: 'public', scope: 'public' },
  { method: 'GET', path: '/openapi.json', role: 'public', scope: 'public' },
];

/** Ids a path may need besides the tenant's own. */
export interface PathIds {
  readonly apiId: string;
  readonly apiEntryId: string;
  readonly tokenId: string;
}

/**
 * The concrete path of a row for one tenant's resources.
 *
 * @example
 * fillPath(row.path, fixture.b, { apiId, apiEntryId, tokenId }); // '/v1/tenants/ten_b/keys/key_b'
 */
export function fillPath(path: string, t: SeededTenant, ids: PathIds): string {
  const entryId = path.startsWith('/v1/apis') ? ids.apiEntryId : t.entryId;
  const values: Record<string, string> = {
    tenantId: t.tenantId,
    entryId,
    keyId: t.keyId,
    keyIpId: t.keyIpId,
    keyDomainId: t.keyDomainId,
    observedId: t.observedId,
    requestId: t.requestId,
    channelId: t.channelId,
    apiId: ids.apiId,
    tokenId: ids.tokenId,
  };
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => values[name] ?? `:${name}`);
}

/**
 * The Fastify route pattern of a row (the table spells entry ids of key lists apart for filling).
 *
 * @example
 * routePattern('/v1/x/:keyIpId'); // '/v1/x/:entryId'
 */
export function routePattern(path: string): string {
  return path.replace(/:keyIpId|:keyDomainId/, ':entryId');
}
