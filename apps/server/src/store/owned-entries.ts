/**
 * What every entry list of the store does alike, whoever owns it (a tenant, an API, a key): find an
 * entry under its owner, locked for the write, and keep one entry per canonical form in a list.
 * ip-lists.ts (tenant lists, API allowlists) and key-entries.ts (a key's IP and domain lists) build
 * their operations on these.
 */
import type { Transaction } from 'kysely';
import type { StoreContext } from './context.js';
import { alreadyExists, notFound } from './errors.js';

// The entry tables are one shape under several names; Kysely cannot type a table chosen at run time,
// so the list modules work untyped and convert every row through their own reader.
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Untyped = Transaction<any>;

/** Where a list's entries are: the table, the column naming their owner, and a noun for messages. */
export interface OwnedEntryTable {
  readonly table: string;
  readonly ownerColumn: string;
  /** For messages: `tenant IP entry`. */
  readonly entryNoun: string;
}

/**
 * The row of an entry of this owner, locked for the rest of the transaction on PostgreSQL;
 * IPG_NOT_FOUND when the owner has no such entry (another owner's entry is not found either).
 *
 * @example const row = await lockOwnedEntry(ctx, t, tenantIpList, tenantId, entryId);
 */
export async function lockOwnedEntry(
  ctx: StoreContext,
  t: Untyped,
  list: OwnedEntryTable,
  ownerId: string,
  entryId: string,
): Promise<Record<string, unknown>> {
  const row: Record<string, unknown> | undefined = await t
    .selectFrom(list.table)
    .selectAll()
    .where('id', '=', entryId)
    .where(list.ownerColumn, '=', ownerId)
    .$if(ctx.dialect.lockRows, (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (row === undefined) throw notFound(list.entryNoun, entryId);
  return row;
}

/**
 * IPG_ALREADY_EXISTS, naming the entry that has it, when the owner's list holds `canonical` already
 * (other than in `exceptId`, the entry being changed).
 *
 * @example await assertCanonicalFree(t, keyIpList, keyId, '203.0.113.7/32', undefined);
 */
export async function assertCanonicalFree(
  t: Untyped,
  list: OwnedEntryTable,
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
