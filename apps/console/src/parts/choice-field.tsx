/**
 * A choice among a few options as a segmented control, with the label above it a form field has (the
 * control has none of its own, so the label names it for a screen reader) and what the chosen option
 * means below.
 */
import { SegmentedControl, Text } from '@mantine/core';
import { type ReactNode, useId } from 'react';

export function ChoiceField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  data: { value: string; label: string }[];
  /** What the chosen option means. */
  description?: ReactNode;
}) {
  const id = useId();
  return (
    <div>
      <Text size="sm" fw={500} id={id} mb={4}>
        {props.label}
      </Text>
      <SegmentedControl
        aria-labelledby={id}
        value={props.value}
        onChange={props.onChange}
        data={props.data}
      />
      {props.description !== undefined && (
        <Text size="xs" c="dimmed" mt={4}>
          {props.description}
        </Text>
      )}
    </div>
  );
}
