/**
 * API IP Restriction: a tenant's IP list, its mode and how full it is; the address the console is used
 * from, and whether the list lets it in.
 */

import { IpSet } from '@ipgate/core';
import { Alert, Group, Loader, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { ApiError, api, ifMatch, unwrap } from '../api/client';
import { ConfirmModal } from '../parts/confirm-modal';
import { IpList, type IpListAdapter } from '../parts/ip-list';
import type { IpEntry, IpEntryWithWarnings } from '../parts/types';
import { canEdit, type SessionInfo } from '../session';

const MODES = {
  off: 'Off: every address may use this tenant’s keys.',
  manual: 'Manual: only the addresses listed here; an unlisted address is denied and waits for review.',
  auto: 'Auto: as manual, and new addresses are assessed and may be authorized automatically.',
} as const;

type Mode = keyof typeof MODES;

export function tenantListAdapter(tenantId: string): IpListAdapter {
  const path = { tenantId };
  return {
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
    add: async (f, confirmLockout) =>
      unwrap(
        await api.POST('/v1/tenants/{tenantId}/ip-restriction/entries', {
          params: { path },
          body: { value: f.value, name: f.name, enabled: f.enabled, expiresAt: f.expiresAt, confirmLockout },
        }),
      ) as IpEntryWithWarnings,
    update: async (entry, patch, confirmLockout) =>
      unwrap(
        await api.PATCH('/v1/tenants/{tenantId}/ip-restriction/entries/{entryId}', {
          params: { path: { ...path, entryId: entry.id }, header: ifMatch(entry.version) },
          body: { ...patch, confirmLockout },
        }),
      ) as IpEntry,
    remove: async (entry, confirmLockout) => {
      unwrap(
        await api.DELETE('/v1/tenants/{tenantId}/ip-restriction/entries/{entryId}', {
          params: {
            path: { ...path, entryId: entry.id },
            header: ifMatch(entry.version),
            query: confirmLockout ? { confirmLockout: true } : {},
          },
        }),
      );
    },
  };
}

/** Whether the list as loaded lets the address in (enabled, unexpired entries). */
function listed(entries: readonly IpEntry[], address: string | null): boolean | undefined {
  if (address === null) return undefined;
  const now = Date.now();
  const active = entries.filter((e) => e.enabled && (e.expiresAt === null || Date.parse(e.expiresAt) > now));
  try {
    return IpSet.from(active.map((e) => e.canonical)).has(address);
  } catch {
    return undefined;
  }
}

export default function IpRestrictionPage(props: { tenantId: string; session: SessionInfo }) {
  const { tenantId, session } = props;
  const client = useQueryClient();
  const editable = canEdit(session);
  const adapter = useMemo(() => tenantListAdapter(tenantId), [tenantId]);
  const restrictionKey = ['ip-restriction', tenantId];
  const restriction = useQuery({
    queryKey: restrictionKey,
    queryFn: async () =>
      unwrap(await api.GET('/v1/tenants/{tenantId}/ip-restriction', { params: { path: { tenantId } } })),
  });
  // The first page is enough to say whether the console's own address is listed in most lists.
  const firstPage = useQuery({
    queryKey: [...adapter.key, undefined],
    queryFn: () => adapter.list(undefined, 50),
  });
  const ownListed = listed(firstPage.data?.items ?? [], session.clientAddress);
  const [modeLockout, setModeLockout] = useState<{ mode: Mode; message: string } | null>(null);
  const [modeError, setModeError] = useState<string | null>(null);

  const setMode = useMutation({
    mutationFn: async (input: { mode: Mode; confirm: boolean }) => {
      const version = restriction.data?.version ?? 0;
      return unwrap(
        await api.PATCH('/v1/tenants/{tenantId}/ip-restriction', {
          params: { path: { tenantId }, header: ifMatch(version) },
          body: { mode: input.mode, confirmLockout: input.confirm },
        }),
      );
    },
    onMutate: () => setModeError(null),
    onSuccess: async () => {
      setModeLockout(null);
      await client.invalidateQueries({ queryKey: restrictionKey });
    },
    onError: (e, input) => {
      if (e instanceof ApiError && e.code === 'IPG_SELF_LOCKOUT')
        setModeLockout({ mode: input.mode, message: e.message });
      else setModeError(e instanceof ApiError ? e.message : String(e));
      void client.invalidateQueries({ queryKey: restrictionKey });
    },
  });

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
          <div>
            <Text size="sm" fw={500} id="mode-label">
              Restriction mode
            </Text>
            {editable ? (
              <SegmentedControl
                aria-labelledby="mode-label"
                value={r.mode}
                onChange={(m) => setMode.mutate({ mode: m as Mode, confirm: false })}
                data={[
                  { value: 'off', label: 'Off' },
                  { value: 'manual', label: 'Manual' },
                  { value: 'auto', label: 'Auto' },
                ]}
              />
            ) : (
              <Text>{r.mode}</Text>
            )}
            <Text size="xs" c="dimmed" maw={420}>
              {MODES[r.mode]}
            </Text>
            {modeError !== null && (
              <Text size="sm" c="red.8" role="alert">
                {modeError}
              </Text>
            )}
          </div>
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
      <IpList
        adapter={adapter}
        canEdit={editable}
        clientAddress={session.clientAddress}
        alsoInvalidate={[restrictionKey]}
        emptyText="No addresses yet: in manual mode every call with this tenant’s keys is denied until you add one."
        addLabel="Add"
      />
      <ConfirmModal
        opened={modeLockout !== null}
        title="This would lock you out"
        confirmLabel="Change the mode anyway"
        danger
        busy={setMode.isPending}
        onConfirm={() => modeLockout !== null && setMode.mutate({ mode: modeLockout.mode, confirm: true })}
        onCancel={() => setModeLockout(null)}
      >
        {modeLockout?.message} You are using the console from <strong>{session.clientAddress}</strong>.
      </ConfirmModal>
    </Stack>
  );
}
