/**
 * Who may call a route: every route declares its access in its config, and one hook enforces it
 * before the body is even validated, so an outsider learns nothing from validation messages.
 */
import { IpGateError } from '@ipgate/core';
import type { Principal, Role } from '../../store/store.js';
import { ROLES } from '../../store/vocabulary.js';

/**
 * - `tenant`: the path names a tenant (`tenantId`); a token of another tenant gets 404.
 * - `global`: top-level resources (APIs, all audit events, creating tenants): tokens for all tenants only;
 *   a tenant's token gets 404 as if they did not exist.
 * - `any`: every token; the handler narrows what it shows (the tenant list, admin tokens).
 */
export type AccessScope = 'tenant' | 'global' | 'any';

/**
 * The access a route needs.
 *
 * @example
 * app.get('/v1/apis', { config: { access: { role: 'viewer', scope: 'global' } } }, handler);
 */
export interface Access {
  readonly role: Role | 'public';
  readonly scope: AccessScope;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** The authenticated admin principal; null on public routes. */
    principal: Principal | null;
  }
}

/**
 * True when `role` is at least `needed` (ROLES lists them least to most).
 *
 * @example
 * roleAllows('owner', 'editor'); // true
 */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/**
 * 404 for a tenant the principal may not see: the same answer as for a tenant that does not exist.
 *
 * @example
 * if (!canSeeTenant(principal, tenantId)) throw hiddenTenant(tenantId);
 */
export function hiddenTenant(tenantId: string): IpGateError {
  return new IpGateError('IPG_NOT_FOUND', `No tenant ${JSON.stringify(tenantId)}.`);
}

/**
 * Whether the principal may see the tenant.
 *
 * @example
 * canSeeTenant({ tenantId: null } as Principal, 'ten_1'); // true
 */
export function canSeeTenant(principal: Principal, tenantId: string): boolean {
  return principal.tenantId === null || principal.tenantId === tenantId;
}

/**
 * 403 for a valid principal whose role is too low.
 *
 * @example
 * throw forbidden('editor', principal.role);
 */
export function forbidden(needed: Role, has: Role): IpGateError {
  return new IpGateError('IPG_ROLE_FORBIDDEN', `This needs the ${needed} role; the token has ${has}.`, {
    hint: 'viewer reads, editor also writes, owner also manages admin tokens.',
  });
}

/**
 * The principal of an authenticated request (routes with a role always have one).
 *
 * @example
 * const actor = actorOf(principalOf(request));
 */
export function principalOf(request: { principal: Principal | null }): Principal {
  if (request.principal === null) throw new IpGateError('IPG_AUTH_REQUIRED', 'Not authenticated.');
  return request.principal;
}

/**
 * The actor audit events record for a principal.
 *
 * @example
 * actorOf(principal); // 'token:prn_123'
 */
export function actorOf(principal: Principal): string {
  return `${principal.kind}:${principal.id}`;
}
