/**
 * The filter form above a log (REST API logs, Audit log): the log's own fields, then the time range
 * (From / Until, in the browser's local time) and Apply filters / Clear. What is typed is a draft; the
 * log changes only when the filters are applied.
 */
import { Button, Group, TextInput } from '@mantine/core';
import type { ReactNode } from 'react';

export interface TimeRange {
  /** `datetime-local` values ('' for no bound). */
  readonly since: string;
  readonly until: string;
}

export function FilterForm(props: {
  range: TimeRange;
  onRange: (field: keyof TimeRange, value: string) => void;
  /** The server's word on a field of the last applied filters, if it refused it. */
  fieldError: (field: string) => string | undefined;
  onApply: () => void;
  onClear: () => void;
  /** The log's own fields, before the time range. */
  children: ReactNode;
  /** Buttons after Clear (e.g. Refresh). */
  actions?: ReactNode;
}) {
  return (
    <form
      aria-label="Filters"
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply();
      }}
    >
      <Group align="flex-end" gap="sm">
        {props.children}
        <TextInput
          type="datetime-local"
          label="From"
          value={props.range.since}
          onChange={(e) => props.onRange('since', e.currentTarget.value)}
          error={props.fieldError('since')}
        />
        <TextInput
          type="datetime-local"
          label="Until"
          value={props.range.until}
          onChange={(e) => props.onRange('until', e.currentTarget.value)}
          error={props.fieldError('until')}
        />
        <Button type="submit">Apply filters</Button>
        <Button variant="default" onClick={props.onClear}>
          Clear
        </Button>
        {props.actions}
      </Group>
    </form>
  );
}
