/**
 * The console's frame: sign-in when signed out, else the shell with its navigation, the tenant
 * switcher and the page the path names.
 */
import { Center, Loader } from '@mantine/core';
import { lazy, Suspense } from 'react';
import { ApiError } from './api/client';
import { Shell } from './layout/shell';
import { SignInPage } from './pages/sign-in';
import { usePath } from './router';
import { useSession } from './session';

const IpRestrictionPage = lazy(() => import('./pages/ip-restriction'));
const KeysPage = lazy(() => import('./pages/keys'));
const ApisPage = lazy(() => import('./pages/apis'));
const CheckPage = lazy(() => import('./pages/check'));
const RequestsPage = lazy(() => import('./pages/requests'));
const AuditPage = lazy(() => import('./pages/audit'));
const UsersPage = lazy(() => import('./pages/users'));
const AuthorizedIpsPage = lazy(() => import('./pages/authorized-ips'));

/** The pages of a tenant, by the path segment after /t/:tenantId/. */
const TENANT_PAGES = {
  'ip-restriction': IpRestrictionPage,
  'authorized-ips': AuthorizedIpsPage,
  keys: KeysPage,
  check: CheckPage,
  requests: RequestsPage,
  audit: AuditPage,
} as const;

export type TenantPage = keyof typeof TENANT_PAGES;

function Loading() {
  return (
    <Center h="50vh">
      <Loader aria-label="Loading" />
    </Center>
  );
}

export function App() {
  const session = useSession();
  const path = usePath();
  if (session.isPending) return <Loading />;
  if (session.error instanceof ApiError && session.error.status === 401) return <SignInPage />;
  if (session.data === undefined) return <SignInPage />;

  const tenantMatch = /^\/t\/([A-Za-z0-9_-]+)\/([a-z-]+)/.exec(path);
  let page: React.ReactNode = null;
  let tenantId: string | undefined;
  let section: string;
  if (tenantMatch !== null && tenantMatch[2] !== undefined && tenantMatch[2] in TENANT_PAGES) {
    tenantId = tenantMatch[1];
    section = tenantMatch[2];
    const Page = TENANT_PAGES[tenantMatch[2] as TenantPage];
    page = <Page key={tenantId} tenantId={tenantId as string} session={session.data} />;
  } else if (path === '/apis') {
    section = 'apis';
    page = <ApisPage session={session.data} />;
  } else if (path === '/users') {
    section = 'users';
    page = <UsersPage session={session.data} />;
  } else {
    section = 'home';
  }
  return (
    <Shell session={session.data} tenantId={tenantId} section={section}>
      <Suspense fallback={<Loading />}>{page}</Suspense>
    </Shell>
  );
}
