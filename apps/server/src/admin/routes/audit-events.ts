/**
 * Audit events: a tenant's (`/v1/tenants/{tenantId}/audit-events`) and everyone's
 * (`/v1/audit-events`, tokens for all tenants only), newest first.
 */
import { isIpGateError } from '@ipgate/core';
import { type Static, Type } from 'typebox';
import type { AuditFilter } from '../../store/history.js';
import type { Store } from '../../store/store.js';
import { AuditEvent, toAuditEventDto } from '../schemas/audit-events.js';
import { errorResponses, Page, PageQuery } from '../schemas/common.js';
import { type AdminApp, type AdminDeps, page, TenantParams } from './context.js';

const tags = ['audit'];

const Text = (description: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 200, description }));

/** The audit lists' filters. @example ?actor=token:prn_1&action=tenant.ip_mode.changed&since=2026-01-01T00:00:00Z */
const AuditQuery = Type.Object(
  {
    ...PageQuery.properties,
    actor: Text('Exactly this actor, e.g. token:prn_1.'),
    action: Text('Exactly this action, e.g. tenant.ip_entry.added.'),
    targetType: Text('The kind of resource, e.g. tenant_ip_entry.'),
    targetId: Text('The resource id.'),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'From this time on (inclusive).' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Before this time (exclusive).' })),
  },
  { additionalProperties: false },
);

/** The store's filter of an audit query (times as dates). */
function auditFilter(q: Static<typeof AuditQuery>): AuditFilter {
  const { actor, action, targetType, targetId, since, until } = q;
  return {
    actor,
    action,
    targetType,
    targetId,
    since: since === undefined ? undefined : new Date(since),
    until: until === undefined ? undefined : new Date(until),
  };
}

/**
 * Registers the audit routes.
 */
export function registerAuditRoutes(app: AdminApp, { store }: AdminDeps): void {
  app.get(
    '/v1/tenants/:tenantId/audit-events',
    {
      config: { access: { role: 'viewer', scope: 'tenant' } },
      schema: {
        summary: "List a tenant's audit events",
        description:
          'Newest first; filtered by actor, action, target (type and id) and time (since inclusive, until exclusive).',
        tags,
        params: TenantParams,
        querystring: AuditQuery,
        response: { 200: Page(AuditEvent), ...errorResponses },
      },
    },
    async (request) => {
      await store.getTenant(request.params.tenantId);
      const result = await store.listAuditEvents(
        request.params.tenantId,
        page(request.query),
        auditFilter(request.query),
      );
      const names = await actorNames(store, result.items);
      return {
        items: result.items.map((e) => ({ ...toAuditEventDto(e), actorName: names.get(e.actor) ?? null })),
        ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }),
      };
    },
  );

  app.get(
    '/v1/audit-events',
    {
      config: { access: { role: 'viewer', scope: 'global' } },
      schema: {
        summary: 'List every audit event',
        description:
          'All tenants, APIs and admin tokens, newest first; filtered by actor, action, target (type and id) and time (since inclusive, until exclusive).',
        tags,
        querystring: AuditQuery,
        response: { 200: Page(AuditEvent), ...errorResponses },
      },
    },
    async (request) => {
      const result = await store.listAllAuditEvents(page(request.query), auditFilter(request.query));
      const names = await actorNames(store, result.items);
      return {
        items: result.items.map((e) => ({ ...toAuditEventDto(e), actorName: names.get(e.actor) ?? null })),
        ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }),
      };
    },
  );
}

/**
 * The names of the admin tokens and users a page of events names as actors (`token:prn_…`), read now:
 * the audit row keeps the stable id, and a person reads the name. A principal deleted since has none.
 */
async function actorNames(store: Store, events: readonly { actor: string }[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const actor of new Set(events.map((e) => e.actor))) {
    const m = /^(?:token|user):(.+)$/.exec(actor);
    if (m === null) continue;
    try {
      names.set(actor, (await store.getPrincipal(m[1] as string)).name);
    } catch (e) {
      // Deleted since (or never a principal): the id alone stays. Anything else is a real failure.
      if (!isIpGateError(e) || e.code !== 'IPG_NOT_FOUND') throw e;
    }
  }
  return names;
}
