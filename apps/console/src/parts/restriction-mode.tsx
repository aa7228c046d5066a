/**
 * A tenant's restriction mode (off / manual / auto) with a sentence on what each means: API IP
 * Restriction and Authorized IPs both show it. A switch that would shut out the console's own address
 * is refused by the server's self-lockout guard; the person is asked before it is repeated.
 */
import { Loader, SegmentedControl, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, ifMatch, unwrap } from '../api/client';
import { ConfirmModal } from './confirm-modal';

export const MODES = {
  off: 'Off: every address may use this tenant’s keys.',
  manual: 'Manual: only the addresses listed here; an unlisted address is denied and waits for review.',
  auto: 'Auto: as manual, and new addresses are assessed and may be authorized automatically.',
} as const;

export type Mode = keyof typeof MODES;

/** The query key of a tenant's restriction (mode, counts, version). */
export const restrictionKey = (tenantId: string) => ['ip-restriction', tenantId] as const;

/** The tenant's restriction: GET …/ip-restriction. */
export function useRestriction(tenantId: string) {
  return useQuery({
    queryKey: restrictionKey(tenantId),
    queryFn: async () =>
      unwrap(await api.GET('/v1/tenants/{tenantId}/ip-restriction', { params: { path: { tenantId } } })),
  });
}

export function RestrictionMode(props: {
  tenantId: string;
  editable: boolean;
  clientAddress: string | null;
  /** Also shows the sentence of each mode, not only of the current one. */
  explainAll?: boolean;
}) {
  const { tenantId } = props;
  const client = useQueryClient();
  const restriction = useRestriction(tenantId);
  const [lockout, setLockout] = useState<{ mode: Mode; message: string } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const setMode = useMutation({
    mutationFn: async (input: { mode: Mode; confirm: boolean }) =>
      unwrap(
        await api.PATCH('/v1/tenants/{tenantId}/ip-restriction', {
          params: { path: { tenantId }, header: ifMatch(restriction.data?.version ?? 0) },
          body: { mode: input.mode, confirmLockout: input.confirm },
        }),
      ),
    onMutate: () => setError(null),
    onSuccess: async () => {
      setLockout(null);
      await client.invalidateQueries({ queryKey: restrictionKey(tenantId) });
    },
    onError: (e, input) => {
      if (e instanceof ApiError && e.code === 'IPG_SELF_LOCKOUT')
        setLockout({ mode: input.mode, message: e.message });
      else setError(e instanceof ApiError ? e.message : String(e));
      void client.invalidateQueries({ queryKey: restrictionKey(tenantId) });
    },
  });

  const r = restriction.data;
  if (r === undefined) {
    return restriction.isPending ? (
      <Loader size="sm" aria-label="Loading the restriction" />
    ) : (
      <Text c="red.8" role="alert">
        {restriction.error?.message}
      </Text>
    );
  }
  return (
    <div>
      <Text size="sm" fw={500} id={`mode-label-${tenantId}`}>
        Restriction mode
      </Text>
      {props.editable ? (
        <SegmentedControl
          aria-labelledby={`mode-label-${tenantId}`}
          value={r.mode}
          onChange={(m) => setMode.mutate({ mode: m as Mode, confirm: false })}
          data={[
            { value: 'off', label: 'Off' },
            { value: 'manual', label: 'Manual' },
            { value: 'auto', label: 'Auto' },
          ]}
        />
      ) : (
        <Text data-testid="mode">{r.mode}</Text>
      )}
      {props.explainAll === true ? (
        <ul style={{ margin: '4px 0 0', paddingLeft: 18, maxWidth: 560 }}>
          {(Object.keys(MODES) as Mode[]).map((m) => (
            <Text key={m} component="li" size="xs" fw={m === r.mode ? 700 : undefined}>
              {MODES[m]}
            </Text>
          ))}
        </ul>
      ) : (
        <Text size="xs" c="dimmed" maw={420}>
          {MODES[r.mode]}
        </Text>
      )}
      {error !== null && (
        <Text size="sm" c="red.8" role="alert">
          {error}
        </Text>
      )}
      <ConfirmModal
        opened={lockout !== null}
        title="This would lock you out"
        confirmLabel="Change the mode anyway"
        danger
        busy={setMode.isPending}
        onConfirm={() => lockout !== null && setMode.mutate({ mode: lockout.mode, confirm: true })}
        onCancel={() => setLockout(null)}
      >
        {lockout?.message} You are using the console from <strong>{props.clientAddress}</strong>.
      </ConfirmModal>
    </div>
  );
}
