import type { Entry } from '@ipgate/core';
import type { Selectable, Transaction } from 'kysely';
import { read, type StoreContext } from './context.js';
import type { Database, IpListEntryColumns } from './database.js';
import { checkVersion, limitReached, notFound } from './errors.js';
import { newId } from './ids.js';
import { assertCanonicalFree, lockOwnedEntry, type Untyped } from './owned-entries.js';
import { recordChange } from './record.js';
import { flag, nowIso, toBool, toDate, toDateOrNull } from './rows.js';
import type {
  AddIpEntryInput,
  CreateOptions,
  EntrySource,
  IpListEntry,
  MutationOptions,
  UpdateIpEntryInput,
} from './store.js';
import * as v from './validate.js';
import { ENTRY_SOURCES } from './vocabulary.js';

/**
 * One of the two network lists with state and provenance: a tenant's IP list and an API's allowlist.
 * Their tables differ only in the owner column, so one module serves both.
 *
 * @example
 * const tenantList: IpListSpec<TenantIpEntry> = { table: 'tenant_ip_entries', ownerColumn: 'tenant_id', … };
 */
export interface IpListSpec<E extends IpListEntry> {
  readonly table: 'tenant_ip_entries' | 'api_allowlist_entries';
  readonly ownerColumn: 'tenant_id' | 'api_id';
  /** For messages: `tenant IP entry`. */
  readonly entryNoun: string;
  /** For messages: `tenant IP list`. */
  readonly listNoun: string;
  /** Audit action prefix: `tenant.ip_entry`. */
  readonly action: string;
  readonly targetType: string;
  /** Reads the owner (IPG_NOT_FOUND when missing), locking it on PostgreSQL; returns its entry limit. */
  lockOwner(
    ctx: StoreContext,
    trx: Transaction<Database>,
    ownerId: string,
  ): Promise<{ limit: number | undefined }>;
  /** Throws IPG_NOT_FOUND unless the owner exists (outside a transaction). */
  assertOwner(ctx: StoreContext, ownerId: string): Promise<void>;
  /** The tenant/API the change belongs to, for `changes` and the audit event. */
  scope(ownerId: string): { tenantId: string | null; apiId: string | null };
  withOwner(entry: IpListEntry, ownerId: string): E;
  /** Runs in the transaction of an add or edit, after the entry is written (the tenant list settles observations). */
  afterWrite?(
    ctx: StoreContext,
    trx: Transaction<Database>,
    ownerId: string,
    entry: E,
    now: string,
  ): Promise<void>;
}

type Row = Selectable<IpListEntryColumns>;

/**
 * A stored row of either network list as the public entity (without its owner id).
 *
 * @example
 * ipListEntryFromRow(row).enabled; // true
 */
export function ipListEntryFromRow(row: Row): IpListEntry {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    value: row.value,
    canonical: row.canonical,
    enabled: toBool(row.enabled),
    expiresAt: toDateOrNull(row.expires_at),
    source: row.source,
    reason: row.reason,
    createdBy: row.created_by,
    version: row.version,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/**
 * Every entry of one owner's list, oldest first.
 */
export async function listIpEntries<E extends IpListEntry>(
  ctx: StoreContext,
  spec: IpListSpec<E>,
  ownerId: string,
): Promise<E[]> {
  await spec.assertOwner(ctx, ownerId);
  const rows = await read(
    ctx,
    () =>
      (ctx.db as unknown as Untyped)
        .selectFrom(spec.table)
        .selectAll()
        .where(spec.ownerColumn, '=', ownerId)
        .orderBy('created_at')
        .orderBy('id')
        .execute() as Promise<Row[]>,
  );
  return rows.map((r) => spec.withOwner(ipListEntryFromRow(r), ownerId));
}

/**
 * One entry of one owner's list, or IPG_NOT_FOUND (also when it is on another owner's list).
 */
export async function getIpEntry<E extends IpListEntry>(
  ctx: StoreContext,
  spec: IpListSpec<E>,
  ownerId: string,
  entryId: string,
): Promise<E> {
  const row = await read(
    ctx,
    () =>
      (ctx.db as unknown as Untyped)
        .selectFrom(spec.table)
        .selectAll()
        .where('id', '=', entryId)
        .where(spec.ownerColumn, '=', ownerId)
        .executeTakeFirst() as Promise<Row | undefined>,
  );
  if (row === undefined) throw notFound(spec.entryNoun, entryId);
  return spec.withOwner(ipListEntryFromRow(row), ownerId);
}

/**
 * Adds an entry: parsed by core, refused when its canonical form is listed already or the list is
 * full. The owner row is locked first, so the count and the insert see the same list.
 *
 * @example
 * await addIpEntry(ctx, tenantList, tenantId, { value: '10.0.0.0/8', name: 'office' }, { actor: 'user:ops' });
 */
export async function addIpEntry<E extends IpListEntry>(
  ctx: StoreContext,
  spec: IpListSpec<E>,
  ownerId: string,
  input: AddIpEntryInput,
  options: CreateOptions,
): Promise<E> {
  const actor = v.actor(options.actor);
  const entry = v.ipEntry(input.value);
  const name = input.name === undefined ? '' : v.text(input.name, 'name', { allowEmpty: true });
  const enabled = input.enabled === undefined ? true : v.bool(input.enabled, 'enabled');
  const expiresAt = input.expiresAt === undefined ? null : v.dateOrNull(input.expiresAt, 'expiresAt');
  const source = input.source === undefined ? 'manual' : v.oneOf(input.source, 'source', ENTRY_SOURCES);
  const reason =
    input.reason === undefined || input.reason === null
      ? null
      : v.text(input.reason, 'reason', { allowEmpty: true });
  return ctx.dialect.transaction(async (trx) => {
    const { limit } = await spec.lockOwner(ctx, trx, ownerId);
    const now = nowIso();
    const after = await insertIpEntry(trx, spec, ownerId, limit, now, {
      name,
      entry,
      value: input.value.trim(),
      enabled,
      expiresAt,
      source,
      reason,
      createdBy: actor,
    });
    await spec.afterWrite?.(ctx, trx, ownerId, after, now);
    await recordChange(ctx, trx, now, {
      actor,
      action: `${spec.action}.added`,
      ...spec.scope(ownerId),
      targetType: spec.targetType,
      targetId: after.id,
      before: null,
      after,
    });
    return after;
  });
}

/**
 * Changes name, value, enabled or expiry of an entry of this owner's list.
 *
 * @example
 * await updateIpEntry(ctx, tenantList, tenantId, entryId, { enabled: false }, { actor: 'user:ops', expectedVersion: 1 });
 */
export async function updateIpEntry<E extends IpListEntry>(
  ctx: StoreContext,
  spec: IpListSpec<E>,
  ownerId: string,
  entryId: string,
  patch: UpdateIpEntryInput,
  options: MutationOptions,
): Promise<E> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  const entry = patch.value === undefined ? undefined : v.ipEntry(patch.value);
  const set = {
    ...(patch.name === undefined ? {} : { name: v.text(patch.name, 'name', { allowEmpty: true }) }),
    ...(entry === undefined || patch.value === undefined
      ? {}
      : { value: patch.value.trim(), canonical: entry.canonical, type: entry.type }),
    ...(patch.enabled === undefined ? {} : { enabled: flag(v.bool(patch.enabled, 'enabled')) }),
    ...(patch.expiresAt === undefined
      ? {}
      : { expires_at: v.dateOrNull(patch.expiresAt, 'expiresAt')?.toISOString() ?? null }),
  };
  return ctx.dialect.transaction(async (trx) => {
    await spec.lockOwner(ctx, trx, ownerId);
    const t = trx as unknown as Untyped;
    const before = await lockEntry(ctx, t, spec, ownerId, entryId);
    checkVersion(spec.entryNoun, before, expected);
    if (entry !== undefined) await assertCanonicalFree(t, spec, ownerId, entry.canonical, entryId);
    const now = nowIso();
    const row = (await t
      .updateTable(spec.table)
      .set({ ...set, version: before.version + 1, updated_at: now })
      .where('id', '=', entryId)
      .returningAll()
      .executeTakeFirstOrThrow()) as Row;
    const after = spec.withOwner(ipListEntryFromRow(row), ownerId);
    await spec.afterWrite?.(ctx, trx, ownerId, after, now);
    await recordChange(ctx, trx, now, {
      actor,
      action: `${spec.action}.updated`,
      ...spec.scope(ownerId),
      targetType: spec.targetType,
      targetId: entryId,
      before,
      after,
    });
    return after;
  });
}

/**
 * Removes an entry of this owner's list.
 */
export async function removeIpEntry<E extends IpListEntry>(
  ctx: StoreContext,
  spec: IpListSpec<E>,
  ownerId: string,
  entryId: string,
  options: MutationOptions,
): Promise<void> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  await ctx.dialect.transaction(async (trx) => {
    await spec.lockOwner(ctx, trx, ownerId);
    const t = trx as unknown as Untyped;
    const before = await lockEntry(ctx, t, spec, ownerId, entryId);
    checkVersion(spec.entryNoun, before, expected);
    await t.deleteFrom(spec.table).where('id', '=', entryId).execute();
    await recordChange(ctx, trx, nowIso(), {
      actor,
      action: `${spec.action}.removed`,
      ...spec.scope(ownerId),
      targetType: spec.targetType,
      targetId: entryId,
      before,
      after: null,
    });
  });
}

/**
 * The columns of a new entry, checked already.
 *
 * @example
 * const fields: NewIpEntry = { name: '', entry: v.ipEntry('10.0.0.1'), value: '10.0.0.1', enabled: true, expiresAt: null, source: 'review', reason: null, createdBy: actor };
 */
export interface NewIpEntry {
  readonly name: string;
  readonly entry: Entry;
  /** As the user wrote it, trimmed. */
  readonly value: string;
  readonly enabled: boolean;
  readonly expiresAt: Date | null;
  readonly source: EntrySource;
  readonly reason: string | null;
  readonly createdBy: string;
}

/**
 * Inserts an entry inside a transaction that has locked the owner already: refused when the
 * canonical form is listed (IPG_ALREADY_EXISTS) or the list holds `limit` entries
 * (IPG_LIMIT_REACHED). Records no change: the caller's one mutation does.
 *
 * @example
 * const { limit } = await spec.lockOwner(ctx, trx, tenantId);
 * const entry = await insertIpEntry(trx, tenantIpList, tenantId, limit, nowIso(), fields);
 */
export async function insertIpEntry<E extends IpListEntry>(
  trx: Transaction<Database>,
  spec: IpListSpec<E>,
  ownerId: string,
  limit: number | undefined,
  now: string,
  fields: NewIpEntry,
): Promise<E> {
  const t = trx as unknown as Untyped;
  await assertCanonicalFree(t, spec, ownerId, fields.entry.canonical, undefined);
  if (limit !== undefined) {
    const { n } = await t
      .selectFrom(spec.table)
      .select((eb) => eb.fn.countAll().as('n'))
      .where(spec.ownerColumn, '=', ownerId)
      .executeTakeFirstOrThrow();
    if (Number(n) >= limit) throw limitReached(spec.listNoun, limit);
  }
  const row = (await t
    .insertInto(spec.table)
    .values({
      id: newId('ent'),
      [spec.ownerColumn]: ownerId,
      name: fields.name,
      type: fields.entry.type,
      value: fields.value,
      canonical: fields.entry.canonical,
      enabled: flag(fields.enabled),
      expires_at: fields.expiresAt === null ? null : fields.expiresAt.toISOString(),
      source: fields.source,
      reason: fields.reason,
      created_by: fields.createdBy,
      version: 1,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()) as Row;
  return spec.withOwner(ipListEntryFromRow(row), ownerId);
}

/** The entry of this owner, locked for the write (see owned-entries.ts). */
async function lockEntry<E extends IpListEntry>(
  ctx: StoreContext,
  t: Untyped,
  spec: IpListSpec<E>,
  ownerId: string,
  entryId: string,
): Promise<E> {
  const row = (await lockOwnedEntry(ctx, t, spec, ownerId, entryId)) as Row;
  return spec.withOwner(ipListEntryFromRow(row), ownerId);
}
