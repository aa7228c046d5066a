/**
 * The frame around every page: header (tenant switcher, who is signed in, sign-out) and navigation.
 */
import { AppShell, Badge, Button, Group, NavLink, Select, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { api, unwrap } from '../api/client';
import { Link, navigate } from '../router';
import { type SessionInfo, useSignOut } from '../session';

const TENANT_SECTIONS = [
  ['ip-restriction', 'API IP Restriction'],
  ['authorized-ips', 'Authorized IPs'],
  ['keys', 'API keys'],
  ['check', 'Check an address'],
  ['requests', 'REST API logs'],
  ['audit', 'Audit log'],
] as const;

/** Every tenant the user may see (a tenant user: its own). */
export function useTenants() {
  return useQuery({
    queryKey: ['tenants'],
    queryFn: async () => unwrap(await api.GET('/v1/tenants', { params: { query: { limit: 500 } } })).items,
  });
}

export function Shell(props: {
  session: SessionInfo;
  tenantId: string | undefined;
  section: string;
  children: ReactNode;
}) {
  const { session, tenantId, section } = props;
  const tenants = useTenants();
  const signOut = useSignOut();
  const first = tenants.data?.[0]?.id;
  const allTenants = session.user.tenantId === null;

  // The start page is the first tenant's IP restriction.
  useEffect(() => {
    if (section === 'home' && first !== undefined) navigate(`/t/${first}/ip-restriction`, { replace: true });
  }, [section, first]);

  // The tenant last chosen stays the current one on the pages of no tenant (APIs, users), so the
  // navigation leads back to it rather than to the first tenant.
  const [lastTenant, setLastTenant] = useState(tenantId);
  useEffect(() => {
    if (tenantId !== undefined) setLastTenant(tenantId);
  }, [tenantId]);
  const current = tenantId ?? lastTenant ?? first;
  const tenantSection = TENANT_SECTIONS.some(([s]) => s === section) ? section : 'ip-restriction';
  return (
    <AppShell header={{ height: 60 }} navbar={{ width: 240, breakpoint: 'sm' }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Title order={2} size="h4">
              ipgate console
            </Title>
            <Select
              aria-label="Tenant"
              placeholder={tenants.isPending ? 'Loading tenants…' : 'No tenant'}
              data={(tenants.data ?? []).map((t) => ({ value: t.id, label: t.name }))}
              value={current ?? null}
              onChange={(id) => id !== null && navigate(`/t/${id}/${tenantSection}`)}
              disabled={!allTenants}
              allowDeselect={false}
              searchable
              w={220}
            />
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm">
              Signed in as <strong>{session.user.name}</strong>
            </Text>
            <Badge color="gray" variant="light">
              {session.user.role}
              {allTenants ? ', all tenants' : ''}
            </Badge>
            <Button variant="default" size="xs" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Console pages">
        <Stack gap={2}>
          {current !== undefined &&
            TENANT_SECTIONS.map(([s, label]) => (
              <NavLink
                key={s}
                component={Link}
                to={`/t/${current}/${s}`}
                label={label}
                active={section === s}
                aria-current={section === s ? 'page' : undefined}
              />
            ))}
          {allTenants && (
            <NavLink
              component={Link}
              to="/apis"
              label="APIs"
              active={section === 'apis'}
              aria-current={section === 'apis' ? 'page' : undefined}
            />
          )}
          {session.user.role === 'owner' && (
            <NavLink
              component={Link}
              to="/users"
              label="Users and tokens"
              active={section === 'users'}
              aria-current={section === 'users' ? 'page' : undefined}
            />
          )}
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main>
        {section === 'home' && tenants.data?.length === 0 ? (
          <Text>
            No tenant yet. Create one with the management API (POST /v1/tenants) or `ipgate tenants create`.
          </Text>
        ) : (
          props.children
        )}
      </AppShell.Main>
    </AppShell>
  );
}
