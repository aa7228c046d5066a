/**
 * The two reads the top-level resources (tenants, APIs, keys, principals) share: one row by id, and
 * a page of them in creation order. Each resource module passes its table and its row reader.
 */
import type { Kysely, Selectable } from 'kysely';
import { read, type StoreContext } from './context.js';
import type { Database } from './database.js';
import { notFound } from './errors.js';
import { type CreationCursor, createdAfter, creationCursor, creationPage, pageLimit } from './pagination.js';
import type { Page, PageRequest } from './store.js';

/** The tables read in creation order: each has `id` and `created_at`, and all but `apis` a tenant. */
type Resource = 'tenants' | 'apis' | 'keys' | 'principals';

// Kysely cannot type a table chosen at run time; every row goes through the caller's typed reader.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Untyped = Kysely<any>;

/**
 * One row by id as its entity, or IPG_NOT_FOUND naming `noun`.
 *
 * @example
 * return readById(ctx, 'apis', 'API', apiId, apiFromRow);
 */
export async function readById<T extends Resource, E>(
  ctx: StoreContext,
  table: T,
  noun: string,
  id: string,
  fromRow: (row: Selectable<Database[T]>) => E,
): Promise<E> {
  const row = (await read(ctx, () =>
    (ctx.db as unknown as Untyped).selectFrom(table).selectAll().where('id', '=', id).executeTakeFirst(),
  )) as Selectable<Database[T]> | undefined;
  if (row === undefined) throw notFound(noun, id);
  return fromRow(row);
}

/** A page request, checked: its size and where it starts. */
export interface PagePosition {
  readonly limit: number;
  readonly after: CreationCursor;
}

/**
 * Checks a page request (IPG_VALIDATION on the limit, IPG_CURSOR_INVALID on the cursor).
 *
 * @example
 * const at = pagePosition(page); // before any other check that may fail
 */
export function pagePosition(page: PageRequest | undefined): PagePosition {
  return { limit: pageLimit(page), after: creationCursor(page) };
}

/**
 * One page of a table, oldest first (`created_at`, then `id`), as entities; with `tenantId` only that
 * tenant's rows.
 *
 * @example
 * return readCreationPage(ctx, 'apis', pagePosition(page), apiFromRow);
 */
export async function readCreationPage<T extends Resource, E extends { createdAt: Date; id: string }>(
  ctx: StoreContext,
  table: T,
  at: PagePosition,
  fromRow: (row: Selectable<Database[T]>) => E,
  tenantId?: string,
): Promise<Page<E>> {
  const { limit, after } = at;
  const rows = (await read(ctx, () =>
    (ctx.db as unknown as Untyped)
      .selectFrom(table)
      .selectAll()
      .$if(tenantId !== undefined, (qb) => qb.where('tenant_id', '=', tenantId as string))
      .$if(after !== undefined, (qb) => qb.where(createdAfter(after)))
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit + 1)
      .execute(),
  )) as Selectable<Database[T]>[];
  return creationPage(rows.map(fromRow), limit);
}
