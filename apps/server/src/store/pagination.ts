import { IpGateError } from '@ipgate/core';
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { invalid } from './errors.js';
import type { Page, PageRequest } from './store.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/**
 * The page size a request asks for, checked.
 *
 * @example
 * pageLimit({ limit: 10 }); // 10
 */
export function pageLimit(page: PageRequest | undefined): number {
  const limit = page?.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw invalid('limit', `limit must be a whole number from 1 to ${MAX_LIMIT}.`);
  }
  return limit;
}

/**
 * Encodes the position after the last item of a page. Opaque to callers, so the order key may change.
 *
 * @example
 * decodeCursor(encodeCursor(['2025-01-01T00:00:00.000Z', 'ten_1'])); // ['2025-01-01T00:00:00.000Z', 'ten_1']
 */
export function encodeCursor(position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor of {@link encodeCursor}, checking each part's type; a bad cursor is a 400 on `cursor`.
 *
 * @example
 * const [at, id] = decodeCursor(cursor, ['string', 'string']);
 */
export function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parts) &&
      parts.length === shape.length &&
      parts.every((p, i) => typeof p === shape[i])
    ) {
      return parts as (string | number)[];
    }
  } catch {
    // Reported below, like any other cursor we did not hand out.
  }
  throw new IpGateError('IPG_CURSOR_INVALID', 'The cursor is not one this store handed out.', {
    field: 'cursor',
    hint: 'Start again without a cursor and follow nextCursor.',
  });
}

/**
 * Cuts the `limit + 1` rows a query fetched into a page, with a cursor when there is more.
 *
 * @example
 * toPage(rows, 50, (t) => [t.createdAt.toISOString(), t.id]);
 */
export function toPage<T>(
  rows: readonly T[],
  limit: number,
  position: (last: T) => readonly (string | number)[],
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(position(last)) : undefined,
  };
}

/** Where a creation-ordered page starts: after this (created_at, id), or at the beginning. */
export type CreationCursor = readonly [createdAt: string, id: string] | undefined;

/**
 * Decodes the cursor of a list ordered by creation (oldest first: `created_at`, then `id`).
 *
 * @example
 * const after = creationCursor(page); // undefined on the first page
 */
export function creationCursor(page: PageRequest | undefined): CreationCursor {
  if (page?.cursor === undefined) return undefined;
  return decodeCursor(page.cursor, ['string', 'string']) as [string, string];
}

/**
 * The keyset condition "created after the cursor" for a table with `created_at` and `id`, so every
 * creation-ordered list pages the same way (a stable order even for rows made in one millisecond,
 * because ids grow within a process).
 *
 * @example
 * ctx.db.selectFrom('apis').selectAll().$if(after !== undefined, (qb) => qb.where(createdAfter(after)))
 *   .orderBy('created_at').orderBy('id').limit(limit + 1)
 */
export function createdAfter(after: CreationCursor): RawBuilder<SqlBool> {
  const [at, id] = after as readonly [string, string];
  return sql<SqlBool>`(created_at > ${at} or (created_at = ${at} and id > ${id}))`;
}

/**
 * Cuts rows of a creation-ordered query into a page with the next cursor.
 *
 * @example
 * return creationPage(rows.map(apiFromRow), limit);
 */
export function creationPage<T extends { readonly createdAt: Date; readonly id: string }>(
  items: readonly T[],
  limit: number,
): Page<T> {
  return toPage(items, limit, (x) => [x.createdAt.toISOString(), x.id]);
}
