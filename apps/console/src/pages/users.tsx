/**
 * Users and tokens (owners only): the admin tokens and console users that may manage ipgate, with their
 * role and scope. An owner creates tokens (the secret is shown once), revokes them and removes console
 * users; console users themselves are added with `ipgate users add`, where their password is made.
 */
import {
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, ifMatch, unwrap } from '../api/client';
import { useTenants } from '../layout/shell';
import { ChoiceField } from '../parts/choice-field';
import { ConfirmModal } from '../parts/confirm-modal';
import { FormModal } from '../parts/form-modal';
import { ListState } from '../parts/list-state';
import { Notice, type NoticeText } from '../parts/notice';
import { usePaged } from '../parts/pager';
import { formatTime } from '../parts/time';
import type { SessionInfo } from '../session';

const PAGE_SIZE = 50;

type Role = 'viewer' | 'editor' | 'owner';

const ROLES: Record<Role, string> = {
  viewer: 'Viewer: reads everything, changes nothing.',
  editor: 'Editor: also changes lists, keys and settings.',
  owner: 'Owner: also manages admin tokens and console users.',
};

type Principal = Awaited<ReturnType<typeof listPage>>['items'][number];

async function listPage(cursor: string | undefined) {
  return unwrap(
    await api.GET('/v1/tokens', {
      params: { query: cursor === undefined ? { limit: PAGE_SIZE } : { limit: PAGE_SIZE, cursor } },
    }),
  );
}

/** The form that makes a token; its answer (with the secret) goes to the page. */
function CreateTokenModal(props: {
  opened: boolean;
  onClose: () => void;
  onCreated: (token: { name: string; secret: string }) => void;
  session: SessionInfo;
}) {
  const allTenants = props.session.user.tenantId === null;
  const tenants = useTenants();
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [tenantId, setTenantId] = useState<string | null>(props.session.user.tenantId);
  const create = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST('/v1/tokens', { body: { name: name.trim(), role, tenantId } })),
    onSuccess: async (token) => {
      await client.invalidateQueries({ queryKey: ['principals'] });
      setName('');
      props.onCreated({ name: token.name, secret: token.secret });
    },
  });
  const error = create.error instanceof ApiError ? create.error : null;
  const fieldError = (f: string) => (error !== null && error.field === f ? error.message : undefined);
  const general =
    create.error !== null && !['name', 'role', 'tenantId'].includes(error?.field ?? '') ? create.error : null;
  const ALL = '*';
  return (
    <FormModal
      opened={props.opened}
      onClose={props.onClose}
      title="Create an admin token"
      noValidate
      onSubmit={() => create.mutate()}
      submitLabel="Create token"
      busy={create.isPending}
    >
      <TextInput
        label="Name"
        description="Who or what uses it, e.g. ci-deploy or Terraform."
        value={name}
        onChange={(e) => setName(e.currentTarget.value)}
        error={fieldError('name')}
        required
        data-autofocus
      />
      <ChoiceField
        label="Role"
        value={role}
        onChange={(v) => setRole(v as Role)}
        data={[
          { value: 'viewer', label: 'Viewer' },
          { value: 'editor', label: 'Editor' },
          { value: 'owner', label: 'Owner' },
        ]}
        description={ROLES[role]}
      />
      <Select
        label="Scope"
        description={
          allTenants
            ? 'All tenants, or one tenant only.'
            : 'Your own tenant: a tenant’s owner makes tokens for it only.'
        }
        data={[
          ...(allTenants ? [{ value: ALL, label: 'All tenants' }] : []),
          ...(tenants.data ?? []).map((t) => ({ value: t.id, label: t.name })),
        ]}
        value={tenantId ?? ALL}
        onChange={(v) => setTenantId(v === null || v === ALL ? null : v)}
        disabled={!allTenants}
        allowDeselect={false}
        error={fieldError('tenantId')}
      />
      {general !== null && (
        <Alert color="red" role="alert" title="Not created">
          {general.message}
        </Alert>
      )}
    </FormModal>
  );
}

export default function UsersPage(props: { session: SessionInfo }) {
  const { session } = props;
  const client = useQueryClient();
  const tenants = useTenants();
  const owner = session.user.role === 'owner';
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const [removing, setRemoving] = useState<Principal | null>(null);
  const [notice, setNotice] = useState<NoticeText | null>(null);

  const { query: list, pager } = usePaged(['principals'], listPage, {
    enabled: owner,
    label: 'Pages of users and tokens',
  });
  const remove = useMutation({
    mutationFn: async (p: Principal) =>
      unwrap(
        await api.DELETE('/v1/tokens/{tokenId}', {
          params: { path: { tokenId: p.id }, header: ifMatch(p.version) },
        }),
      ),
    onSuccess: async (_d, p) => {
      setRemoving(null);
      setNotice({
        color: 'green',
        text:
          p.kind === 'user'
            ? `Removed ${p.name}; its sessions have ended.`
            : `Revoked ${p.name}; it no longer works.`,
      });
      await client.invalidateQueries({ queryKey: ['principals'] });
    },
    onError: async (e) => {
      setRemoving(null);
      setNotice({ color: 'red', text: e instanceof ApiError ? e.message : String(e) });
      await client.invalidateQueries({ queryKey: ['principals'] });
    },
  });

  if (!owner) {
    return (
      <Stack>
        <Title order={1}>Users and tokens</Title>
        <Alert color="yellow" role="alert">
          Only owners manage users and tokens. Ask an owner for the access you need.
        </Alert>
      </Stack>
    );
  }

  const tenantName = (id: string | null) =>
    id === null ? 'All tenants' : (tenants.data?.find((t) => t.id === id)?.name ?? id);
  const items = list.data?.items ?? [];
  return (
    <Stack>
      <Title order={1}>Users and tokens</Title>
      <Text size="sm">
        Who may manage ipgate: admin tokens (for scripts and the CLI) and console users (people who sign in
        here), each with a role and a scope. Console users are added on the server with{' '}
        <Code>ipgate users add</Code>, which makes their password.
      </Text>
      <Group justify="flex-end">
        <Button onClick={() => setCreating(true)}>Create token</Button>
      </Group>
      <Notice notice={notice} onDismiss={() => setNotice(null)} />
      <ListState query={list} loadingLabel="Loading users and tokens" failedTitle="Not read">
        <Table striped highlightOnHover aria-label="Users and tokens">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Scope</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th aria-label="Actions" />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((p) => {
              const self = p.id === session.user.id;
              return (
                <Table.Tr key={p.id} data-principal-id={p.id}>
                  <Table.Td>
                    {p.name}
                    {self && (
                      <Badge ml="xs" color="gray" c="dark.9" variant="light">
                        you
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{p.kind === 'user' ? 'Console user' : 'Admin token'}</Table.Td>
                  <Table.Td>{p.role}</Table.Td>
                  <Table.Td>{tenantName(p.tenantId)}</Table.Td>
                  <Table.Td fz="sm">{formatTime(p.createdAt)}</Table.Td>
                  <Table.Td>
                    {!self && (
                      <Button
                        variant="subtle"
                        color="red"
                        c="red.9"
                        size="compact-sm"
                        onClick={() => setRemoving(p)}
                      >
                        {p.kind === 'user' ? `Remove ${p.name}` : `Revoke ${p.name}`}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </ListState>
      {pager}
      <CreateTokenModal
        opened={creating}
        onClose={() => setCreating(false)}
        session={session}
        onCreated={(t) => {
          setCreating(false);
          setSecret(t);
        }}
      />
      <Modal opened={secret !== null} onClose={() => setSecret(null)} title="Copy the token now">
        {secret !== null && (
          <Stack>
            <Text size="sm">
              The secret of <strong>{secret.name}</strong> is shown this once: ipgate keeps only its hash.
              Send it as <Code>Authorization: Bearer …</Code>.
            </Text>
            <Code block data-testid="token-secret">
              {secret.secret}
            </Code>
            <Group justify="flex-end">
              <CopyButton value={secret.secret}>
                {({ copied, copy }) => (
                  <Button variant="default" onClick={copy}>
                    {copied ? 'Copied' : 'Copy'}
                  </Button>
                )}
              </CopyButton>
              <Button onClick={() => setSecret(null)}>Done</Button>
            </Group>
          </Stack>
        )}
      </Modal>
      <ConfirmModal
        opened={removing !== null}
        title={removing?.kind === 'user' ? 'Remove this console user?' : 'Revoke this token?'}
        confirmLabel={removing?.kind === 'user' ? 'Remove' : 'Revoke'}
        danger
        busy={remove.isPending}
        onConfirm={() => removing !== null && remove.mutate(removing)}
        onCancel={() => setRemoving(null)}
      >
        {removing !== null &&
          (removing.kind === 'user'
            ? `${removing.name} can no longer sign in, and is signed out now.`
            : `${removing.name} stops working at once: whatever uses it gets 401.`)}
      </ConfirmModal>
    </Stack>
  );
}
