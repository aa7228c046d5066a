/**
 * Who is signed in: GET /v1/session, shared through TanStack Query. A 401 means "show the sign-in page".
 */
import { useQuery } from '@tanstack/react-query';
import { ApiError, api, setCsrfToken, unwrap } from './api/client';

/** The signed-in user, the CSRF token and the address the server sees. */
export type SessionInfo = Awaited<ReturnType<typeof fetchSession>>;

async function fetchSession() {
  const session = unwrap(await api.GET('/v1/session'));
  setCsrfToken(session.csrfToken);
  return session;
}

/** The session query: data when signed in, an ApiError 401 when not. */
export function useSession() {
  return useQuery({
    queryKey: ['session'],
    queryFn: fetchSession,
    retry: (count, e) => !(e instanceof ApiError && e.status < 500) && count < 2,
    staleTime: 60_000,
  });
}

/** Whether the signed-in user may change things (editor or owner). */
export function canEdit(session: SessionInfo | undefined): boolean {
  return session !== undefined && session.user.role !== 'viewer';
}

/** Signs out, then reloads the console: nothing read while signed in stays in memory. */
export function useSignOut() {
  return async () => {
    await api.DELETE('/v1/session');
    setCsrfToken(null);
    window.location.assign('/console/');
  };
}
