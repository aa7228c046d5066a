/**
 * Bulk paste into a tenant's IP list: one entry per line, a name after it. The server previews the paste
 * first (nothing written): each line's canonical form or the reason it is bad, what replace would remove,
 * and how the last day's traffic would have been decided with it. Import then sends the same text with
 * the preview's basis, so it applies only to the list the person saw.
 */
import { Alert, Badge, Button, Group, Modal, Stack, Table, Text, Textarea } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, unwrap } from '../api/client';
import { ChoiceField } from './choice-field';

type ImportBody = {
  content: string;
  mode: 'merge' | 'replace';
  preview?: boolean;
  dryRun?: boolean;
  basis?: string;
  confirmLockout?: boolean;
};

async function send(tenantId: string, body: ImportBody) {
  return unwrap(
    await api.POST('/v1/tenants/{tenantId}/ip-restriction/entries/import', {
      params: { path: { tenantId } },
      body: { format: 'text', ...body },
    }),
  );
}

type Answer = Awaited<ReturnType<typeof send>>;
type Preview = Extract<Answer, { preview: true }>;

function isPreview(a: Answer): a is Preview {
  return 'preview' in a && a.preview === true;
}

const ACTIONS: Record<string, { label: string; color: string; text: string }> = {
  add: { label: 'Add', color: 'teal.9', text: 'white' },
  update: { label: 'Update', color: 'indigo.8', text: 'white' },
  unchanged: { label: 'Unchanged', color: 'gray.2', text: 'dark.9' },
  invalid: { label: 'Bad line', color: 'red.9', text: 'white' },
};

/** The sentence on what the change would have done to recent traffic. */
function ImpactText(props: { impact: NonNullable<Preview['impact']> }) {
  const { allowedToDenied: lost, deniedToAllowed: gained, requests } = props.impact;
  return (
    <Alert
      color={lost.requests > 0 ? 'orange' : 'blue'}
      title="Impact on the last 24 hours"
      data-testid="import-impact"
    >
      {lost.requests > 0
        ? `This change would have denied ${lost.requests} request${lost.requests === 1 ? '' : 's'} from ${lost.addresses} address${lost.addresses === 1 ? '' : 'es'} that were allowed (e.g. ${lost.topAddresses.map((a) => a.address).join(', ')}).`
        : 'This change would have denied none of the requests that were allowed.'}{' '}
      {gained.requests > 0
        ? `It would have allowed ${gained.requests} request${gained.requests === 1 ? '' : 's'} that were denied.`
        : ''}{' '}
      ({requests.decided} recorded requests decided again.)
    </Alert>
  );
}

export function BulkImportModal(props: {
  tenantId: string;
  opened: boolean;
  onClose: () => void;
  /** After an import: refresh what shows the list. */
  onImported: (summary: string) => void;
  clientAddress: string | null;
}) {
  const { tenantId } = props;
  const [content, setContent] = useState('');
  const [mode, setMode] = useState<'merge' | 'replace'>('merge');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [lockout, setLockout] = useState<string | null>(null);

  const reset = () => {
    setPreview(null);
    setLockout(null);
  };
  const check = useMutation({
    mutationFn: async () => send(tenantId, { content, mode, preview: true, dryRun: true }),
    onMutate: reset,
    onSuccess: (a) => {
      if (isPreview(a)) setPreview(a);
    },
  });
  const apply = useMutation({
    mutationFn: async (confirmLockout: boolean) =>
      send(tenantId, { content, mode, basis: preview?.basis as string, confirmLockout }),
    onSuccess: (a) => {
      if (isPreview(a) || !('summary' in a)) return;
      const s = a.summary;
      setContent('');
      reset();
      props.onImported(
        `Imported: ${s.add} added, ${s.update} updated, ${s.unchanged} unchanged, ${s.remove} removed. The list holds ${a.count}.`,
      );
    },
    onError: (e) => {
      if (e instanceof ApiError && e.code === 'IPG_SELF_LOCKOUT') setLockout(e.message);
    },
  });

  const bad = preview?.lines.filter((l) => l.action === 'invalid') ?? [];
  const ready = preview !== null && bad.length === 0 && preview.problems.length === 0;
  const error =
    check.error ??
    (apply.error instanceof ApiError && apply.error.code === 'IPG_SELF_LOCKOUT' ? null : apply.error);

  return (
    <Modal opened={props.opened} onClose={props.onClose} title="Bulk paste" size="xl">
      <Stack>
        <Textarea
          label="Entries, one per line"
          description="An address or range, then a name after a space: 203.0.113.7 office. Lines starting with # are comments. Up to 1,000 entries."
          autosize
          minRows={5}
          maxRows={14}
          value={content}
          onChange={(e) => {
            setContent(e.currentTarget.value);
            reset();
          }}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          data-autofocus
        />
        <ChoiceField
          label="Mode"
          value={mode}
          onChange={(v) => {
            setMode(v as 'merge' | 'replace');
            reset();
          }}
          data={[
            { value: 'merge', label: 'Add to the list' },
            { value: 'replace', label: 'Replace the list' },
          ]}
          description={
            mode === 'merge'
              ? 'Entries already listed take the name given here; the others stay.'
              : 'The list becomes exactly these entries: the others are removed.'
          }
        />
        {error !== null && error !== undefined && (
          <Alert
            color="red"
            role="alert"
            title={
              error instanceof ApiError && error.code === 'IPG_VERSION_CONFLICT'
                ? 'The list changed since the preview'
                : 'Not imported'
            }
          >
            {error.message}
            {error instanceof ApiError && error.code === 'IPG_VERSION_CONFLICT'
              ? ' Preview again to see it as it is now.'
              : ''}
          </Alert>
        )}
        {preview !== null && (
          <Stack gap="xs" data-testid="import-preview">
            <Text size="sm" fw={600}>
              Preview: {preview.summary.add} to add, {preview.summary.update} to update,{' '}
              {preview.summary.unchanged} unchanged, {preview.summary.remove} to remove
              {bad.length > 0 ? `, ${bad.length} bad line${bad.length === 1 ? '' : 's'}` : ''}. The list would
              hold {preview.count}
              {preview.limit === null ? '' : ` of ${preview.limit}`}.
            </Text>
            {bad.length > 0 && (
              <Alert color="red" role="alert" title="Fix the marked lines">
                Nothing is imported while a line is bad: the import is all or nothing.
              </Alert>
            )}
            {preview.problems
              .filter((p) => !bad.some((l) => l.error?.message === p.message))
              .map((p) => (
                <Alert key={p.message} color="red" role="alert">
                  {p.message}
                </Alert>
              ))}
            <Table aria-label="Preview of the pasted lines">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Line</Table.Th>
                  <Table.Th>Entry</Table.Th>
                  <Table.Th>Result</Table.Th>
                  <Table.Th>Notes</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {preview.lines.map((l) => {
                  const a = ACTIONS[l.action] ?? { label: l.action, color: 'gray.2', text: 'dark.9' };
                  return (
                    <Table.Tr
                      key={l.line}
                      data-line={l.line}
                      data-action={l.action}
                      bg={l.action === 'invalid' ? 'red.0' : undefined}
                    >
                      <Table.Td>{l.line}</Table.Td>
                      <Table.Td ff="monospace" fz="sm">
                        {l.value}
                        {l.canonical !== null && l.canonical !== l.value && (
                          <Text size="xs" c="dimmed" ff="monospace">
                            stored as {l.canonical}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Badge color={a.color} c={a.text} variant="filled">
                          {a.label}
                        </Badge>
                      </Table.Td>
                      <Table.Td fz="sm">
                        {l.error !== null && (
                          <Text size="sm" c="red.9">
                            {l.error.message}
                            {l.error.hint === undefined ? '' : ` ${l.error.hint}`}
                          </Text>
                        )}
                        {l.changes.length > 0 && <Text size="sm">Changes: {l.changes.join(', ')}</Text>}
                        {l.warnings.map((w) => (
                          <Text key={w.code} size="sm">
                            {w.message}
                          </Text>
                        ))}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
            {preview.removed.length > 0 && (
              <Alert color="orange" title={`${preview.removed.length} entries would be removed`}>
                {preview.removed.map((r) => `${r.name || r.canonical} (${r.canonical})`).join(', ')}
              </Alert>
            )}
            {preview.impact !== undefined && <ImpactText impact={preview.impact} />}
          </Stack>
        )}
        {lockout !== null && (
          <Alert color="orange" role="alert" title="This would lock you out">
            {lockout} You are using the console from{' '}
            <strong>{props.clientAddress ?? 'an unknown address'}</strong>, as the server sees it.
            <Group mt="xs">
              <Button color="red.9" size="xs" onClick={() => apply.mutate(true)} loading={apply.isPending}>
                Import anyway
              </Button>
            </Group>
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
            Cancel
          </Button>
          <Button
            variant="default"
            onClick={() => check.mutate()}
            loading={check.isPending}
            disabled={content.trim() === ''}
          >
            Preview
          </Button>
          <Button onClick={() => apply.mutate(false)} loading={apply.isPending} disabled={!ready}>
            Import
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
