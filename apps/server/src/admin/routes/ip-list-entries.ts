/**
 * The entry routes of a network list, shared by a tenant's IP list and an API's allowlist: both hold
 * the same entries with state and provenance, answer with core's warnings, and are guarded against
 * locking the caller out.
 */
import { isIpGateError, parseEntry } from '@ipgate/core';
import { type TObject, Type } from 'typebox';
import type { SimulationTarget } from '../../simulation/simulate.js';
import type {
  AddIpEntryInput,
  ImportEntriesInput,
  ImportEntriesResult,
  ImportOptions,
  IpListEntry,
  UpdateIpEntryInput,
} from '../../store/store.js';
import type { AccessScope } from '../auth/access.js';
import { pageArray } from '../http/array-page.js';
import { withEtag } from '../http/etag.js';
import { answerDryRun } from '../lists/dry-run.js';
import { notMatchedFor, withUsage } from '../lists/entry-usage.js';
import { entryWarnings, listWarnings } from '../lists/entry-warnings.js';
import { futureExpiry } from '../lists/future-expiry.js';
import { type GuardEntry, type GuardState, guardLockout } from '../lists/lockout-guard.js';
import { errorResponses, Id, IfMatchHeaders, Page } from '../schemas/common.js';
import { EntryListQuery } from '../schemas/entry-usage.js';
import {
  AddIpEntryBody,
  IpEntry,
  IpEntryWithWarnings,
  toIpEntryDto,
  UpdateIpEntryBody,
} from '../schemas/ip-entries.js';
import { DryRun, WriteQuery } from '../schemas/simulation.js';
import { type AdminApp, type AdminDeps, callerAddress, creation, defined, mutation } from './context.js';
import { registerIpListImportRoutes } from './ip-list-import.js';

/**
 * How one kind of list is reached and stored.
 *
 * @example
 * registerIpListRoutes(app, deps, { path: '/v1/apis/:apiId/allowlist/entries', ownerParam: 'apiId', … });
 */
export interface IpListBinding {
  /** The collection path, e.g. `/v1/apis/:apiId/allowlist/entries`. */
  readonly path: string;
  /** The path parameters of the collection. */
  readonly params: TObject;
  /** The parameter that names the list's owner (`tenantId` or `apiId`). */
  readonly ownerParam: string;
  readonly scope: AccessScope;
  readonly tag: string;
  /** What the list is called in summaries, e.g. "the tenant's IP list". */
  readonly noun: string;
  list(owner: string): Promise<IpListEntry[]>;
  get(owner: string, entryId: string): Promise<IpListEntry>;
  add(owner: string, input: AddIpEntryInput, options: { actor: string }): Promise<IpListEntry>;
  update(
    owner: string,
    entryId: string,
    patch: UpdateIpEntryInput,
    options: { actor: string; expectedVersion?: number },
  ): Promise<IpListEntry>;
  remove(owner: string, entryId: string, options: { actor: string; expectedVersion?: number }): Promise<void>;
  /** Many entries as one change (the store's import). */
  importEntries(
    owner: string,
    input: ImportEntriesInput,
    options: ImportOptions,
  ): Promise<ImportEntriesResult<IpListEntry>>;
  /** Most entries the list may hold, for an import's preview; undefined when the routes cannot tell. */
  limit(owner: string): Promise<number | undefined>;
  /** The guard state of the list with `entries` (the tenant adds its mode). */
  guardState(owner: string, entries: readonly GuardEntry[]): Promise<GuardState>;
  /** The list as a simulation names it, for `dryRun`. */
  simulationTarget(owner: string): SimulationTarget;
}

/**
 * Registers list/add/get/patch/delete for one kind of list.
 *
 * @example
 * registerIpListRoutes(app, { store, engine }, tenantIpListBinding(store));
 */
export function registerIpListRoutes(app: AdminApp, deps: AdminDeps, list: IpListBinding): void {
  const { engine, simulator, store } = deps;
  // Before `/:entryId`, though the router prefers the static segments anyway.
  registerIpListImportRoutes(app, deps, list);
  const tags = [list.tag];
  const config = (role: 'viewer' | 'editor') => ({ access: { role, scope: list.scope } });
  const entryParams = Type.Object({ ...list.params.properties, entryId: Id('The entry.') });
  const owner = (params: unknown) => (params as Record<string, string>)[list.ownerParam] as string;
  const guard = async (
    request: Parameters<typeof callerAddress>[0],
    id: string,
    before: readonly GuardEntry[],
    after: readonly GuardEntry[],
    confirmed: boolean | undefined,
  ) =>
    guardLockout(
      callerAddress(request),
      await list.guardState(id, before),
      await list.guardState(id, after),
      confirmed,
    );

  app.get(
    list.path,
    {
      config: config('viewer'),
      schema: {
        summary: `List the entries of ${list.noun}`,
        description:
          'Oldest first. Each entry carries its warnings (about the entry alone, and within the whole list: duplicate, covered by, overlaps) and its usage (hits, last matched). notMatchedForDays=N keeps only the entries that have not matched for N days (never matched: created more than N days ago).',
        tags,
        params: list.params,
        querystring: EntryListQuery,
        response: { 200: Page(IpEntryWithWarnings), ...errorResponses },
      },
    },
    async (request) => {
      const { notMatchedForDays, ...page } = request.query;
      const entries = await list.list(owner(request.params));
      const warnings = listWarnings(entries);
      let items = await withUsage(
        store,
        entries.map((e) => ({ ...toIpEntryDto(e), warnings: warnings.get(e.id) ?? [] })),
      );
      if (notMatchedForDays !== undefined) items = items.filter(notMatchedFor(notMatchedForDays, Date.now()));
      return pageArray(items, page);
    },
  );

  app.post(
    list.path,
    {
      config: config('editor'),
      schema: {
        summary: `Add an entry to ${list.noun}`,
        description:
          "Answers with core's warnings (covers everything, non-public space, IPv4-mapped, duplicate of, covered by, covering or overlapping another entry). An expiresAt that has passed is refused (400). Refused with 409 IPG_SELF_LOCKOUT when it would deny your own address, unless confirmLockout is true. With dryRun: true nothing is written: 200 with the impact on the last 24 hours of traffic.",
        tags,
        params: list.params,
        body: AddIpEntryBody,
        response: { 201: IpEntryWithWarnings, 200: DryRun, ...errorResponses },
      },
    },
    async (request, reply) => {
      const id = owner(request.params);
      const { confirmLockout, dryRun, expiresAt, ...rest } = request.body;
      const input = defined({ ...rest, expiresAt: futureExpiry(expiresAt), source: 'manual' as const });
      if (dryRun === true) {
        canonicalOf(input.value);
        return answerDryRun(reply, simulator, list.simulationTarget(id), { add: [input] });
      }
      const entries = await list.list(id);
      const candidate: GuardEntry = {
        id: '',
        canonical: canonicalOf(input.value),
        enabled: input.enabled ?? true,
        expiresAt: input.expiresAt ?? null,
      };
      await guard(request, id, entries, [...entries, candidate], confirmLockout);
      const entry = await list.add(id, input, creation(request));
      await engine.refresh();
      const warnings = entryWarnings(await list.list(id), entry.id);
      return withEtag(reply.status(201), { ...toIpEntryDto(entry), warnings });
    },
  );

  app.get(
    `${list.path}/:entryId`,
    {
      config: config('viewer'),
      schema: {
        summary: `Get an entry of ${list.noun}`,
        description: 'With its usage: hits and when it last matched.',
        tags,
        params: entryParams,
        response: { 200: IpEntry, ...errorResponses },
      },
    },
    async (request, reply) => {
      const params = request.params as Record<string, string>;
      const entry = toIpEntryDto(await list.get(owner(params), params['entryId'] as string));
      const [withHits] = await withUsage(store, [entry]);
      return withEtag(reply, withHits ?? entry);
    },
  );

  app.patch(
    `${list.path}/:entryId`,
    {
      config: config('editor'),
      schema: {
        summary: `Edit an entry of ${list.noun}`,
        description:
          'Name, value, enabled, expiry (an expiresAt that has passed is refused: disable or remove the entry instead). Answers with the warnings an add gives. Refused with 409 IPG_SELF_LOCKOUT when it would deny your own address, unless confirmLockout is true. With dryRun: true nothing is written: the answer is the impact on the last 24 hours of traffic.',
        tags,
        params: entryParams,
        headers: IfMatchHeaders,
        body: UpdateIpEntryBody,
        response: { 200: Type.Union([IpEntryWithWarnings, DryRun]), ...errorResponses },
      },
    },
    async (request, reply) => {
      const params = request.params as Record<string, string>;
      const id = owner(params);
      const entryId = params['entryId'] as string;
      const { confirmLockout, dryRun, expiresAt, ...rest } = request.body;
      const patch = defined({ ...rest, expiresAt: futureExpiry(expiresAt) });
      if (dryRun === true) {
        if (patch.value !== undefined) canonicalOf(patch.value);
        return answerDryRun(reply, simulator, list.simulationTarget(id), {
          edit: [{ id: entryId, ...patch }],
        });
      }
      const options = mutation(request);
      const entries = await list.list(id);
      const current = await list.get(id, entryId);
      const changed: GuardEntry = {
        id: entryId,
        canonical: patch.value === undefined ? current.canonical : canonicalOf(patch.value),
        enabled: patch.enabled ?? current.enabled,
        expiresAt: patch.expiresAt === undefined ? current.expiresAt : patch.expiresAt,
      };
      const after = entries.map((e) => (e.id === entryId ? changed : e));
      await guard(request, id, entries, after, confirmLockout);
      const entry = await list.update(id, entryId, patch, options);
      await engine.refresh();
      const warnings = entryWarnings(await list.list(id), entry.id);
      return withEtag(reply, { ...toIpEntryDto(entry), warnings });
    },
  );

  app.delete(
    `${list.path}/:entryId`,
    {
      config: config('editor'),
      schema: {
        summary: `Remove an entry from ${list.noun}`,
        description:
          'Refused with 409 IPG_SELF_LOCKOUT when it would deny your own address, unless ?confirmLockout=true. With ?dryRun=true nothing is removed: 200 with the impact on the last 24 hours of traffic.',
        tags,
        params: entryParams,
        headers: IfMatchHeaders,
        querystring: WriteQuery,
        response: { 204: Type.Null({ description: 'Removed.' }), 200: DryRun, ...errorResponses },
      },
    },
    async (request, reply) => {
      const params = request.params as Record<string, string>;
      const id = owner(params);
      const entryId = params['entryId'] as string;
      if (request.query.dryRun === true) {
        return answerDryRun(reply, simulator, list.simulationTarget(id), { remove: [entryId] });
      }
      const options = mutation(request);
      const entries = await list.list(id);
      await list.get(id, entryId);
      await guard(
        request,
        id,
        entries,
        entries.filter((e) => e.id !== entryId),
        request.query.confirmLockout,
      );
      await list.remove(id, entryId, options);
      await engine.refresh();
      return reply.status(204).send(null);
    },
  );
}

/** The canonical form of a value, with the error pointing at the `value` field. */
function canonicalOf(value: string): string {
  try {
    return parseEntry(value).canonical;
  } catch (e) {
    throw isIpGateError(e) ? e.withContext({ field: 'value' }) : e;
  }
}
