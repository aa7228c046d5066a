/**
 * Audit log: every change to the tenant's configuration, newest first, with who made it (the token's
 * or user's name now, and its stable id) and what the entity was before and after. Filters go to the
 * server and the log pages through its cursor.
 */
import { Button, Code, Modal, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { hashKey } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, unwrap } from '../api/client';
import { FilterForm } from '../parts/filter-form';
import { LinkButton } from '../parts/link-button';
import { ListState } from '../parts/list-state';
import { usePaged } from '../parts/pager';
import { formatTime, fromLocalInput } from '../parts/time';
import type { SessionInfo } from '../session';

const PAGE_SIZE = 50;

interface Filters {
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  since: string;
  until: string;
}

const NO_FILTERS: Filters = { actor: '', action: '', targetType: '', targetId: '', since: '', until: '' };

/** The filters typed as text, in the form's order. */
const TEXT_FILTERS: readonly {
  field: 'actor' | 'action' | 'targetType' | 'targetId';
  label: string;
  placeholder?: string;
  width: number;
}[] = [
  { field: 'actor', label: 'Actor', placeholder: 'token:prn_…', width: 200 },
  { field: 'action', label: 'Action', placeholder: 'tenant.ip_entry.added', width: 220 },
  { field: 'targetType', label: 'Target type', placeholder: 'tenant_ip_entry', width: 170 },
  { field: 'targetId', label: 'Target id', width: 200 },
];

type AuditEvent = Awaited<ReturnType<typeof listPage>>['items'][number];

async function listPage(tenantId: string, filters: Filters, cursor: string | undefined) {
  const text = (v: string) => (v.trim() === '' ? undefined : v.trim());
  const query = {
    limit: PAGE_SIZE,
    cursor,
    actor: text(filters.actor),
    action: text(filters.action),
    targetType: text(filters.targetType),
    targetId: text(filters.targetId),
    since: filters.since === '' ? undefined : fromLocalInput(filters.since),
    until: filters.until === '' ? undefined : fromLocalInput(filters.until),
  };
  // Absent, not undefined: the query string carries only the filters set.
  const defined = Object.fromEntries(
    Object.entries(query).filter(([, v]) => v !== undefined),
  ) as typeof query;
  return unwrap(
    await api.GET('/v1/tenants/{tenantId}/audit-events', { params: { path: { tenantId }, query: defined } }),
  );
}

/** Who acted, as a person reads it: the name now, or the id when the token or user is gone. */
function actorLabel(e: AuditEvent): string {
  if (e.actorName !== null && e.actorName !== undefined) return e.actorName;
  return e.actor.startsWith('token:') || e.actor.startsWith('user:') ? `${e.actor} (deleted)` : e.actor;
}

function Json(props: { label: string; value: unknown }) {
  return (
    <div>
      <Text size="sm" fw={600}>
        {props.label}
      </Text>
      {props.value === null || props.value === undefined ? (
        <Text size="sm" c="dimmed">
          —
        </Text>
      ) : (
        // Focusable, so a keyboard can scroll a long entity too.
        <Code block tabIndex={0} aria-label={props.label} mah={260} style={{ overflow: 'auto' }}>
          {JSON.stringify(props.value, null, 2)}
        </Code>
      )}
    </div>
  );
}

export default function AuditPage(props: { tenantId: string; session: SessionInfo }) {
  const { tenantId } = props;
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [shown, setShown] = useState<AuditEvent | null>(null);

  // Other filters are another list, whose pages start again at the newest.
  const {
    query: list,
    pager,
    reset,
  } = usePaged(['audit', tenantId, filters], (cursor) => listPage(tenantId, filters, cursor), {
    previousLabel: 'Newer',
    nextLabel: 'Older',
    label: 'Pages of the audit log',
    retry: (count, e) => !(e instanceof ApiError && e.status < 500) && count < 2,
  });
  const error = list.error instanceof ApiError ? list.error : null;
  const fieldError = (field: string) => (error !== null && error.field === field ? error.message : undefined);
  const apply = (next: Filters) => {
    // Other filters are another key, which the pager starts at its first page by itself; the same
    // filters applied again go back to the newest page too.
    if (hashKey([next]) === hashKey([filters])) reset();
    setFilters(next);
  };
  const set = <K extends keyof Filters>(k: K, v: Filters[K]) => setDraft({ ...draft, [k]: v });
  /** A cell's value as a filter: one click narrows the log to it. */
  const narrow = (patch: Partial<Filters>) => {
    const next = { ...draft, ...patch };
    setDraft(next);
    apply(next);
  };
  const items = list.data?.items ?? [];

  return (
    <Stack>
      <Title order={1}>Audit log</Title>
      <Text size="sm">
        Every change to this tenant’s configuration, newest first: who made it, what and when. Click an action
        to see the entry before and after; click a name or an action to show only those.
      </Text>
      <FilterForm
        range={draft}
        onRange={set}
        fieldError={fieldError}
        onApply={() => apply(draft)}
        onClear={() => {
          setDraft(NO_FILTERS);
          apply(NO_FILTERS);
        }}
      >
        {TEXT_FILTERS.map((f) => (
          <TextInput
            key={f.field}
            label={f.label}
            placeholder={f.placeholder}
            value={draft[f.field]}
            onChange={(e) => set(f.field, e.currentTarget.value)}
            error={fieldError(f.field)}
            w={f.width}
          />
        ))}
      </FilterForm>
      <ListState
        query={list}
        loadingLabel="Loading the audit log"
        failedTitle="The audit log could not be read"
        isEmpty={items.length === 0}
        empty="No change matches these filters."
      >
        <Table striped highlightOnHover aria-label="Audit events">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Time</Table.Th>
              <Table.Th>Who</Table.Th>
              <Table.Th>Action</Table.Th>
              <Table.Th>Target</Table.Th>
              <Table.Th aria-label="Details" />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((e) => (
              <Table.Tr key={e.id} data-audit-id={e.id}>
                <Table.Td fz="xs">{formatTime(e.at)}</Table.Td>
                <Table.Td>
                  <LinkButton
                    fz="sm"
                    onClick={() => narrow({ actor: e.actor })}
                    aria-label={`Only changes by ${actorLabel(e)}`}
                  >
                    {actorLabel(e)}
                  </LinkButton>
                  {actorLabel(e) !== e.actor && (
                    <Text size="xs" c="dimmed" ff="monospace">
                      {e.actor}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <LinkButton
                    fz="sm"
                    onClick={() => narrow({ action: e.action })}
                    aria-label={`Only ${e.action}`}
                  >
                    {e.action}
                  </LinkButton>
                </Table.Td>
                <Table.Td fz="sm">
                  {e.targetType}
                  <Text size="xs" c="dimmed" ff="monospace">
                    {e.targetId}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Button variant="subtle" size="compact-sm" onClick={() => setShown(e)}>
                    Details
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ListState>
      {pager}
      <Modal
        opened={shown !== null}
        onClose={() => setShown(null)}
        title={shown === null ? 'Change' : `${shown.action} by ${actorLabel(shown)}`}
        size="xl"
      >
        {shown !== null && (
          <Stack gap="sm">
            <Text size="sm">
              {formatTime(shown.at)} · {shown.targetType} <Code>{shown.targetId}</Code> · change version{' '}
              {shown.changeVersion}
            </Text>
            <Json label="Before" value={shown.before} />
            <Json label="After" value={shown.after} />
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
