/**
 * Where a tenant's owners hear of new addresses: email recipients and webhook endpoints, each with
 * whether it is failing and its last error. A webhook's signing secret is answered once, when it is
 * added, and shown once. "Send test" sends a channel a test message now and says how it went.
 */
import {
  Alert,
  Badge,
  Button,
  Group,
  Loader,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, ifMatch, unwrap } from '../api/client';
import { ChoiceField } from './choice-field';
import { ConfirmModal } from './confirm-modal';
import { FormModal } from './form-modal';
import { Notice, type NoticeText } from './notice';
import { type OnceSecret, SecretOnceModal } from './secret-once';
import { TrashButton } from './trash-button';
import type { ChannelTestResult, NotificationChannel } from './types';

type Kind = NotificationChannel['kind'];

/** What is wrong with a target before it is sent; the server checks again (and refuses private webhooks). */
export function targetProblem(kind: Kind, target: string): string | undefined {
  const t = target.trim();
  if (t === '') return kind === 'email' ? 'Enter an email address.' : 'Enter the webhook URL.';
  if (kind === 'email') {
    return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(t)
      ? undefined
      : 'Write an email address like owner@example.com.';
  }
  try {
    const url = new URL(t);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      return 'A webhook URL starts with https:// or http://.';
    return undefined;
  } catch {
    return 'Write a full URL like https://hooks.example.com/ipgate.';
  }
}

/** Why a test failed, in words. */
function failureText(r: ChannelTestResult): string {
  switch (r.reason) {
    case 'smtp':
      return 'the SMTP server refused it';
    case 'http-status':
      return `the endpoint answered HTTP ${r.httpStatus ?? '?'}`;
    case 'timeout':
      return 'no answer in time';
    case 'destination-refused':
      return 'the address is private or loopback, which this server refuses';
    case 'connection':
      return 'could not connect';
    default:
      return 'it could not be sent';
  }
}

/**
 * What the page says after a test send.
 *
 * @example testResultText('ops', result); // 'Test message to ops failed: the endpoint answered HTTP 500 (HTTP 500: …, 48 ms).'
 */
export function testResultText(name: string, r: ChannelTestResult): string {
  if (r.result === 'ok') {
    const where =
      r.via === 'outbox' ? 'kept in the outbox, since no SMTP server is configured' : `${r.detail}`;
    return `Test message to ${name} sent: ${where} (${r.durationMs} ms).`;
  }
  return `Test message to ${name} failed: ${failureText(r)} (${r.detail}, ${r.durationMs} ms).`;
}

export function NotificationChannels(props: { tenantId: string; editable: boolean }) {
  const { tenantId, editable } = props;
  const client = useQueryClient();
  const key = ['notification-channels', tenantId];
  const channels = useQuery({
    queryKey: key,
    queryFn: async () =>
      unwrap(
        await api.GET('/v1/tenants/{tenantId}/notification-channels', { params: { path: { tenantId } } }),
      ).items,
  });
  const [adding, setAdding] = useState(false);
  const [kind, setKind] = useState<Kind>('email');
  const [name, setName] = useState('');
  const [target, setTarget] = useState('');
  const [touched, setTouched] = useState(false);
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [removing, setRemoving] = useState<NotificationChannel | null>(null);
  // A failure is an alert (read out at once); everything else a status.
  const [notice, setNotice] = useState<NoticeText | null>(null);
  const [secret, setSecret] = useState<OnceSecret | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: key });
  const say = (e: unknown) =>
    setNotice({ color: 'red', text: e instanceof ApiError ? e.message : String(e), alert: true });

  const add = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST('/v1/tenants/{tenantId}/notification-channels', {
          params: { path: { tenantId } },
          body: { kind, name: name.trim(), target: target.trim() },
        }),
      ),
    onMutate: () => setFormError(null),
    onSuccess: async (c) => {
      setAdding(false);
      setNotice({ color: 'green', text: `Added ${c.kind} channel ${c.name}.` });
      if (c.secret !== null) {
        setSecret({
          title: `Signing secret of ${c.name}`,
          what: 'Verify each delivery with this secret (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature).',
          secret: c.secret,
        });
      }
      await refresh();
    },
    onError: (e) =>
      setFormError(e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e), undefined, undefined)),
  });

  const toggle = useMutation({
    mutationFn: async (c: NotificationChannel) =>
      unwrap(
        await api.PATCH('/v1/tenants/{tenantId}/notification-channels/{channelId}', {
          params: { path: { tenantId, channelId: c.id }, header: ifMatch(c.version) },
          body: { enabled: !c.enabled },
        }),
      ),
    onSettled: refresh,
    onError: say,
  });

  const test = useMutation({
    mutationFn: async (c: NotificationChannel) =>
      unwrap(
        await api.POST('/v1/tenants/{tenantId}/notification-channels/{channelId}/test', {
          params: { path: { tenantId, channelId: c.id } },
        }),
      ),
    onMutate: () => setNotice(null),
    onSuccess: (r, c) =>
      setNotice({
        color: r.result === 'ok' ? 'green' : 'red',
        text: testResultText(c.name, r),
        alert: r.result !== 'ok',
      }),
    // A success may have cleared "failing".
    onSettled: refresh,
    onError: (e) =>
      setNotice({
        color: 'red',
        text: e instanceof ApiError ? [e.message, e.hint].filter(Boolean).join(' ') : String(e),
        alert: true,
      }),
  });

  const remove = useMutation({
    mutationFn: async (c: NotificationChannel) =>
      unwrap(
        await api.DELETE('/v1/tenants/{tenantId}/notification-channels/{channelId}', {
          params: { path: { tenantId, channelId: c.id }, header: ifMatch(c.version) },
        }),
      ),
    onSuccess: (_r, c) => setNotice({ color: 'green', text: `Removed ${c.name}.` }),
    onSettled: async () => {
      setRemoving(null);
      await refresh();
    },
    onError: say,
  });

  const problem = targetProblem(kind, target);
  const nameProblem = touched && name.trim() === '' ? 'Give the channel a name.' : undefined;
  const fieldError = (f: string) => (formError?.field === f ? formError.message : undefined);
  const items = channels.data ?? [];

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2} size="h3">
          Notification channels
        </Title>
        {editable && (
          <Button
            variant="default"
            onClick={() => {
              setKind('email');
              setName('');
              setTarget('');
              setTouched(false);
              setFormError(null);
              setAdding(true);
            }}
          >
            Add channel
          </Button>
        )}
      </Group>
      <Text size="sm">
        The first call of an unlisted address sends one message per address and day: an email with one-click
        authorize / reject links, or a signed webhook (every event). Without an SMTP server, emails are kept
        in the outbox.
      </Text>
      <Notice notice={notice} onDismiss={() => setNotice(null)} />
      {channels.isPending ? (
        <Loader size="sm" aria-label="Loading the channels" />
      ) : channels.error !== null ? (
        <Alert color="red" role="alert">
          {channels.error.message}
        </Alert>
      ) : items.length === 0 ? (
        <Text c="dimmed">No channel: nobody is told when an unknown address calls.</Text>
      ) : (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Sends to</Table.Th>
              <Table.Th>Events</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Enabled</Table.Th>
              {editable && <Table.Th aria-label="Actions" />}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>{c.name}</Table.Td>
                <Table.Td>{c.kind}</Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                    {c.target}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{c.events.join(', ')}</Text>
                </Table.Td>
                <Table.Td>
                  {c.failing ? (
                    <Stack gap={0}>
                      <Badge color="red.9" variant="filled">
                        failing
                      </Badge>
                      <Text size="xs">{c.lastError}</Text>
                    </Stack>
                  ) : (
                    <Text size="xs">
                      {c.lastSuccessAt === null
                        ? 'nothing sent yet'
                        : `last sent ${new Date(c.lastSuccessAt).toLocaleString()}`}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {editable ? (
                    <Switch
                      checked={c.enabled}
                      // Not disabled while a change runs: a disabled control loses the keyboard's focus.
                      onChange={() => !toggle.isPending && toggle.mutate(c)}
                      aria-label={`${c.name} enabled`}
                      aria-disabled={toggle.isPending}
                    />
                  ) : (
                    <Text size="sm">{c.enabled ? 'Enabled' : 'Disabled'}</Text>
                  )}
                </Table.Td>
                {editable && (
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button
                        size="xs"
                        variant="default"
                        aria-label={`Send test to ${c.name}`}
                        loading={test.isPending && test.variables?.id === c.id}
                        disabled={test.isPending && test.variables?.id !== c.id}
                        onClick={() => test.mutate(c)}
                      >
                        Send test
                      </Button>
                      <TrashButton aria-label={`Remove channel ${c.name}`} onClick={() => setRemoving(c)} />
                    </Group>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <FormModal
        opened={adding}
        onClose={() => setAdding(false)}
        title="Add a notification channel"
        noValidate
        onSubmit={() => {
          setTouched(true);
          if (problem === undefined && name.trim() !== '') add.mutate();
        }}
        submitLabel="Add"
        busy={add.isPending}
      >
        <ChoiceField
          label="Kind"
          value={kind}
          onChange={(v) => {
            setKind(v as Kind);
            setFormError(null);
          }}
          data={[
            { value: 'email', label: 'Email' },
            { value: 'webhook', label: 'Webhook' },
          ]}
        />
        <TextInput
          label="Name"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={nameProblem ?? fieldError('name')}
          maxLength={200}
          required
          data-autofocus
        />
        <TextInput
          label={kind === 'email' ? 'Email address' : 'Webhook URL'}
          description={
            kind === 'email'
              ? 'Gets the first call of each unlisted address, with one-click links.'
              : 'Gets every event, signed; loopback and private addresses are refused.'
          }
          value={target}
          onChange={(e) => {
            setTarget(e.currentTarget.value);
            if (formError?.field === 'target') setFormError(null);
          }}
          onBlur={() => setTouched(true)}
          error={(touched ? problem : undefined) ?? fieldError('target')}
          required
        />
        {formError !== null && !['name', 'target'].includes(formError.field ?? '') && (
          <Alert color="red" role="alert" title="Not added">
            {formError.message}
          </Alert>
        )}
      </FormModal>
      <ConfirmModal
        opened={removing !== null}
        title="Remove this channel?"
        confirmLabel="Remove"
        danger
        busy={remove.isPending}
        onConfirm={() => removing !== null && remove.mutate(removing)}
        onCancel={() => setRemoving(null)}
      >
        <strong>{removing?.name}</strong> ({removing?.target}) gets no more messages; its queued ones are
        dropped.
      </ConfirmModal>
      <SecretOnceModal secret={secret} onClose={() => setSecret(null)} />
    </Stack>
  );
}
