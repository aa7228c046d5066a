/**
 * Lists the pages offer as choices (a tenant's keys, the APIs), read once and shared through TanStack
 * Query. Only the first 500 are offered: a choice longer than that is typed, not picked.
 */
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';

/** A tenant's keys (active and revoked), for pickers and for naming a key in a table. */
export function useTenantKeys(tenantId: string) {
  return useQuery({
    queryKey: ['lookup-keys', tenantId],
    queryFn: async () =>
      unwrap(
        await api.GET('/v1/tenants/{tenantId}/keys', {
          params: { path: { tenantId }, query: { limit: 500 } },
        }),
      ).items,
    staleTime: 30_000,
  });
}

/** The APIs, for users of all tenants (a tenant's user cannot read them). */
export function useApis(enabled: boolean) {
  return useQuery({
    queryKey: ['lookup-apis'],
    queryFn: async () => unwrap(await api.GET('/v1/apis', { params: { query: { limit: 500 } } })).items,
    enabled,
    staleTime: 30_000,
  });
}

/** A readable label for an id a table shows: the name when known, else the id itself. */
export function nameOf(
  items: readonly { id: string; name: string }[] | undefined,
  id: string | null,
): string {
  if (id === null) return '—';
  const found = items?.find((i) => i.id === id);
  return found === undefined ? id : `${found.name} (${id})`;
}
