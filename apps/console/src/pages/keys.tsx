/**
 * API keys: a tenant's keys with create, rotate (the new secret shown once) and revoke, and for the
 * chosen key its "Token security": allowed domains for browser callers and IP addresses for server
 * callers, each up to the tenant's limits.
 */
import { Alert, Button, Group, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, ifMatch, unwrap } from '../api/client';
import { ChoiceField } from '../parts/choice-field';
import { ConfirmModal } from '../parts/confirm-modal';
import { FormModal } from '../parts/form-modal';
import { keysKey } from '../parts/key-names';
import { KeyRuleList } from '../parts/key-rule-list';
import { LinkButton } from '../parts/link-button';
import { ListState } from '../parts/list-state';
import { Notice, type NoticeText } from '../parts/notice';
import { usePaged } from '../parts/pager';
import { type OnceSecret, SecretOnceModal } from '../parts/secret-once';
import type { ApiKey } from '../parts/types';
import { canEdit, type SessionInfo } from '../session';

const KINDS = {
  any: 'No key restriction: the tenant’s IP list decides.',
  server: 'Server key: calls must come from the key’s IP addresses (and the tenant’s list).',
  browser: 'Browser key: browser calls from the key’s domains only; server calls are denied.',
  both: 'Both lists on: a caller that sends an Origin skips the IP list. Prefer two keys.',
} as const;

type NewKind = 'any' | 'server' | 'browser';

function formatTime(iso: string | null): string {
  return iso === null ? '—' : new Date(iso).toLocaleString();
}

export default function KeysPage(props: { tenantId: string; session: SessionInfo }) {
  const { tenantId, session } = props;
  const editable = canEdit(session);
  const client = useQueryClient();
  const { query, pager } = usePaged([...keysKey(tenantId), 'page'], async (cursor) =>
    unwrap(
      await api.GET('/v1/tenants/{tenantId}/keys', {
        params: { path: { tenantId }, query: cursor === undefined ? { limit: 50 } : { limit: 50, cursor } },
      }),
    ),
  );
  const items = query.data?.items ?? [];
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const selected = items.find((k) => k.id === selectedId) ?? items[0];
  const restrictions = useQuery({
    queryKey: ['key-restrictions', tenantId, selected?.id],
    enabled: selected !== undefined,
    queryFn: async () =>
      unwrap(
        await api.GET('/v1/tenants/{tenantId}/keys/{keyId}/restrictions', {
          params: { path: { tenantId, keyId: selected?.id ?? '' } },
        }),
      ),
  });

  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<NewKind>('server');
  const [touched, setTouched] = useState(false);
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [rotating, setRotating] = useState<ApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [secret, setSecret] = useState<OnceSecret | null>(null);
  const [notice, setNotice] = useState<NoticeText | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: keysKey(tenantId) });
  const say = (e: unknown) =>
    setNotice({ color: 'red', text: e instanceof ApiError ? e.message : String(e) });

  const create = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST('/v1/tenants/{tenantId}/keys', {
          params: { path: { tenantId } },
          body: {
            name: name.trim(),
            ipRestrictionEnabled: kind === 'server',
            domainRestrictionEnabled: kind === 'browser',
          },
        }),
      ),
    onMutate: () => setFormError(null),
    onSuccess: async (k) => {
      setCreating(false);
      setSelectedId(k.id);
      setSecret({
        title: `Secret of ${k.name}`,
        what: `Callers send it as Authorization: Bearer <secret>. ${
          k.kind === 'any' ? '' : 'Add its allowed domains or addresses under Token security.'
        }`,
        secret: k.secret,
      });
      await refresh();
    },
    onError: (e) =>
      setFormError(e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e), undefined, undefined)),
  });

  const rotate = useMutation({
    mutationFn: async (k: ApiKey) =>
      unwrap(
        await api.POST('/v1/tenants/{tenantId}/keys/{keyId}/rotate', {
          params: { path: { tenantId, keyId: k.id }, header: ifMatch(k.version) },
        }),
      ),
    onSuccess: (k) =>
      setSecret({
        title: `New secret of ${k.name}`,
        what: 'The old secret stopped working on every node. Give your callers this one.',
        secret: k.secret,
      }),
    onError: say,
    onSettled: async () => {
      setRotating(null);
      await refresh();
    },
  });

  const revoke = useMutation({
    mutationFn: async (k: ApiKey) =>
      unwrap(
        await api.POST('/v1/tenants/{tenantId}/keys/{keyId}/revoke', {
          params: { path: { tenantId, keyId: k.id }, header: ifMatch(k.version) },
        }),
      ),
    onSuccess: (k) => setNotice({ color: 'green', text: `Revoked ${k.name}: it no longer works anywhere.` }),
    onError: say,
    onSettled: async () => {
      setRevoking(null);
      await refresh();
    },
  });

  const nameError =
    formError?.field === 'name'
      ? formError.message
      : touched && name.trim() === ''
        ? 'Give the key a name, e.g. the app or server that uses it.'
        : undefined;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>API keys</Title>
        {editable && (
          <Button
            onClick={() => {
              setName('');
              setKind('server');
              setTouched(false);
              setFormError(null);
              setCreating(true);
            }}
          >
            Create key
          </Button>
        )}
      </Group>
      <Text size="sm">
        Callers present a key; ipgate keeps only its hash. Click a key’s name to see its token security.
      </Text>
      <Notice notice={notice} onDismiss={() => setNotice(null)} />
      <ListState
        query={query}
        loadingLabel="Loading the keys"
        failedTitle="The keys could not be read"
        isEmpty={items.length === 0}
        empty="No key yet: create one for each app or server that calls the API."
      >
        <Table striped highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Starts with</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Rotated</Table.Th>
              {editable && <Table.Th aria-label="Actions" />}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((k) => (
              <Table.Tr key={k.id} aria-selected={k.id === selected?.id}>
                <Table.Td>
                  <LinkButton
                    selected={k.id === selected?.id}
                    onClick={() => setSelectedId(k.id)}
                    aria-label={`Token security of ${k.name}`}
                  >
                    {k.name}
                  </LinkButton>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace">
                    {k.prefix}…
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{k.kind}</Text>
                  <Text size="xs" c="dimmed" maw={280}>
                    {KINDS[k.kind]}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" fw={700}>
                    {k.status}
                  </Text>
                </Table.Td>
                <Table.Td>{formatTime(k.createdAt)}</Table.Td>
                <Table.Td>{formatTime(k.rotatedAt)}</Table.Td>
                {editable && (
                  <Table.Td>
                    {k.status === 'active' && (
                      <Group gap="xs" wrap="nowrap">
                        <Button
                          size="xs"
                          variant="default"
                          onClick={() => setRotating(k)}
                          aria-label={`Rotate ${k.name}`}
                        >
                          Rotate
                        </Button>
                        <Button
                          size="xs"
                          color="red.8"
                          onClick={() => setRevoking(k)}
                          aria-label={`Revoke ${k.name}`}
                        >
                          Revoke
                        </Button>
                      </Group>
                    )}
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ListState>
      {pager}
      {selected !== undefined && (
        <Stack gap="sm">
          <Title order={2} size="h3">
            Token security: {selected.name}
          </Title>
          <Text size="sm">
            A request from a browser carries an Origin (or a Referer): it is judged by the allowed domains. A
            request from a server carries neither: it is judged by the IP addresses. Any server can send any
            Origin, so domains keep honest browsers on your sites but prove nothing against a server that has
            the key; give servers their own key with IP addresses.
          </Text>
          {(selected.warnings ?? []).map((w) => (
            <Alert key={w.code} color="yellow" title="Both lists are on">
              {w.message}
            </Alert>
          ))}
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <KeyRuleList
              key={`${selected.id}-domains`}
              tenantId={tenantId}
              keyItem={selected}
              kind="domains"
              limit={restrictions.data?.domains.limit}
              editable={editable}
            />
            <KeyRuleList
              key={`${selected.id}-ips`}
              tenantId={tenantId}
              keyItem={selected}
              kind="ips"
              limit={restrictions.data?.ips.limit}
              editable={editable}
            />
          </SimpleGrid>
        </Stack>
      )}
      <FormModal
        opened={creating}
        onClose={() => setCreating(false)}
        title="Create a key"
        noValidate
        onSubmit={() => {
          setTouched(true);
          if (name.trim() !== '') create.mutate();
        }}
        submitLabel="Create"
        busy={create.isPending}
      >
        <TextInput
          label="Name"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          onBlur={() => setTouched(true)}
          error={nameError}
          maxLength={200}
          required
          data-autofocus
        />
        <ChoiceField
          label="Who calls with it"
          value={kind}
          onChange={(v) => setKind(v as NewKind)}
          data={[
            { value: 'server', label: 'Servers' },
            { value: 'browser', label: 'Browsers' },
            { value: 'any', label: 'Anyone' },
          ]}
          description={KINDS[kind]}
        />
        {formError !== null && formError.field !== 'name' && (
          <Alert color="red" role="alert" title="Not created">
            {formError.message}
          </Alert>
        )}
      </FormModal>
      <ConfirmModal
        opened={rotating !== null}
        title="Rotate this key?"
        confirmLabel="Rotate"
        danger
        busy={rotate.isPending}
        onConfirm={() => rotating !== null && rotate.mutate(rotating)}
        onCancel={() => setRotating(null)}
      >
        <strong>{rotating?.name}</strong> gets a new secret, shown once. The old one stops working at once, on
        every node: callers using it are denied until they have the new one.
      </ConfirmModal>
      <ConfirmModal
        opened={revoking !== null}
        title="Revoke this key?"
        confirmLabel="Revoke"
        danger
        busy={revoke.isPending}
        onConfirm={() => revoking !== null && revoke.mutate(revoking)}
        onCancel={() => setRevoking(null)}
      >
        <strong>{revoking?.name}</strong> stops working for good. This cannot be undone.
      </ConfirmModal>
      <SecretOnceModal secret={secret} onClose={() => setSecret(null)} />
    </Stack>
  );
}
