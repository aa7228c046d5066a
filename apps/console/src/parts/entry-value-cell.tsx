/**
 * An entry's value as the person wrote it, and below it the one spelling ipgate stores and compares
 * when that differs (192.168.0/16 is stored as 192.168.0.0/16): what matches is the stored form.
 */
import { Table, Text } from '@mantine/core';

export function EntryValueCell(props: { value: string; canonical: string }) {
  return (
    <Table.Td>
      <Text size="sm" ff="monospace">
        {props.value}
      </Text>
      {props.canonical !== props.value && (
        <Text size="xs" c="dimmed" ff="monospace">
          stored as {props.canonical}
        </Text>
      )}
    </Table.Td>
  );
}
