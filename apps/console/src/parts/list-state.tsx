/**
 * A list read from the server, in the three states before it can be shown: still loading (a spinner
 * with a name for screen readers), failed (an alert saying what could not be read and why), and read
 * but empty (a sentence saying what would be here). The list itself is shown only when there is one.
 */
import { Alert, Group, Loader, Text } from '@mantine/core';
import type { ReactNode } from 'react';

export function ListState(props: {
  /** The read (a TanStack query): pending, failed with an error, or done. */
  query: { readonly isPending: boolean; readonly error: Error | null };
  /** The spinner's accessible name, e.g. "Loading the keys". */
  loadingLabel: string;
  /** The alert's title when the read failed, e.g. "The keys could not be read". */
  failedTitle: string;
  /** Whether the read found nothing; the `empty` sentence is shown instead of the list. */
  isEmpty?: boolean;
  empty?: ReactNode;
  children: ReactNode;
}) {
  const { query } = props;
  if (query.isPending) {
    return (
      <Group>
        <Loader size="sm" aria-label={props.loadingLabel} />
        <Text size="sm">Loading…</Text>
      </Group>
    );
  }
  if (query.error !== null) {
    return (
      <Alert color="red" role="alert" title={props.failedTitle}>
        {query.error.message}
      </Alert>
    );
  }
  if (props.isEmpty === true) return <Text c="dimmed">{props.empty}</Text>;
  return props.children;
}
