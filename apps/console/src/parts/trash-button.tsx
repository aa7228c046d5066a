/**
 * The delete button at the end of a table row: a red trash can, named for a screen reader by what it
 * deletes ("Delete office", "Remove example.com"), since the icon says nothing by itself.
 */
import { ActionIcon } from '@mantine/core';
import { TrashIcon } from './icons';

export function TrashButton(props: { 'aria-label': string; onClick: () => void; loading?: boolean }) {
  return (
    <ActionIcon
      variant="subtle"
      color="red.8"
      aria-label={props['aria-label']}
      onClick={props.onClick}
      loading={props.loading}
    >
      <TrashIcon />
    </ActionIcon>
  );
}
