/**
 * REST API logs: the tenant's requests through the gateway, newest first, filtered on the server and
 * paged by its cursor; and one request by its id, the `requestId` a denied caller finds in the 403 body.
 * The detail has its own path (…/requests/<id>), so a link to it can be shared.
 */

import { canonicalAddress, type DecisionReason, decisionReasons, isIpGateError } from '@ipgate/core';
import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Loader,
  Modal,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { hashKey, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, unwrap } from '../api/client';
import { FilterForm } from '../parts/filter-form';
import { LinkButton } from '../parts/link-button';
import { ListState } from '../parts/list-state';
import { nameOf, useApis, useTenantKeys } from '../parts/lookups';
import { usePaged } from '../parts/pager';
import { formatTime, fromLocalInput } from '../parts/time';
import { navigate, usePath } from '../router';
import type { SessionInfo } from '../session';

const PAGE_SIZE = 50;

type Decision = 'allow' | 'deny' | 'would-deny';

interface Filters {
  decision: Decision | null;
  keyId: string | null;
  apiId: string | null;
  client: string;
  since: string;
  until: string;
}

const NO_FILTERS: Filters = { decision: null, keyId: null, apiId: null, client: '', since: '', until: '' };

const DECISIONS: Record<Decision, { label: string; color: string; text: string }> = {
  // Filled, in shades whose text stays above 4.5:1 contrast (WCAG AA), also on a striped row.
  allow: { label: 'Allowed', color: 'teal.9', text: 'white' },
  deny: { label: 'Denied', color: 'red.9', text: 'white' },
  'would-deny': { label: 'Would deny', color: 'yellow.4', text: 'dark.9' },
};

/** Why a client filter is not an address (core's words), or undefined when it is one or empty. */
function clientProblem(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  try {
    canonicalAddress(text.trim());
    return undefined;
  } catch (e) {
    return isIpGateError(e) ? e.message : String(e);
  }
}

/** The sentence for a decision reason, when core knows it. */
function reasonText(reason: string | null): string | undefined {
  if (reason === null) return undefined;
  return (decisionReasons as Record<string, string>)[reason as DecisionReason];
}

function DecisionBadge(props: { decision: Decision }) {
  const d = DECISIONS[props.decision];
  return (
    <Badge color={d.color} c={d.text} variant="filled">
      {d.label}
    </Badge>
  );
}

type Named = Parameters<typeof nameOf>[0];

function RequestDetail(props: { tenantId: string; requestId: string; keys: Named; apis: Named }) {
  const { tenantId, requestId } = props;
  const detail = useQuery({
    queryKey: ['request', tenantId, requestId],
    queryFn: async () =>
      unwrap(
        await api.GET('/v1/tenants/{tenantId}/requests/{requestId}', {
          params: { path: { tenantId, requestId } },
        }),
      ),
    retry: (count, e) => !(e instanceof ApiError && e.status === 404) && count < 2,
  });
  if (detail.isPending) return <Loader size="sm" aria-label="Loading the request" />;
  if (detail.error !== null) {
    const missing = detail.error instanceof ApiError && detail.error.status === 404;
    return (
      <Alert color={missing ? 'yellow' : 'red'} role="alert" title={missing ? 'No such request' : 'Not read'}>
        {missing
          ? `No request ${requestId} of this tenant is in the log. A request is logged about a second after it is answered, and kept for the retention period.`
          : detail.error.message}
      </Alert>
    );
  }
  const r = detail.data;
  const rows: [string, React.ReactNode][] = [
    ['Request id', <Code key="id">{r.requestId}</Code>],
    ['Time', formatTime(r.at)],
    ['Request', `${r.method} ${r.path}`],
    ['Status', r.status],
    ['Decision', <DecisionBadge key="d" decision={r.decision} />],
    ['Stage', r.stage ?? '—'],
    [
      'Reason',
      r.reason === null ? (
        '—'
      ) : (
        <>
          {reasonText(r.reason) ?? ''} <Code>{r.reason}</Code>
        </>
      ),
    ],
    ['Client address', r.client ?? '—'],
    ['Key', nameOf(props.keys, r.keyId)],
    ['API', nameOf(props.apis, r.apiId)],
    ['Origin', r.origin ?? '—'],
    ['Latency', `${r.latencyMs} ms`],
  ];
  return (
    <Table aria-label={`Request ${r.requestId}`} data-testid="request-detail">
      <Table.Tbody>
        {rows.map(([label, value]) => (
          <Table.Tr key={label}>
            <Table.Th scope="row" w={160}>
              {label}
            </Table.Th>
            <Table.Td>{value}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export default function RequestsPage(props: { tenantId: string; session: SessionInfo }) {
  const { tenantId, session } = props;
  const allTenants = session.user.tenantId === null;
  const base = `/t/${tenantId}/requests`;
  const path = usePath();
  const opened = path.startsWith(`${base}/`) ? decodeURIComponent(path.slice(base.length + 1)) : null;
  const keys = useTenantKeys(tenantId);
  const apis = useApis(allTenants);
  // What the form holds, and what the table shows (applied on "Apply filters").
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [lookup, setLookup] = useState('');
  const [clientError, setClientError] = useState<string | undefined>(undefined);

  // Other filters are another list, whose pages start again at the newest.
  const {
    query: list,
    pager,
    reset,
  } = usePaged(
    ['requests', tenantId, filters],
    async (cursor) => {
      const query = {
        limit: PAGE_SIZE,
        ...(cursor === undefined ? {} : { cursor }),
        ...(filters.decision === null ? {} : { decision: filters.decision }),
        ...(filters.keyId === null ? {} : { keyId: filters.keyId }),
        ...(filters.apiId === null ? {} : { apiId: filters.apiId }),
        ...(filters.client.trim() === '' ? {} : { client: filters.client.trim() }),
        ...(filters.since === '' ? {} : { since: fromLocalInput(filters.since) }),
        ...(filters.until === '' ? {} : { until: fromLocalInput(filters.until) }),
      };
      return unwrap(
        await api.GET('/v1/tenants/{tenantId}/requests', { params: { path: { tenantId }, query } }),
      );
    },
    { previousLabel: 'Newer', nextLabel: 'Older', label: 'Pages of the log' },
  );
  const filterError = list.error instanceof ApiError ? list.error : null;
  const fieldError = (field: string) =>
    filterError !== null && filterError.field === field ? filterError.message : undefined;

  const apply = (next: Filters) => {
    // The log keeps addresses in canonical form: a filter that is not an address would match nothing.
    const problem = clientProblem(next.client);
    setClientError(problem);
    if (problem !== undefined) return;
    const applied = {
      ...next,
      client: next.client.trim() === '' ? '' : canonicalAddress(next.client.trim()),
    };
    // Other filters are another key, which the pager starts at its first page by itself; the same
    // filters applied again go back to the newest page too.
    if (hashKey([applied]) === hashKey([filters])) reset();
    setFilters(applied);
  };
  const set = <K extends keyof Filters>(k: K, v: Filters[K]) => setDraft({ ...draft, [k]: v });
  const items = list.data?.items ?? [];

  return (
    <Stack>
      <Title order={1}>REST API logs</Title>
      <Text size="sm">
        Every call through the gateway with this tenant’s keys, newest first: what was asked, from where, and
        what the gateway decided. A denied caller gets a <Code>requestId</Code> in the 403 body; look it up
        here.
      </Text>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (lookup.trim() !== '') navigate(`${base}/${encodeURIComponent(lookup.trim())}`);
        }}
      >
        <Group align="flex-end">
          <TextInput
            label="Request id"
            placeholder="The requestId of a 403 body"
            value={lookup}
            onChange={(e) => setLookup(e.currentTarget.value)}
            w={360}
          />
          <Button type="submit" variant="default">
            Open
          </Button>
        </Group>
      </form>
      <FilterForm
        range={draft}
        onRange={set}
        fieldError={fieldError}
        onApply={() => apply(draft)}
        onClear={() => {
          setDraft(NO_FILTERS);
          apply(NO_FILTERS);
        }}
        actions={
          <Button variant="default" onClick={() => void list.refetch()} loading={list.isFetching}>
            Refresh
          </Button>
        }
      >
        <Select
          label="Decision"
          placeholder="Any"
          data={Object.entries(DECISIONS).map(([value, d]) => ({ value, label: d.label }))}
          value={draft.decision}
          onChange={(v) => set('decision', v as Decision | null)}
          clearable
          w={150}
        />
        <Select
          label="Key"
          placeholder={keys.isPending ? 'Loading…' : 'Any'}
          data={(keys.data ?? []).map((k) => ({ value: k.id, label: `${k.name} (${k.prefix}…)` }))}
          value={draft.keyId}
          onChange={(v) => set('keyId', v)}
          error={fieldError('keyId')}
          clearable
          searchable
          w={220}
        />
        {allTenants && (
          <Select
            label="API"
            placeholder={apis.isPending ? 'Loading…' : 'Any'}
            data={(apis.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
            value={draft.apiId}
            onChange={(v) => set('apiId', v)}
            error={fieldError('apiId')}
            clearable
            searchable
            w={180}
          />
        )}
        <TextInput
          label="Client address"
          placeholder="Any"
          value={draft.client}
          onChange={(e) => set('client', e.currentTarget.value)}
          error={clientError ?? fieldError('client')}
          w={180}
        />
      </FilterForm>
      <ListState
        query={list}
        loadingLabel="Loading the log"
        failedTitle="The log could not be read"
        isEmpty={items.length === 0}
        empty={
          filters === NO_FILTERS
            ? 'No request yet. Calls through the gateway with this tenant’s keys appear here about a second after they are answered.'
            : 'No request matches these filters.'
        }
      >
        <Table striped highlightOnHover aria-label="Requests">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Time</Table.Th>
              <Table.Th>Method</Table.Th>
              <Table.Th>Path</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Client address</Table.Th>
              <Table.Th>Key</Table.Th>
              <Table.Th>Decision</Table.Th>
              <Table.Th>Reason</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((r) => (
              <Table.Tr key={r.requestId} data-request-id={r.requestId}>
                <Table.Td>
                  <LinkButton
                    fz="sm"
                    onClick={() => navigate(`${base}/${encodeURIComponent(r.requestId)}`)}
                    aria-label={`Request ${r.requestId}`}
                  >
                    {formatTime(r.at)}
                  </LinkButton>
                </Table.Td>
                <Table.Td>{r.method}</Table.Td>
                <Table.Td ff="monospace" fz="sm">
                  {r.path}
                </Table.Td>
                <Table.Td>{r.status}</Table.Td>
                <Table.Td ff="monospace" fz="sm">
                  {r.client ?? '—'}
                </Table.Td>
                <Table.Td fz="sm">
                  {r.keyId === null ? '—' : (keys.data?.find((k) => k.id === r.keyId)?.name ?? r.keyId)}
                </Table.Td>
                <Table.Td>
                  <DecisionBadge decision={r.decision} />
                </Table.Td>
                <Table.Td fz="sm" title={reasonText(r.reason)}>
                  {r.reason ?? '—'}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ListState>
      {pager}
      <Modal opened={opened !== null} onClose={() => navigate(base)} title="Request" size="lg">
        {opened !== null && (
          <RequestDetail tenantId={tenantId} requestId={opened} keys={keys.data} apis={apis.data} />
        )}
      </Modal>
    </Stack>
  );
}
