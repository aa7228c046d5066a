/**
 * Cursor pagination over a list the store returns whole (a tenant's or an API's entries, a key's
 * restrictions), so every list route pages the same way.
 */
import { IpGateError } from '@ipgate/core';

/**
 * One page of `items` from the position the cursor names.
 *
 * @example
 * pageArray(entries, { limit: 2 }); // { items: [e0, e1], nextCursor: 'eyJvIjoyfQ' }
 */
export function pageArray<T>(
  items: readonly T[],
  query: { readonly limit?: number | undefined; readonly cursor?: string | undefined },
): { items: T[]; nextCursor?: string } {
  const limit = query.limit ?? 50;
  const offset = query.cursor === undefined ? 0 : decode(query.cursor);
  const slice = items.slice(offset, offset + limit);
  const next = offset + limit;
  return next < items.length ? { items: slice, nextCursor: encode(next) } : { items: slice };
}

function encode(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset }), 'utf8').toString('base64url');
}

function decode(cursor: string): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const o = (parsed as { o?: unknown } | null)?.o;
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // Reported below, like any cursor we did not hand out.
  }
  throw new IpGateError('IPG_CURSOR_INVALID', 'The cursor is not one this list handed out.', {
    field: 'cursor',
    hint: 'Start again without a cursor and follow nextCursor.',
  });
}
