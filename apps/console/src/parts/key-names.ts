/** The names of a tenant's keys by id: observed addresses and logs name the key, not only its id. */
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';

export const keysKey = (tenantId: string) => ['keys', tenantId] as const;

/** A tenant's keys (the first 500; a tenant rarely has more), for names and pickers. */
export function useKeys(tenantId: string) {
  return useQuery({
    queryKey: keysKey(tenantId),
    queryFn: async () =>
      unwrap(
        await api.GET('/v1/tenants/{tenantId}/keys', {
          params: { path: { tenantId }, query: { limit: 500 } },
        }),
      ).items,
  });
}

/** The key's name, or its id while the names load or when it is gone. */
export function useKeyName(tenantId: string): (keyId: string) => string {
  const keys = useKeys(tenantId);
  return (keyId) => keys.data?.find((k) => k.id === keyId)?.name ?? keyId;
}
