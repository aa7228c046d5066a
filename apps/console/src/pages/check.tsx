/**
 * Check an address: the decision the gateway would make for an address (and optionally a key, an API and
 * a browser's Origin), and the rule that decided, from the check endpoint. Nothing is sent through the
 * gateway, so a viewer may use it as freely as an owner.
 */

import { canonicalAddress, isIpGateError } from '@ipgate/core';
import { Alert, Button, Code, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, unwrap } from '../api/client';
import { useApis, useTenantKeys } from '../parts/lookups';
import type { SessionInfo } from '../session';

type CheckResult = Awaited<ReturnType<typeof runCheck>>;

interface CheckInput {
  address: string;
  keyId: string | null;
  apiId: string | null;
  origin: string;
}

async function runCheck(tenantId: string, input: CheckInput) {
  return unwrap(
    await api.POST('/v1/tenants/{tenantId}/check', {
      params: { path: { tenantId } },
      body: {
        address: input.address,
        ...(input.keyId === null ? {} : { keyId: input.keyId }),
        ...(input.apiId === null ? {} : { apiId: input.apiId }),
        ...(input.origin === '' ? {} : { origin: input.origin }),
      },
    }),
  );
}

/** What core says about the address as it is typed; the server decides, this only helps. */
function addressProblem(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  try {
    canonicalAddress(text.trim());
    return undefined;
  } catch (e) {
    if (!isIpGateError(e)) return String(e);
    return e.hint === undefined ? e.message : `${e.message} ${e.hint}`;
  }
}

/** What each stage of a decision is called on the console's pages. */
const STAGES: Record<string, string> = {
  'client-address': 'the client address',
  'api-allowlist': 'the API’s IP Whitelist',
  'tenant-restriction': 'the tenant’s API IP Restriction',
  'key-restriction': 'the key’s token security',
  complete: 'complete',
};

/** The tables' names for the lists a matched rule belongs to. */
const LISTS: Record<string, string> = {
  'api-allowlist': 'API IP Whitelist',
  tenant: 'API IP Restriction',
  'key-ips': 'Key IP addresses',
  'key-domains': 'Key allowed domains',
};

function Outcome(props: { result: CheckResult }) {
  const r = props.result;
  return (
    <Stack gap="sm" data-testid="check-result">
      <Alert
        color={r.allow ? 'green' : 'red'}
        title={r.allow ? `Allowed (${r.status})` : `Denied (${r.status})`}
        role="status"
      >
        <Stack gap={4}>
          <Text size="sm">
            {r.reasonText} <Code>{r.reason}</Code>
          </Text>
          <Text size="sm">
            {r.allow ? 'Every stage let it through.' : `Denied by ${STAGES[r.stage] ?? r.stage}.`}
            {r.reviewable ? ' The address waits for review on the Authorized IPs page.' : ''}
          </Text>
          {r.detail !== undefined && <Text size="sm">{r.detail}</Text>}
          <Text size="xs" c="dimmed">
            For {r.address}, decided by rules version {r.snapshotVersion}, the version the gateway serves.
          </Text>
        </Stack>
      </Alert>
      {r.matched.length === 0 ? (
        <Text size="sm" c="dimmed">
          No list entry matched{r.allow ? ': no stage that applies restricts this request.' : '.'}
        </Text>
      ) : (
        <Table striped aria-label="The rules that let the request through">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>List</Table.Th>
              <Table.Th>Rule</Table.Th>
              <Table.Th>Value</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {r.matched.map((m) => (
              <Table.Tr key={`${m.stage}-${m.list}-${m.index}`}>
                <Table.Td>{LISTS[m.list] ?? m.list}</Table.Td>
                <Table.Td>{m.name ?? m.id ?? `entry ${m.index + 1}`}</Table.Td>
                <Table.Td ff="monospace">{m.value}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

export default function CheckPage(props: { tenantId: string; session: SessionInfo }) {
  const { tenantId, session } = props;
  const allTenants = session.user.tenantId === null;
  const keys = useTenantKeys(tenantId);
  const apis = useApis(allTenants);
  const [address, setAddress] = useState(session.clientAddress ?? '');
  const [keyId, setKeyId] = useState<string | null>(null);
  const [apiId, setApiId] = useState<string | null>(null);
  const [origin, setOrigin] = useState('');
  const check = useMutation({ mutationFn: (input: CheckInput) => runCheck(tenantId, input) });

  const live = addressProblem(address);
  const error = check.error instanceof ApiError ? check.error : null;
  const fieldError = (field: string) => (error !== null && error.field === field ? error.message : undefined);
  const general =
    check.error !== null && !['address', 'keyId', 'apiId', 'origin'].includes(error?.field ?? '')
      ? check.error
      : null;

  return (
    <Stack>
      <Title order={1}>Check an address</Title>
      <Text size="sm">
        What would the gateway decide for a call from this address? Add the key it carries, the API it goes to
        and, for a browser, its Origin. The answer names the rule that decided; no request is sent.
      </Text>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (address.trim() === '' || live !== undefined) return;
          check.mutate({ address: address.trim(), keyId, apiId, origin: origin.trim() });
        }}
      >
        <Stack maw={560}>
          <TextInput
            label="Address"
            description="The client address as the gateway sees it, e.g. 203.0.113.7 or 2001:db8::1."
            value={address}
            onChange={(e) => setAddress(e.currentTarget.value)}
            error={live ?? fieldError('address')}
            required
          />
          <Select
            label="Key (optional)"
            description="Applies the tenant's IP list and the key's own restrictions."
            placeholder={keys.isPending ? 'Loading keys…' : 'No key'}
            data={(keys.data ?? []).map((k) => ({
              value: k.id,
              label: `${k.name} (${k.prefix}…)${k.status === 'revoked' ? ', revoked' : ''}`,
            }))}
            value={keyId}
            onChange={setKeyId}
            error={fieldError('keyId')}
            clearable
            searchable
          />
          {allTenants && (
            <Select
              label="API (optional)"
              description="Applies the API's network allowlist."
              placeholder={apis.isPending ? 'Loading APIs…' : 'No API'}
              data={(apis.data ?? []).map((a) => ({ value: a.id, label: `${a.name} (${a.pathPrefix})` }))}
              value={apiId}
              onChange={setApiId}
              error={fieldError('apiId')}
              clearable
              searchable
            />
          )}
          <TextInput
            label="Origin (optional)"
            description="The Origin header a browser would send, e.g. https://app.example.com. Empty: a server's call."
            value={origin}
            onChange={(e) => setOrigin(e.currentTarget.value)}
            error={fieldError('origin')}
          />
          <Group>
            <Button type="submit" loading={check.isPending}>
              Check
            </Button>
          </Group>
        </Stack>
      </form>
      {general !== null && (
        <Alert color="red" role="alert" title="Not checked">
          {general.message}
        </Alert>
      )}
      {check.data !== undefined && check.error === null && <Outcome result={check.data} />}
    </Stack>
  );
}
