/**
 * The one implementation of an entry list owned by something: a tenant's IP list, an API's
 * allowlist, a key's IP list and a key's domain list are all this module driven by an
 * `OwnedEntryList` (tenant-ip-list.ts, apis.ts, key-lists.ts). What they share is written here once:
 * the owner is locked before every write so counts and inserts see one list, an entry is found only
 * under its owner, one entry per canonical form, a limit per list, one change record per mutation.
 */
import { sql, type Transaction } from 'kysely';
import { read, type StoreContext } from './context.js';
import type { Database } from './database.js';
import { alreadyExists, checkVersion, limitReached, notFound } from './errors.js';
import { type IdKind, newId } from './ids.js';
import { recordChange } from './record.js';
import { nowIso } from './rows.js';
import type { CreateOptions, MutationOptions } from './store.js';
import * as v from './validate.js';

// The entry tables are one shape under several names; Kysely cannot type a table chosen at run time,
// so this module works untyped and converts every row through the list's own reader.
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Untyped = Transaction<any>;

/** A checked new entry: its canonical form and the columns to write besides id, owner and stamps. */
export interface EntryColumns {
  readonly canonical: string;
  readonly columns: Readonly<Record<string, unknown>>;
}

/** A checked edit: the new canonical form when the value changes, and the columns to set. */
export interface EntryPatch {
  readonly canonical: string | undefined;
  readonly columns: Readonly<Record<string, unknown>>;
}

/**
 * One kind of owned list: where its rows are, who owns them (`O` addresses the owner: a tenant id, an
 * API id, or a tenant and key id), and how input and rows become the entity `E`.
 *
 * @example
 * await addEntry(ctx, tenantIpList, tenantId, { value: '10.0.0.0/8', name: 'office' }, { actor: 'user:ops' });
 */
export interface OwnedEntryList<O, E extends { readonly id: string; readonly version: number }, Add, Patch> {
  readonly table: string;
  readonly ownerColumn: string;
  /** For messages: `tenant IP entry`. */
  readonly entryNoun: string;
  /** For messages: `tenant IP list`. */
  readonly listNoun: string;
  /** Audit action prefix: `tenant.ip_entry`. */
  readonly action: string;
  readonly targetType: string;
  /** Prefix of new entry ids (ids.ts). */
  readonly idPrefix: IdKind;
  /** The value of `ownerColumn` for this owner. */
  ownerId(owner: O): string;
  /** Throws IPG_NOT_FOUND unless the owner exists (outside a transaction). */
  assertOwner(ctx: StoreContext, owner: O): Promise<void>;
  /** Reads the owner (IPG_NOT_FOUND when missing), locking it on PostgreSQL; returns its entry limit. */
  lockOwner(
    ctx: StoreContext,
    trx: Transaction<Database>,
    owner: O,
  ): Promise<{ readonly limit: number | undefined }>;
  /** The tenant, API and key the change belongs to, for `changes` and the audit event. */
  scope(owner: O): {
    readonly tenantId: string | null;
    readonly apiId?: string | null;
    readonly keyId?: string;
  };
  /** Checks an add's input (after the actor, before the transaction). */
  checkAdd(input: Add, actor: string): EntryColumns;
  /** Checks an edit's fields. */
  checkPatch(patch: Patch): EntryPatch;
  fromRow(row: Record<string, unknown>, owner: O): E;
  /** Runs in the transaction of an add or edit, after the entry is written (the tenant list settles observations). */
  afterWrite?(ctx: StoreContext, trx: Transaction<Database>, owner: O, entry: E, now: string): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: any list, whatever its input types
type AnyList<O, E extends { readonly id: string; readonly version: number }> = OwnedEntryList<O, E, any, any>;

/**
 * Every entry of one owner's list, oldest first; IPG_NOT_FOUND when the owner is missing.
 */
export async function listEntries<O, E extends { id: string; version: number }>(
  ctx: StoreContext,
  list: AnyList<O, E>,
  owner: O,
): Promise<E[]> {
  await list.assertOwner(ctx, owner);
  const rows: Record<string, unknown>[] = await read(ctx, () =>
    (ctx.db as unknown as Untyped)
      .selectFrom(list.table)
      .selectAll()
      .where(list.ownerColumn, '=', list.ownerId(owner))
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
  );
  return rows.map((r) => list.fromRow(r, owner));
}

/**
 * One entry of one owner's list, or IPG_NOT_FOUND (also when it is on another owner's list).
 */
export async function getEntry<O, E extends { id: string; version: number }>(
  ctx: StoreContext,
  list: AnyList<O, E>,
  owner: O,
  entryId: string,
): Promise<E> {
  const row: Record<string, unknown> | undefined = await read(ctx, () =>
    (ctx.db as unknown as Untyped)
      .selectFrom(list.table)
      .selectAll()
      .where('id', '=', entryId)
      .where(list.ownerColumn, '=', list.ownerId(owner))
      .executeTakeFirst(),
  );
  if (row === undefined) throw notFound(list.entryNoun, entryId);
  return list.fromRow(row, owner);
}

/**
 * Adds an entry: checked by the list, refused when its canonical form is listed already or the list
 * is full. The owner row is locked first, so the count and the insert see the same list.
 *
 * @example
 * await addEntry(ctx, keyIpList, { tenantId, keyId }, { value: '203.0.113.7', name: 'ci runner' }, { actor });
 */
export async function addEntry<O, E extends { id: string; version: number }, Add>(
  ctx: StoreContext,
  list: OwnedEntryList<O, E, Add, unknown>,
  owner: O,
  input: Add,
  options: CreateOptions,
): Promise<E> {
  const actor = v.actor(options.actor);
  const fields = list.checkAdd(input, actor);
  return ctx.dialect.transaction(async (trx) => {
    const { limit } = await list.lockOwner(ctx, trx, owner);
    const now = nowIso();
    const after = await insertEntry(trx, list, owner, limit, now, fields);
    await list.afterWrite?.(ctx, trx, owner, after, now);
    await recordChange(ctx, trx, now, {
      actor,
      action: `${list.action}.added`,
      ...list.scope(owner),
      // A tenant's enabled entry added is all this changes of the rules: nodes extend the tenant's
      // compiled list with it. A disabled one changes no rule; other lists are recompiled as before.
      addedEntries:
        list.table === 'tenant_ip_entries' && (after as { enabled?: unknown }).enabled === true
          ? [after.id]
          : undefined,
      targetType: list.targetType,
      targetId: after.id,
      before: null,
      after,
    });
    return after;
  });
}

/**
 * Changes an entry of this owner's list (the fields its list lets change).
 *
 * @example
 * await updateEntry(ctx, tenantIpList, tenantId, entryId, { enabled: false }, { actor: 'user:ops', expectedVersion: 1 });
 */
export async function updateEntry<O, E extends { id: string; version: number }, Patch>(
  ctx: StoreContext,
  list: OwnedEntryList<O, E, unknown, Patch>,
  owner: O,
  entryId: string,
  patch: Patch,
  options: MutationOptions,
): Promise<E> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  const change = list.checkPatch(patch);
  return ctx.dialect.transaction(async (trx) => {
    await list.lockOwner(ctx, trx, owner);
    const t = trx as unknown as Untyped;
    const before = await lockEntry(ctx, t, list, owner, entryId);
    checkVersion(list.entryNoun, before, expected);
    if (change.canonical !== undefined) {
      await assertCanonicalFree(t, list, list.ownerId(owner), change.canonical, entryId);
    }
    const now = nowIso();
    const row: Record<string, unknown> = await t
      .updateTable(list.table)
      .set({ ...change.columns, version: before.version + 1, updated_at: now })
      .where('id', '=', entryId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const after = list.fromRow(row, owner);
    await list.afterWrite?.(ctx, trx, owner, after, now);
    await recordChange(ctx, trx, now, {
      actor,
      action: `${list.action}.updated`,
      ...list.scope(owner),
      targetType: list.targetType,
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
export async function removeEntry<O, E extends { id: string; version: number }>(
  ctx: StoreContext,
  list: AnyList<O, E>,
  owner: O,
  entryId: string,
  options: MutationOptions,
): Promise<void> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  await ctx.dialect.transaction(async (trx) => {
    await list.lockOwner(ctx, trx, owner);
    // Deleted and read back in one statement; a version that does not match throws, which rolls
    // the delete back with the rest of the transaction.
    const row: Record<string, unknown> | undefined = await (trx as unknown as Untyped)
      .deleteFrom(list.table)
      .where('id', '=', entryId)
      .where(list.ownerColumn, '=', list.ownerId(owner))
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw notFound(list.entryNoun, entryId);
    const before = list.fromRow(row, owner);
    checkVersion(list.entryNoun, before, expected);
    await recordChange(ctx, trx, nowIso(), {
      actor,
      action: `${list.action}.removed`,
      ...list.scope(owner),
      targetType: list.targetType,
      targetId: entryId,
      before,
      after: null,
    });
  });
}

/**
 * Inserts an entry inside a transaction that has locked the owner already: refused when the
 * canonical form is listed (IPG_ALREADY_EXISTS) or the list holds `limit` entries
 * (IPG_LIMIT_REACHED). Records no change: the caller's one mutation does.
 *
 * @example
 * const { limit } = await tenantIpList.lockOwner(ctx, trx, tenantId);
 * const entry = await insertEntry(trx, tenantIpList, tenantId, limit, nowIso(), ipEntryColumns(fields));
 */
export async function insertEntry<O, E extends { id: string; version: number }>(
  trx: Transaction<Database>,
  list: AnyList<O, E>,
  owner: O,
  limit: number | undefined,
  now: string,
  fields: EntryColumns,
): Promise<E> {
  const t = trx as unknown as Untyped;
  const ownerId = list.ownerId(owner);
  const values: Record<string, unknown> = {
    ...fields.columns,
    id: newId(list.idPrefix),
    [list.ownerColumn]: ownerId,
    canonical: fields.canonical,
    version: 1,
    created_at: now,
    updated_at: now,
  };
  const columns = Object.keys(values);
  // One statement: inserted only when the canonical form is free and the list has room, so the
  // usual add is one round trip instead of three. When nothing is inserted, the checks run again
  // one by one to say which one refused (the owner is locked: nothing changed in between).
  const row: Record<string, unknown> | undefined = await t
    .insertInto(list.table)
    .columns(columns)
    .expression(
      t
        .selectNoFrom(columns.map((c) => sql.val(values[c]).as(c)))
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom(list.table)
                .select('id')
                .where(list.ownerColumn, '=', ownerId)
                .where('canonical', '=', fields.canonical),
            ),
          ),
        )
        .$if(limit !== undefined, (qb) =>
          qb.where(
            ({ selectFrom }) =>
              selectFrom(list.table)
                .select(({ fn }) => fn.countAll().as('n'))
                .where(list.ownerColumn, '=', ownerId),
            '<',
            limit as number,
          ),
        ),
    )
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) {
    await assertCanonicalFree(t, list, ownerId, fields.canonical, undefined);
    if (limit !== undefined) throw limitReached(list.listNoun, limit);
    throw new Error(
      `The ${list.entryNoun} was not inserted, though its value is free and its list has no limit.`,
    );
  }
  return list.fromRow(row, owner);
}

/**
 * The entry of this owner, locked for the rest of the transaction on PostgreSQL; IPG_NOT_FOUND when
 * the owner has no such entry (another owner's entry is not found either).
 */
async function lockEntry<O, E extends { id: string; version: number }>(
  ctx: StoreContext,
  t: Untyped,
  list: AnyList<O, E>,
  owner: O,
  entryId: string,
): Promise<E> {
  const row: Record<string, unknown> | undefined = await t
    .selectFrom(list.table)
    .selectAll()
    .where('id', '=', entryId)
    .where(list.ownerColumn, '=', list.ownerId(owner))
    .$if(ctx.dialect.lockRows, (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (row === undefined) throw notFound(list.entryNoun, entryId);
  return list.fromRow(row, owner);
}

/**
 * IPG_ALREADY_EXISTS, naming the entry that has it, when the owner's list holds `canonical` already
 * (other than in `exceptId`, the entry being changed).
 */
async function assertCanonicalFree(
  t: Untyped,
  list: { readonly table: string; readonly ownerColumn: string },
  ownerId: string,
  canonical: string,
  exceptId: string | undefined,
): Promise<void> {
  const existing: { id: string; name: string; value: string } | undefined = await t
    .selectFrom(list.table)
    .select(['id', 'name', 'value'])
    .where(list.ownerColumn, '=', ownerId)
    .where('canonical', '=', canonical)
    .$if(exceptId !== undefined, (qb) => qb.where('id', '<>', exceptId as string))
    .executeTakeFirst();
  if (existing !== undefined) throw alreadyExists(canonical, existing);
}
