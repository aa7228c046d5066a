/**
 * APIs: the upstreams the gateway protects, and for the chosen one "Security → IP Whitelist": the
 * addresses that may reach it at all, whatever the key. An empty whitelist lets every source in, so
 * the first entry locks the API down: the page says so and shows the console's own address first.
 */
import { Alert, Stack, Table, Text, Title } from '@mantine/core';
import { useMemo, useState } from 'react';
import { api, ifMatch, unwrap } from '../api/client';
import { letsIn } from '../parts/entry-coverage';
import { entryListAdapter } from '../parts/entry-routes';
import { IpList, type IpListAdapter, useFirstPage } from '../parts/ip-list';
import { LinkButton } from '../parts/link-button';
import { ListState } from '../parts/list-state';
import { usePaged } from '../parts/pager';
import { canEdit, type SessionInfo } from '../session';

/** How the IP list part reaches an API's allowlist. */
export function apiListAdapter(apiId: string): IpListAdapter {
  const path = { apiId };
  return entryListAdapter({
    key: ['api-entries', apiId],
    // An empty whitelist lets every source in: the first entry in force locks the API down.
    openWhileEmpty: true,
    list: async (cursor, limit) =>
      unwrap(
        await api.GET('/v1/apis/{apiId}/allowlist/entries', {
          params: { path, query: cursor === undefined ? { limit } : { limit, cursor } },
        }),
      ),
    get: async (entryId) =>
      unwrap(
        await api.GET('/v1/apis/{apiId}/allowlist/entries/{entryId}', {
          params: { path: { ...path, entryId } },
        }),
      ),
    post: async (f, options) =>
      unwrap(
        await api.POST('/v1/apis/{apiId}/allowlist/entries', {
          params: { path },
          body: { value: f.value, name: f.name, enabled: f.enabled, expiresAt: f.expiresAt, ...options },
        }),
      ),
    patch: async (entry, patch, options) =>
      unwrap(
        await api.PATCH('/v1/apis/{apiId}/allowlist/entries/{entryId}', {
          params: { path: { ...path, entryId: entry.id }, header: ifMatch(entry.version) },
          body: { ...patch, ...options },
        }),
      ),
    delete: async (entry, options) =>
      unwrap(
        await api.DELETE('/v1/apis/{apiId}/allowlist/entries/{entryId}', {
          params: { path: { ...path, entryId: entry.id }, header: ifMatch(entry.version), query: options },
        }),
      ),
  });
}

function Whitelist(props: { apiId: string; apiName: string; session: SessionInfo }) {
  const { apiId, session } = props;
  const editable = canEdit(session);
  const adapter = useMemo(() => apiListAdapter(apiId), [apiId]);
  const firstPage = useFirstPage(adapter);
  const entries = firstPage.data?.items ?? [];
  // An empty whitelist lets everyone in: there is nothing to say about the console's own address.
  const own = entries.length === 0 ? undefined : letsIn(entries, session.clientAddress);
  return (
    <Stack>
      <Title order={2} size="h3">
        Security → IP Whitelist: {props.apiName}
      </Title>
      <Text size="sm">
        Only these source addresses may reach this API, whatever key they present; this is checked before the
        key and the tenant’s list. With no IPs configured, all source IPs are allowed.
      </Text>
      {firstPage.data !== undefined && entries.length === 0 && (
        <Alert color="blue" title="No IPs configured" data-testid="whitelist-empty">
          With no IPs configured, all source IPs are allowed.
          {session.clientAddress !== null && (
            <>
              {' '}
              Add your own IP first (<strong>{session.clientAddress}</strong>, as the server sees it) before
              you lock the API down: once the list has an entry, only listed addresses get through.
            </>
          )}
        </Alert>
      )}
      {own === false && (
        <Alert color="orange" title="Your IP is not on this whitelist" data-testid="whitelist-own">
          Calls from <strong>{session.clientAddress}</strong> (your address, as the server sees it) to this
          API are denied.
        </Alert>
      )}
      {!editable && (
        <Text size="sm" c="dimmed">
          You can read this whitelist; changing it needs write access (the editor or owner role).
        </Text>
      )}
      <IpList
        adapter={adapter}
        canEdit={editable}
        clientAddress={session.clientAddress}
        emptyText="No IPs configured: all source IPs are allowed."
        addLabel="Add IP"
      />
    </Stack>
  );
}

export default function ApisPage(props: { session: SessionInfo }) {
  const { query, pager } = usePaged(['apis'], async (cursor) =>
    unwrap(
      await api.GET('/v1/apis', {
        params: { query: cursor === undefined ? { limit: 50 } : { limit: 50, cursor } },
      }),
    ),
  );
  const items = query.data?.items ?? [];
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const selected = items.find((a) => a.id === selectedId) ?? items[0];
  return (
    <Stack>
      <Title order={1}>APIs</Title>
      <Text size="sm">
        The upstreams the gateway protects, for every tenant. Click an API’s name to see its IP whitelist.
      </Text>
      <ListState
        query={query}
        loadingLabel="Loading the APIs"
        failedTitle="The APIs could not be read"
        isEmpty={items.length === 0}
        empty="No API yet. Add one with POST /v1/apis or `ipgate apis create`."
      >
        <Table striped highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Host</Table.Th>
              <Table.Th>Path</Table.Th>
              <Table.Th>Upstream</Table.Th>
              <Table.Th>Whitelist enforced</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((a) => (
              <Table.Tr key={a.id} aria-selected={a.id === selected?.id}>
                <Table.Td>
                  <LinkButton
                    selected={a.id === selected?.id}
                    onClick={() => setSelectedId(a.id)}
                    aria-label={`IP Whitelist of ${a.name}`}
                  >
                    {a.name}
                  </LinkButton>
                </Table.Td>
                <Table.Td>{a.host ?? 'any'}</Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace">
                    {a.pathPrefix}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace">
                    {a.upstreamUrl}
                  </Text>
                </Table.Td>
                <Table.Td>{a.enforce ? 'yes' : 'report only'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ListState>
      {pager}
      {selected !== undefined && (
        <Whitelist key={selected.id} apiId={selected.id} apiName={selected.name} session={props.session} />
      )}
    </Stack>
  );
}
