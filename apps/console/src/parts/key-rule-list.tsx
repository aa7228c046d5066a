/**
 * One of a key's own lists under "Token security": its allowed domains (browser callers) or its IP
 * addresses (server callers), with the switch that turns the list on, "N of M used", and an add form
 * that `@ipgate/core` checks as it is typed (the canonical form, or the mistake and how to write it).
 */
import { parseDomainRule, parseEntry } from '@ipgate/core';
import {
  Alert,
  Button,
  Card,
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
import { EntryValueCell } from './entry-value-cell';
import { keysKey } from './key-names';
import { Notice, type NoticeText } from './notice';
import { TrashButton } from './trash-button';
import type { ApiKey } from './types';

export type RuleKind = 'domains' | 'ips';

/** What the live check says about a value: its canonical form or what is wrong and how to fix it. */
export function checkRule(
  kind: RuleKind,
  value: string,
): { canonical?: string; error?: string; warnings: string[] } {
  if (value.trim() === '') return { warnings: [] };
  try {
    if (kind === 'domains') return { canonical: parseDomainRule(value.trim()).canonical, warnings: [] };
    const entry = parseEntry(value.trim());
    return { canonical: entry.canonical, warnings: entry.warnings.map((w) => w.message) };
  } catch (e) {
    const hint = (e as { hint?: string }).hint;
    return { error: `${(e as Error).message}${hint === undefined ? '' : ` ${hint}`}`, warnings: [] };
  }
}

interface Rule {
  readonly id: string;
  readonly name: string;
  readonly value: string;
  readonly canonical: string;
  readonly version: number;
}

const TEXT = {
  domains: {
    title: 'Allowed domains (browser callers)',
    toggle: 'Restrict to these domains',
    applies:
      'Applies to browser requests: those that carry an Origin (or only a Referer). With it on and IP restriction off, this is a browser key: it is judged by these domains instead of the tenant’s IP list, and server requests are denied.',
    field: 'Domain',
    placeholder: '*.example.com or https://app.example.com',
    empty: 'No domain yet: with the switch on, every browser request is denied.',
  },
  ips: {
    title: 'IP addresses (server callers)',
    toggle: 'Restrict to these addresses',
    applies:
      'Applies to server requests: those without Origin or Referer. With it on, a server call must also come from one of these addresses, after the tenant’s IP list.',
    field: 'IP address or range',
    placeholder: '203.0.113.7 or 203.0.113.0/24',
    empty: 'No address yet: with the switch on, every server request is denied.',
  },
} as const;

export function KeyRuleList(props: {
  tenantId: string;
  keyItem: ApiKey;
  kind: RuleKind;
  limit: number | undefined;
  editable: boolean;
}) {
  const { tenantId, keyItem: key, kind, editable } = props;
  const text = TEXT[kind];
  const client = useQueryClient();
  const listKey = ['key-rules', tenantId, key.id, kind];
  const path = { tenantId, keyId: key.id };
  const rules = useQuery({
    queryKey: listKey,
    queryFn: async (): Promise<Rule[]> =>
      kind === 'domains'
        ? unwrap(
            await api.GET('/v1/tenants/{tenantId}/keys/{keyId}/restrictions/domains', {
              params: { path, query: { limit: 500 } },
            }),
          ).items
        : unwrap(
            await api.GET('/v1/tenants/{tenantId}/keys/{keyId}/restrictions/ips', {
              params: { path, query: { limit: 500 } },
            }),
          ).items,
  });
  const [value, setValue] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<NoticeText | null>(null);
  const live = checkRule(kind, value);
  const enabled = kind === 'domains' ? key.domainRestrictionEnabled : key.ipRestrictionEnabled;
  const refresh = async () => {
    await client.invalidateQueries({ queryKey: listKey });
    await client.invalidateQueries({ queryKey: ['key-restrictions', tenantId, key.id] });
    await client.invalidateQueries({ queryKey: keysKey(tenantId) });
  };
  const failed = (e: unknown) =>
    setError(e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e), undefined, undefined));

  const add = useMutation({
    mutationFn: async (): Promise<Rule & { warnings: { message: string }[] }> => {
      const body = { value: value.trim(), ...(name.trim() === '' ? {} : { name: name.trim() }) };
      // Never a dry run here, so the answer is the added rule with core's warnings.
      const added =
        kind === 'domains'
          ? unwrap(
              await api.POST('/v1/tenants/{tenantId}/keys/{keyId}/restrictions/domains', {
                params: { path },
                body,
              }),
            )
          : unwrap(
              await api.POST('/v1/tenants/{tenantId}/keys/{keyId}/restrictions/ips', {
                params: { path },
                body,
              }),
            );
      return added as Rule & { warnings: { message: string }[] };
    },
    onMutate: () => setError(null),
    onSuccess: async (added) => {
      setNotice({
        color: 'green',
        text: `Added ${added.canonical}.${added.warnings.map((w) => ` ${w.message}`).join('')}`,
      });
      setValue('');
      setName('');
      await refresh();
    },
    onError: failed,
  });

  const remove = useMutation({
    mutationFn: async (rule: Rule) => {
      const params = { path: { ...path, entryId: rule.id }, header: ifMatch(rule.version) };
      if (kind === 'domains')
        unwrap(
          await api.DELETE('/v1/tenants/{tenantId}/keys/{keyId}/restrictions/domains/{entryId}', { params }),
        );
      else
        unwrap(
          await api.DELETE('/v1/tenants/{tenantId}/keys/{keyId}/restrictions/ips/{entryId}', { params }),
        );
    },
    onMutate: () => setError(null),
    onSuccess: (_r, rule) => setNotice({ color: 'green', text: `Removed ${rule.canonical}.` }),
    onSettled: refresh,
    onError: failed,
  });

  const toggle = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.PATCH('/v1/tenants/{tenantId}/keys/{keyId}', {
          params: { path, header: ifMatch(key.version) },
          body:
            kind === 'domains' ? { domainRestrictionEnabled: !enabled } : { ipRestrictionEnabled: !enabled },
        }),
      ),
    onMutate: () => setError(null),
    onSettled: refresh,
    onError: failed,
  });

  const items = rules.data ?? [];
  const full = props.limit !== undefined && items.length >= props.limit;
  const valueError = live.error ?? (error?.field === 'value' ? error.message : undefined);
  const otherError = error !== null && error.field !== 'value' && error.field !== 'name' ? error : null;

  return (
    <Card withBorder padding="md" data-testid={`key-${kind}`}>
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start">
          <Title order={3} size="h4">
            {text.title}
          </Title>
          <Text size="sm" data-testid={`key-${kind}-used`}>
            {items.length} of {props.limit ?? '…'} used
          </Text>
        </Group>
        <Text size="sm">{text.applies}</Text>
        {editable ? (
          <Switch
            label={text.toggle}
            checked={enabled}
            onChange={() => toggle.mutate()}
            disabled={toggle.isPending || key.status === 'revoked'}
          />
        ) : (
          <Text size="sm" fw={500}>
            {enabled ? `${text.toggle}: on` : `${text.toggle}: off`}
          </Text>
        )}
        <Notice notice={notice} onDismiss={() => setNotice(null)} />
        {otherError !== null && (
          <Alert
            color="red"
            role="alert"
            title={otherError.code === 'IPG_VERSION_CONFLICT' ? 'Changed meanwhile' : 'Not saved'}
            withCloseButton
            closeButtonLabel="Dismiss"
            onClose={() => {
              setError(null);
              void refresh();
            }}
          >
            {otherError.message}
            {otherError.code === 'IPG_VERSION_CONFLICT' ? ' Close this to reload.' : ''}
          </Alert>
        )}
        {rules.isPending ? (
          <Loader size="sm" aria-label={`Loading ${text.title}`} />
        ) : rules.error !== null ? (
          <Alert color="red" role="alert">
            {rules.error.message}
          </Alert>
        ) : items.length === 0 ? (
          <Text size="sm" c="dimmed">
            {text.empty}
          </Text>
        ) : (
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{text.field}</Table.Th>
                <Table.Th>Name</Table.Th>
                {editable && <Table.Th aria-label="Actions" />}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((r) => (
                <Table.Tr key={r.id}>
                  <EntryValueCell value={r.value} canonical={r.canonical} />
                  <Table.Td>{r.name}</Table.Td>
                  {editable && (
                    <Table.Td>
                      <TrashButton
                        aria-label={`Remove ${r.canonical}`}
                        onClick={() => remove.mutate(r)}
                        loading={remove.isPending && remove.variables?.id === r.id}
                      />
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {editable && key.status === 'active' && (
          <form
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              if (live.error === undefined && value.trim() !== '') add.mutate();
            }}
          >
            <Group align="flex-start" gap="sm">
              <TextInput
                label={text.field}
                placeholder={text.placeholder}
                value={value}
                onChange={(e) => {
                  setValue(e.currentTarget.value);
                  if (error?.field === 'value') setError(null);
                }}
                description={
                  live.canonical !== undefined && live.error === undefined
                    ? `Stored as ${live.canonical}`
                    : undefined
                }
                error={valueError}
                w={300}
              />
              <TextInput
                label="Name (optional)"
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
                error={error?.field === 'name' ? error.message : undefined}
                maxLength={200}
                w={200}
              />
              <Button type="submit" mt={25} loading={add.isPending} disabled={full}>
                {kind === 'domains' ? 'Add domain' : 'Add address'}
              </Button>
            </Group>
            {live.warnings.map((w) => (
              <Text key={w} size="sm" c="yellow.9">
                {w}
              </Text>
            ))}
            {full && (
              <Text size="sm" c="dimmed">
                The list is full ({props.limit}); remove one to add another.
              </Text>
            )}
          </form>
        )}
      </Stack>
    </Card>
  );
}
