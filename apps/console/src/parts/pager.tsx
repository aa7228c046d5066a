/**
 * Paging through the server: a list route answers one page and a nextCursor; the pages already seen
 * are kept as a stack of cursors so Previous goes back without the server keeping any state.
 */
import { Button, Group } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';

export interface PageOf<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

/** One page of a list; the key is the list's, the cursor is appended. */
export function usePaged<T>(
  key: readonly unknown[],
  read: (cursor: string | undefined) => Promise<PageOf<T>>,
) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const query = useQuery({ queryKey: [...key, cursor], queryFn: () => read(cursor) });
  const next = query.data?.nextCursor;
  const pager =
    cursors.length > 1 || next !== undefined ? (
      <Group>
        <Button
          variant="default"
          size="xs"
          disabled={cursors.length <= 1}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Previous page
        </Button>
        <Button
          variant="default"
          size="xs"
          disabled={next === undefined}
          onClick={() => setCursors([...cursors, next])}
        >
          Next page
        </Button>
      </Group>
    ) : null;
  return { query, pager };
}
