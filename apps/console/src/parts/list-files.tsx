/**
 * The file actions above a tenant's IP list: Bulk paste (editors and owners) and Export CSV (everyone).
 */
import { Button, Group, Stack } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { BulkImportModal } from './bulk-import';
import { downloadTenantCsv } from './export-list';
import { Notice, type NoticeText } from './notice';

export function ListFileActions(props: {
  tenantId: string;
  editable: boolean;
  clientAddress: string | null;
  /** What to read again after an import. */
  invalidate: readonly (readonly unknown[])[];
}) {
  const client = useQueryClient();
  const [bulk, setBulk] = useState(false);
  const [notice, setNotice] = useState<NoticeText | null>(null);
  const exportCsv = useMutation({
    mutationFn: () => downloadTenantCsv(props.tenantId),
    onMutate: () => setNotice(null),
    onSuccess: (count) => setNotice({ color: 'green', text: `Exported ${count} entries as CSV.` }),
    onError: (e) => setNotice({ color: 'red', text: e.message }),
  });
  return (
    <Stack gap="xs">
      <Group gap="sm">
        {props.editable && (
          <Button variant="default" onClick={() => setBulk(true)}>
            Bulk paste
          </Button>
        )}
        <Button variant="default" onClick={() => exportCsv.mutate()} loading={exportCsv.isPending}>
          Export CSV
        </Button>
      </Group>
      <Notice notice={notice} onDismiss={() => setNotice(null)} />
      {props.editable && (
        <BulkImportModal
          tenantId={props.tenantId}
          opened={bulk}
          onClose={() => setBulk(false)}
          clientAddress={props.clientAddress}
          onImported={(summary) => {
            setBulk(false);
            setNotice({ color: 'green', text: summary });
            for (const key of props.invalidate) void client.invalidateQueries({ queryKey: key });
          }}
        />
      )}
    </Stack>
  );
}
