/**
 * Paging through the server: a list route answers one page and a nextCursor; the pages already seen
 * are kept as a stack of cursors so the previous page comes back without the server keeping any state.
 *
 * A cursor means something only for the list (tenant, filters) it came from, so the stack is kept
 * together with the list's key: when the key changes (another tenant, another filter) the stack read
 * for the new key is the first page's, in that very render. No request ever carries a cursor of the
 * list before.
 */
import { Button, Group, Text } from '@mantine/core';
import { hashKey, useQuery } from '@tanstack/react-query';
import { useState } from 'react';

export interface PageOf<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

export interface PagedOptions {
  /** The buttons' words: a log newest first reads "Newer" / "Older". */
  readonly previousLabel?: string;
  readonly nextLabel?: string;
  /** What the pager pages through, for a screen reader ("Pages of the audit log"). */
  readonly label?: string;
  /** As TanStack Query's: whether to try again after an error. */
  readonly retry?: (failureCount: number, error: Error) => boolean;
  /** As TanStack Query's: false reads nothing (e.g. a page the user may not see). */
  readonly enabled?: boolean;
}

interface Stack {
  /** The hashed key the cursors belong to. */
  readonly key: string;
  readonly cursors: readonly (string | undefined)[];
}

const FIRST_PAGE: readonly (string | undefined)[] = [undefined];

/**
 * One page of a list; the key is the list's, the cursor is appended. A change of key starts again at
 * the first page; `reset` does so for the same key (e.g. filters applied again).
 *
 * @example const { query, pager } = usePaged(['keys', tenantId], (cursor) => readKeys(tenantId, cursor));
 */
export function usePaged<T>(
  key: readonly unknown[],
  read: (cursor: string | undefined) => Promise<PageOf<T>>,
  options: PagedOptions = {},
) {
  const hashed = hashKey(key);
  const [stack, setStack] = useState<Stack>({ key: hashed, cursors: FIRST_PAGE });
  // Derived, not synced in an effect: an effect would run after a render (and a fetch) of the old cursor.
  const cursors = stack.key === hashed ? stack.cursors : FIRST_PAGE;
  const cursor = cursors[cursors.length - 1];
  const query = useQuery({
    queryKey: [...key, cursor],
    queryFn: () => read(cursor),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.enabled === undefined ? {} : { enabled: options.enabled }),
  });
  const next = query.data?.nextCursor;
  const page = cursors.length;
  const reset = () => setStack({ key: hashed, cursors: FIRST_PAGE });
  const pager =
    page > 1 || next !== undefined ? (
      <Group role="group" aria-label={options.label ?? 'Pages'} data-testid="pager">
        <Button
          variant="default"
          size="xs"
          disabled={page <= 1}
          onClick={() => setStack({ key: hashed, cursors: cursors.slice(0, -1) })}
        >
          {options.previousLabel ?? 'Previous page'}
        </Button>
        <Text size="sm" aria-live="polite" data-testid="pager-page">
          Page {page}
        </Text>
        <Button
          variant="default"
          size="xs"
          disabled={next === undefined}
          onClick={() => setStack({ key: hashed, cursors: [...cursors, next] })}
        >
          {options.nextLabel ?? 'Next page'}
        </Button>
      </Group>
    ) : null;
  return { query, pager, page, reset };
}
