/**
 * Addresses that called with one of a tenant's keys (observed addresses): when and how often, with which
 * key, what the network data says about them and why the assessment decided what it did; with the
 * review actions — authorize (it joins the list, its next call passes) and reject (optionally rotating
 * the key). Rejecting an address that was authorized, automatically or by a person, is the undo: the
 * entries authorizing it added are removed.
 */
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  List,
  Loader,
  Modal,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, ifMatch, unwrap } from '../api/client';
import { FormModal } from './form-modal';
import { useKeyName } from './key-names';
import { ListState } from './list-state';
import { Notice, type NoticeText } from './notice';
import { usePaged } from './pager';
import { restrictionKey } from './restriction-mode';
import { type OnceSecret, SecretOnceModal } from './secret-once';
import type { Assessment, ObservedIp } from './types';

const PAGE_SIZE = 50;

export type ObservedStatus = ObservedIp['status'];

function formatTime(iso: string): string {
  return new Date(iso).toLocaleString();
}

/** Network, operator and country, as the assessment's facts say. */
function NetworkFacts(props: { assessment: Assessment | null }) {
  const f = props.assessment?.facts;
  if (f === undefined)
    return (
      <Text size="xs" c="dimmed">
        not assessed
      </Text>
    );
  return (
    <Stack gap={0}>
      <Text size="sm" ff="monospace">
        {f.network}
      </Text>
      <Text size="xs">
        {f.asn === null ? 'ASN unknown' : `AS${f.asn}${f.asnName === null ? '' : ` ${f.asnName}`}`}
        {f.country === null ? '' : ` · ${f.country}`}
      </Text>
      {f.reserved !== null && <Text size="xs">{f.reserved}</Text>}
      {f.hosting !== null && <Text size="xs">hosting: {f.hosting}</Text>}
    </Stack>
  );
}

/** The assessment's verdict and reasons, made when the address was first denied (advice in manual mode). */
function Reasons(props: { observed: ObservedIp }) {
  const a = props.observed.assessment;
  if (a === null)
    return (
      <Text size="xs" c="dimmed">
        not assessed (listed, or seen in mode off); Assess shows it now
      </Text>
    );
  return (
    <Stack gap={2}>
      <Text size="xs" fw={600}>
        {a.verdict === 'trusted' ? 'Trusted' : 'Held'}, score {a.score} (trusted from {a.trustScore})
      </Text>
      {a.reasons.map((r) => (
        <Text key={r} size="xs">
          {r}
        </Text>
      ))}
    </Stack>
  );
}

const STATUS_COLOR = { pending: 'orange.9', authorized: 'green.9', rejected: 'red.9' } as const;

/**
 * How an address came to be authorized: the last line of its history ("authorized automatically (score
 * 70)", "authorized by alice: …", "listed by entry …").
 */
export function howAuthorized(o: ObservedIp): string {
  return o.reasons[o.reasons.length - 1] ?? (o.assessment?.verdict === 'trusted' ? 'automatically' : '—');
}

/** The assessment made now, against the list as stored; it stores and admits nothing. */
function AssessmentModal(props: { tenantId: string; observed: ObservedIp | null; onClose: () => void }) {
  const o = props.observed;
  const now = useQuery({
    queryKey: ['assessment', props.tenantId, o?.id],
    enabled: o !== null,
    queryFn: async () =>
      unwrap(
        await api.GET('/v1/tenants/{tenantId}/observed-ips/{observedId}/assessment', {
          params: { path: { tenantId: props.tenantId, observedId: o?.id ?? '' } },
        }),
      ),
  });
  const a = now.data;
  return (
    <Modal opened={o !== null} onClose={props.onClose} title={`Assessment of ${o?.address ?? ''}`} size="xl">
      <Stack>
        <Text size="sm">
          Made now, against the tenant’s list as stored, on the node that answered; it changes nothing. The
          one shown in the list was made when the address was first denied.
        </Text>
        {now.isPending ? (
          <Loader size="sm" aria-label="Assessing" />
        ) : a === undefined ? (
          <Alert color="red" role="alert">
            {now.error?.message}
          </Alert>
        ) : (
          <>
            <Text fw={600}>
              {a.verdict === 'trusted' ? 'Trusted' : 'Held'}: score {a.score}, trusted from {a.trustScore}
            </Text>
            <NetworkFacts assessment={a} />
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Factor</Table.Th>
                  <Table.Th>Applies</Table.Th>
                  <Table.Th>Points</Table.Th>
                  <Table.Th>Evidence</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {a.factors.map((f) => (
                  <Table.Tr key={f.factor}>
                    <Table.Td>{f.factor}</Table.Td>
                    <Table.Td>{f.applies ? (f.holds ? 'yes, holds' : 'yes') : 'no'}</Table.Td>
                    <Table.Td>{f.points}</Table.Td>
                    <Table.Td>{f.evidence}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Text size="xs" c="dimmed">
              Network data: {a.data.source}, {a.data.date ?? 'not loaded'}. IP to ASN data by DB-IP,
              RouteViews and the NRO (CC BY 4.0), merged by ip-location-db.
            </Text>
          </>
        )}
      </Stack>
    </Modal>
  );
}

export function ObservedTable(props: {
  tenantId: string;
  /** Only this status; undefined: every address, newest first. */
  status: ObservedStatus | undefined;
  editable: boolean;
  emptyText: string;
  /** A column saying how an authorized address was authorized. */
  showHow?: boolean;
}) {
  const { tenantId, status, editable } = props;
  const client = useQueryClient();
  const keyName = useKeyName(tenantId);
  const { query, pager } = usePaged(['observed-ips', tenantId, status ?? 'all'], async (cursor) =>
    unwrap(
      await api.GET('/v1/tenants/{tenantId}/observed-ips', {
        params: {
          path: { tenantId },
          query: {
            limit: PAGE_SIZE,
            ...(status === undefined ? {} : { status }),
            ...(cursor === undefined ? {} : { cursor }),
          },
        },
      }),
    ),
  );
  const [authorizing, setAuthorizing] = useState<ObservedIp | null>(null);
  const [rejecting, setRejecting] = useState<ObservedIp | null>(null);
  const [assessing, setAssessing] = useState<ObservedIp | null>(null);
  const [name, setName] = useState('');
  const [reason, setReason] = useState('');
  const [rotate, setRotate] = useState(false);
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<NoticeText | null>(null);
  const [secret, setSecret] = useState<OnceSecret | null>(null);

  const refresh = async () => {
    await client.invalidateQueries({ queryKey: ['observed-ips', tenantId] });
    await client.invalidateQueries({ queryKey: ['tenant-entries', tenantId] });
    await client.invalidateQueries({ queryKey: restrictionKey(tenantId) });
  };
  const failed = (e: unknown) =>
    setFormError(e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e), undefined, undefined));

  const authorize = useMutation({
    mutationFn: async (o: ObservedIp) =>
      unwrap(
        await api.POST('/v1/tenants/{tenantId}/observed-ips/{observedId}/authorize', {
          params: { path: { tenantId, observedId: o.id }, header: ifMatch(o.version) },
          body: {
            ...(name.trim() === '' ? {} : { name: name.trim() }),
            ...(reason.trim() === '' ? {} : { reason: reason.trim() }),
          },
        }),
      ),
    onMutate: () => setFormError(null),
    onSuccess: async (r) => {
      setAuthorizing(null);
      setNotice({
        color: 'green',
        text:
          r.entry === null
            ? `Authorized ${r.observed.address}; the list already covered it.`
            : `Authorized ${r.observed.address}: it is on the list as ${r.entry.canonical}, and its next call passes.`,
      });
      await refresh();
    },
    onError: failed,
  });

  const reject = useMutation({
    mutationFn: async (o: ObservedIp) =>
      unwrap(
        await api.POST('/v1/tenants/{tenantId}/observed-ips/{observedId}/reject', {
          params: { path: { tenantId, observedId: o.id }, header: ifMatch(o.version) },
          body: { rotateKey: rotate, ...(reason.trim() === '' ? {} : { reason: reason.trim() }) },
        }),
      ),
    onMutate: () => setFormError(null),
    onSuccess: async (r) => {
      setRejecting(null);
      const removed =
        r.removedEntries.length > 0
          ? ` Removed from the list: ${r.removedEntries.map((e) => e.canonical).join(', ')}.`
          : '';
      const still = r.stillListed
        ? ' Other entries of the list still let it through; remove them on API IP Restriction to keep it out.'
        : '';
      setNotice({
        color: r.stillListed ? 'yellow' : 'green',
        text: `Rejected ${r.observed.address}.${removed}${still}`,
      });
      if (r.rotated !== null) {
        setSecret({
          title: `New secret of ${r.rotated.name}`,
          what: 'The key was rotated: its old secret stopped working on every node. Give the callers you trust this one.',
          secret: r.rotated.secret,
        });
      }
      await refresh();
    },
    onError: failed,
  });

  const items = query.data?.items ?? [];
  const conflict = formError?.code === 'IPG_VERSION_CONFLICT';
  const formAlert = formError !== null && (
    <Alert color="red" role="alert" title={conflict ? 'Changed meanwhile' : 'Not done'}>
      <Stack gap="xs">
        <Text size="sm">{formError.message}</Text>
        {conflict && (
          <Group>
            <Button
              size="xs"
              variant="default"
              onClick={() => {
                setAuthorizing(null);
                setRejecting(null);
                setFormError(null);
                void refresh();
              }}
            >
              Reload the list
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );

  /** Why a person authorized or rejected the address; the audit log keeps it. */
  const reasonField = (autofocus: boolean) => (
    <TextInput
      label="Reason (optional)"
      description="Kept in the audit log."
      value={reason}
      onChange={(e) => setReason(e.currentTarget.value)}
      error={formError?.field === 'reason' ? formError.message : undefined}
      maxLength={500}
      data-autofocus={autofocus || undefined}
    />
  );

  return (
    <Stack>
      <Notice notice={notice} onDismiss={() => setNotice(null)} />
      <ListState
        query={query}
        loadingLabel="Loading the addresses"
        failedTitle="The addresses could not be read"
        isEmpty={items.length === 0}
        empty={props.emptyText}
      >
        <Table.ScrollContainer minWidth={900}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Address</Table.Th>
                {status === undefined && <Table.Th>Status</Table.Th>}
                <Table.Th>First seen</Table.Th>
                <Table.Th>Last seen</Table.Th>
                <Table.Th>Calls</Table.Th>
                <Table.Th>Key</Table.Th>
                <Table.Th>Network, ASN, country</Table.Th>
                <Table.Th>Assessment</Table.Th>
                {props.showHow === true && <Table.Th>Decision</Table.Th>}
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((o) => (
                <Table.Tr key={o.id} data-observed-id={o.id}>
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {o.address}
                    </Text>
                  </Table.Td>
                  {status === undefined && (
                    <Table.Td>
                      <Badge color={STATUS_COLOR[o.status]} variant="filled">
                        {o.status}
                      </Badge>
                    </Table.Td>
                  )}
                  <Table.Td>{formatTime(o.firstSeen)}</Table.Td>
                  <Table.Td>{formatTime(o.lastSeen)}</Table.Td>
                  <Table.Td>{o.count}</Table.Td>
                  <Table.Td>{keyName(o.keyId)}</Table.Td>
                  <Table.Td>
                    <NetworkFacts assessment={o.assessment} />
                  </Table.Td>
                  <Table.Td>
                    <Reasons observed={o} />
                  </Table.Td>
                  {props.showHow === true && <Table.Td>{howAuthorized(o)}</Table.Td>}
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button
                        size="xs"
                        variant="default"
                        onClick={() => setAssessing(o)}
                        aria-label={`Assess ${o.address}`}
                      >
                        Assess
                      </Button>
                      {editable && o.status !== 'authorized' && (
                        <Button
                          size="xs"
                          aria-label={`Authorize ${o.address}`}
                          onClick={() => {
                            setName('');
                            setReason('');
                            setFormError(null);
                            setAuthorizing(o);
                          }}
                        >
                          Authorize
                        </Button>
                      )}
                      {editable && o.status !== 'rejected' && (
                        <Button
                          size="xs"
                          color="red.8"
                          variant={o.status === 'authorized' ? 'outline' : 'filled'}
                          aria-label={`${o.status === 'authorized' ? 'Undo' : 'Reject'} ${o.address}`}
                          onClick={() => {
                            setReason('');
                            setRotate(false);
                            setFormError(null);
                            setRejecting(o);
                          }}
                        >
                          {o.status === 'authorized' ? 'Undo' : 'Reject'}
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </ListState>
      {pager}
      <FormModal
        opened={authorizing !== null}
        onClose={() => setAuthorizing(null)}
        title={`Authorize ${authorizing?.address ?? ''}`}
        onSubmit={() => {
          if (authorizing !== null) authorize.mutate(authorizing);
        }}
        submitLabel="Authorize"
        busy={authorize.isPending}
      >
        <Text size="sm">
          The address joins the tenant’s IP list (source review); its next call with any of the tenant’s keys
          passes.
        </Text>
        <TextInput
          label="Entry name (optional)"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={formError?.field === 'name' ? formError.message : undefined}
          maxLength={200}
          data-autofocus
        />
        {reasonField(false)}
        {formError !== null && !['name', 'reason'].includes(formError.field ?? '') && formAlert}
      </FormModal>
      <FormModal
        opened={rejecting !== null}
        onClose={() => setRejecting(null)}
        title={`${rejecting?.status === 'authorized' ? 'Undo' : 'Reject'} ${rejecting?.address ?? ''}`}
        onSubmit={() => {
          if (rejecting !== null) reject.mutate(rejecting);
        }}
        submitLabel={rejecting?.status === 'authorized' ? 'Undo' : 'Reject'}
        busy={reject.isPending}
        danger
      >
        <List size="sm">
          <List.Item>The address stays denied and is not reviewed again.</List.Item>
          {rejecting?.status === 'authorized' && (
            <List.Item>
              The entries that authorizing it added are removed from the list; entries a person wrote stay.
            </List.Item>
          )}
        </List>
        {reasonField(true)}
        <Checkbox
          label={`Also rotate the key ${rejecting === null ? '' : `“${keyName(rejecting.keyId)}”`}: its secret stops working at once, the new one is shown once`}
          checked={rotate}
          onChange={(e) => setRotate(e.currentTarget.checked)}
        />
        {formError !== null && formError.field !== 'reason' && formAlert}
      </FormModal>
      <AssessmentModal tenantId={tenantId} observed={assessing} onClose={() => setAssessing(null)} />
      <SecretOnceModal secret={secret} onClose={() => setSecret(null)} />
    </Stack>
  );
}
