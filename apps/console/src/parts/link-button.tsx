/**
 * A value in a table that does something when clicked — selects the row, opens its detail, narrows
 * the list to it: a button (Enter and Space work, a screen reader says "button") that looks like a
 * link, in an indigo that keeps 4.5:1 contrast on a striped row.
 */
import { type MantineFontSize, UnstyledButton } from '@mantine/core';
import type { ReactNode } from 'react';

export function LinkButton(props: {
  onClick: () => void;
  'aria-label': string;
  /** The row shown in detail below the table: its name in bold. */
  selected?: boolean;
  fz?: MantineFontSize;
  children: ReactNode;
}) {
  return (
    <UnstyledButton
      c="indigo.8"
      td="underline"
      fz={props.fz}
      fw={props.selected === true ? 700 : undefined}
      onClick={props.onClick}
      aria-label={props['aria-label']}
    >
      {props.children}
    </UnstyledButton>
  );
}
