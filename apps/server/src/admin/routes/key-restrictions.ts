/**
 * `/v1/tenants/{tenantId}/keys/{keyId}/restrictions`: a key's own IP entries (server callers) and
 * domain rules (browser callers), each limited by the tenant (5 and 5 by default).
 */
import { isIpGateError, parseDomainRule, parseEntry } from '@ipgate/core';
import { Type } from 'typebox';
import type { SimulationTarget } from '../../simulation/simulate.js';
import type { AddKeyEntryInput, UpdateKeyEntryInput } from '../../store/store.js';
import { pageArray } from '../http/array-page.js';
import { withEtag } from '../http/etag.js';
import { answerDryRun } from '../lists/dry-run.js';
import { notMatchedFor, withUsage } from '../lists/entry-usage.js';
import { entryWarnings } from '../lists/entry-warnings.js';
import { errorResponses, Id, IfMatchHeaders, Page, PageQuery, type WarningType } from '../schemas/common.js';
import { EntryListQuery } from '../schemas/entry-usage.js';
import {
  AddKeyDomainBody,
  AddKeyIpBody,
  KeyDomainEntry,
  KeyDomainEntryWithWarnings,
  KeyIpEntry,
  KeyIpEntryWithWarnings,
  toKeyDomainEntryDto,
  toKeyIpEntryDto,
  UpdateKeyEntryBody,
} from '../schemas/key-entries.js';
import { KeyRestrictions } from '../schemas/keys.js';
import { DryRun, DryRunQuery } from '../schemas/simulation.js';
import { type AdminApp, type AdminDeps, creation, defined, KeyParams, mutation } from './context.js';

const tags = ['key-restrictions'];
const EntryParams = Type.Object({ ...KeyParams.properties, entryId: Id('The entry.') });
const base = '/v1/tenants/:tenantId/keys/:keyId/restrictions';

/**
 * Registers the key restriction routes.
 */
export function registerKeyRestrictionRoutes(app: AdminApp, { store, engine, simulator }: AdminDeps): void {
  const config = (role: 'viewer' | 'editor') => ({ access: { role, scope: 'tenant' as const } });

  app.get(
    base,
    {
      config: config('viewer'),
      schema: {
        summary: "Summarise a key's restrictions",
        tags,
        params: KeyParams,
        response: { 200: KeyRestrictions, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.params;
      const [tenant, key, ips, domains] = await Promise.all([
        store.getTenant(tenantId),
        store.getKey(tenantId, keyId),
        store.listKeyIpEntries(tenantId, keyId),
        store.listKeyDomainEntries(tenantId, keyId),
      ]);
      return withEtag(reply, {
        keyId,
        ips: { enabled: key.ipRestrictionEnabled, count: ips.length, limit: tenant.keyIpLimit },
        domains: {
          enabled: key.domainRestrictionEnabled,
          count: domains.length,
          limit: tenant.keyDomainLimit,
        },
        version: key.version,
      });
    },
  );

  type Kind = {
    readonly segment: 'ips' | 'domains';
    readonly noun: string;
    readonly item: typeof KeyIpEntry | typeof KeyDomainEntry;
    readonly withWarnings: typeof KeyIpEntryWithWarnings | typeof KeyDomainEntryWithWarnings;
    /** The add body: one shape, with examples of this kind's values. */
    readonly addBody: typeof AddKeyIpBody | typeof AddKeyDomainBody;
  };
  const kinds: Kind[] = [
    {
      segment: 'ips',
      noun: 'IP entries',
      item: KeyIpEntry,
      withWarnings: KeyIpEntryWithWarnings,
      addBody: AddKeyIpBody,
    },
    {
      segment: 'domains',
      noun: 'domain rules',
      item: KeyDomainEntry,
      withWarnings: KeyDomainEntryWithWarnings,
      addBody: AddKeyDomainBody,
    },
  ];

  for (const kind of kinds) {
    const ips = kind.segment === 'ips';
    const list = async (t: string, k: string) =>
      ips
        ? (await store.listKeyIpEntries(t, k)).map(toKeyIpEntryDto)
        : (await store.listKeyDomainEntries(t, k)).map(toKeyDomainEntryDto);
    const add = async (t: string, k: string, input: AddKeyEntryInput, o: { actor: string }) =>
      ips
        ? toKeyIpEntryDto(await store.addKeyIpEntry(t, k, input, o))
        : toKeyDomainEntryDto(await store.addKeyDomainEntry(t, k, input, o));
    const update = async (
      t: string,
      k: string,
      e: string,
      patch: UpdateKeyEntryInput,
      o: { actor: string; expectedVersion?: number },
    ) =>
      ips
        ? toKeyIpEntryDto(await store.updateKeyIpEntry(t, k, e, patch, o))
        : toKeyDomainEntryDto(await store.updateKeyDomainEntry(t, k, e, patch, o));
    const remove = (t: string, k: string, e: string, o: { actor: string; expectedVersion?: number }) =>
      ips ? store.removeKeyIpEntry(t, k, e, o) : store.removeKeyDomainEntry(t, k, e, o);
    const warnings = async (t: string, k: string, entryId: string): Promise<WarningType[]> =>
      ips ? entryWarnings(await list(t, k), entryId) : [];
    const path = `${base}/${kind.segment}`;
    const target = (tenantId: string, keyId: string): SimulationTarget => ({
      kind: ips ? 'key-ips' : 'key-domains',
      tenantId,
      keyId,
    });

    app.get(
      path,
      {
        config: config('viewer'),
        schema: {
          summary: `List a key's ${kind.noun}`,
          ...(ips
            ? {
                description:
                  'Each entry with its usage (hits, last matched). notMatchedForDays=N keeps only the entries that have not matched for N days (never matched: created more than N days ago).',
              }
            : {}),
          tags,
          params: KeyParams,
          querystring: ips ? EntryListQuery : PageQuery,
          response: { 200: Page(kind.item), ...errorResponses },
        },
      },
      async (request) => {
        const { notMatchedForDays, ...page } = request.query as {
          notMatchedForDays?: number;
          limit?: number;
          cursor?: string;
        };
        const entries = await list(request.params.tenantId, request.params.keyId);
        if (!ips) return pageArray(entries, page);
        let items = await withUsage(store, entries);
        if (notMatchedForDays !== undefined)
          items = items.filter(notMatchedFor(notMatchedForDays, Date.now()));
        return pageArray(items, page);
      },
    );

    app.post(
      path,
      {
        config: config('editor'),
        schema: {
          summary: `Add one of a key's ${kind.noun}`,
          description:
            "Limited by the tenant's key limits (409 IPG_LIMIT_REACHED when full). With dryRun: true nothing is written: 200 with the impact on the last 24 hours of traffic.",
          tags,
          params: KeyParams,
          body: kind.addBody,
          response: { 201: kind.withWarnings, 200: DryRun, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { tenantId, keyId } = request.params;
        const { dryRun, ...body } = request.body;
        const input = defined(body);
        check(ips, input.value);
        if (dryRun === true) return answerDryRun(reply, simulator, target(tenantId, keyId), { add: [input] });
        const entry = await add(tenantId, keyId, input, creation(request));
        await engine.refresh();
        return withEtag(reply.status(201), { ...entry, warnings: await warnings(tenantId, keyId, entry.id) });
      },
    );

    app.patch(
      `${path}/:entryId`,
      {
        config: config('editor'),
        schema: {
          summary: `Edit one of a key's ${kind.noun}`,
          description:
            'With dryRun: true nothing is written: the answer is the impact on the last 24 hours of traffic.',
          tags,
          params: EntryParams,
          headers: IfMatchHeaders,
          body: UpdateKeyEntryBody,
          response: { 200: Type.Union([kind.withWarnings, DryRun]), ...errorResponses },
        },
      },
      async (request, reply) => {
        const { tenantId, keyId, entryId } = request.params;
        const { dryRun, ...body } = request.body;
        const patch = defined(body);
        if (patch.value !== undefined) check(ips, patch.value);
        if (dryRun === true) {
          return answerDryRun(reply, simulator, target(tenantId, keyId), {
            edit: [{ id: entryId, ...patch }],
          });
        }
        const entry = await update(tenantId, keyId, entryId, patch, mutation(request));
        await engine.refresh();
        return withEtag(reply, { ...entry, warnings: await warnings(tenantId, keyId, entry.id) });
      },
    );

    app.delete(
      `${path}/:entryId`,
      {
        config: config('editor'),
        schema: {
          summary: `Remove one of a key's ${kind.noun}`,
          description:
            'With ?dryRun=true nothing is removed: 200 with the impact on the last 24 hours of traffic.',
          tags,
          params: EntryParams,
          headers: IfMatchHeaders,
          querystring: DryRunQuery,
          response: { 204: Type.Null({ description: 'Removed.' }), 200: DryRun, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { tenantId, keyId, entryId } = request.params;
        if (request.query.dryRun === true) {
          return answerDryRun(reply, simulator, target(tenantId, keyId), { remove: [entryId] });
        }
        await remove(tenantId, keyId, entryId, mutation(request));
        await engine.refresh();
        return reply.status(204).send(null);
      },
    );
  }
}

/** Parses the value before the store does, so the error names the `value` field either way. */
function check(ips: boolean, value: string): void {
  try {
    if (ips) parseEntry(value);
    else parseDomainRule(value);
  } catch (e) {
    throw isIpGateError(e) ? e.withContext({ field: 'value' }) : e;
  }
}
