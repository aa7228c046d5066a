/**
 * API IP Restriction: a tenant's IP list, its mode and how full it is; the address the console is used
 * from, and whether the list lets it in.
 */

import { Alert, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useMemo } from 'react';
import { api, ifMatch, unwrap } from '../api/client';
import { letsIn } from '../parts/entry-coverage';
import { entryListAdapter } from '../parts/entry-routes';
import { IpList, type IpListAdapter, useFirstPage } from '../parts/ip-list';
import { ListFileActions } from '../parts/list-files';
import { RestrictionMode, restrictionKey, useRestriction } from '../parts/restriction-mode';
import { canEdit, type SessionInfo } from '../session';

/** How the IP list part reaches a tenant's IP list. */
export function tenantListAdapter(tenantId: string): IpListAdapter {
  const path = { tenantId };
  return entryListAdapter({
    key: ['tenant-entries', tenantId],
    list: async (cursor, limit) =>
      unwrap(
        await api.GET('/v1/tenants/{tenantId}/ip-restriction/entries', {
          params: { path, query: cursor === undefined ? { limit } : { limit, cursor } },
        }),
      ),
    get: async (entryId) =>
      unwrap(
        await api.GET('/v1/tenants/{tenantId}/ip-restriction/entries/{entryId}', {
          params: { path: { ...path, entryId } },
        }),
      ),
    post: async (f, options) =>
      unwrap(
        await api.POST('/v1/tenants/{tenantId}/ip-restriction/entries', {
          params: { path },
          body: { value: f.value, name: f.name, enabled: f.enabled, expiresAt: f.expiresAt, ...options },
        }),
      ),
    patch: async (entry, patch, options) =>
      unwrap(
        await api.PATCH('/v1/tenants/{tenantId}/ip-restriction/entries/{entryId}', {
          params: { path: { ...path, entryId: entry.id }, header: ifMatch(entry.version) },
          body: { ...patch, ...options },
        }),
      ),
    delete: async (entry, options) =>
      unwrap(
        await api.DELETE('/v1/tenants/{tenantId}/ip-restriction/entries/{entryId}', {
          params: { path: { ...path, entryId: entry.id }, header: ifMatch(entry.version), query: options },
        }),
      ),
  });
}

export default function IpRestrictionPage(props: { tenantId: string; session: SessionInfo }) {
  const { tenantId, session } = props;
  const editable = canEdit(session);
  const adapter = useMemo(() => tenantListAdapter(tenantId), [tenantId]);
  const restriction = useRestriction(tenantId);
  // The first page is enough to say whether the console's own address is listed in most lists.
  const firstPage = useFirstPage(adapter);
  const ownListed = letsIn(firstPage.data?.items ?? [], session.clientAddress);
  const r = restriction.data;
  return (
    <Stack>
      <Title order={1}>API IP Restriction</Title>
      <Text size="sm">
        Only calls from the addresses on this list may use this tenant’s API keys. Add an address or a range;
        click a name to edit it.
      </Text>
      {restriction.isPending ? (
        <Loader size="sm" aria-label="Loading the restriction" />
      ) : r === undefined ? (
        <Alert color="red" role="alert">
          {restriction.error?.message}
        </Alert>
      ) : (
        <Group align="flex-start" gap="xl">
          <RestrictionMode tenantId={tenantId} editable={editable} clientAddress={session.clientAddress} />
          <div>
            <Text size="sm" fw={500}>
              Entries
            </Text>
            <Text data-testid="entries-used">
              {r.entryCount} of {r.ipEntryLimit} used
            </Text>
            <Text size="xs" c="dimmed">
              {r.activeEntryCount} in force (enabled, not expired)
            </Text>
          </div>
        </Group>
      )}
      {session.clientAddress !== null && r !== undefined && r.mode !== 'off' && (
        <Alert
          color={ownListed === false ? 'orange' : 'blue'}
          title={ownListed === false ? 'Your address is not on this list' : 'Your address'}
          data-testid="own-address"
        >
          You are using the console from <strong>{session.clientAddress}</strong> (as the server sees it).{' '}
          {ownListed === false
            ? 'Calls from here with this tenant’s keys are denied. Add it before you rely on the list.'
            : ownListed === true
              ? 'The list allows it; a change that would shut it out asks you first.'
              : ''}
        </Alert>
      )}
      <ListFileActions
        tenantId={tenantId}
        editable={editable}
        clientAddress={session.clientAddress}
        invalidate={[adapter.key, restrictionKey(tenantId)]}
      />
      <IpList
        adapter={adapter}
        canEdit={editable}
        clientAddress={session.clientAddress}
        alsoInvalidate={[restrictionKey(tenantId)]}
        emptyText="No addresses yet: in manual mode every call with this tenant’s keys is denied until you add one."
        addLabel="Add"
      />
    </Stack>
  );
}
