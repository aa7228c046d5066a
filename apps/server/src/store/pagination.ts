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
  throw invalid('cursor', 'The cursor is not one this store handed out.', 'Start again without a cursor.');
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
