/**
 * Names of list entries, read from the store. A node's compiled lists keep each entry's id and value
 * but not its name (a million names are ~60 MB of a node's memory, and the request path never reads
 * them), so what explains a match or publishes a list by name asks the store.
 */
import { isIpGateError, type MatchedRule } from '@ipgate/core';
import type { Store } from '../../store/store.js';

/** What reading an entry's name takes. */
type EntryReader = Pick<
  Store,
  'getTenantIpEntry' | 'getApiAllowlistEntry' | 'listKeyIpEntries' | 'listKeyDomainEntries'
>;

/**
 * The matched rules with their entries' names, from the store. A rule whose entry is gone since the
 * snapshot was compiled keeps no name rather than failing the explanation.
 *
 * @example
 * const matched = await withEntryNames(store, decision.matched, { tenantId, apiId, keyId });
 */
export async function withEntryNames(
  store: EntryReader,
  matched: readonly MatchedRule[],
  owners: { readonly tenantId: string | null; readonly apiId: string | null; readonly keyId: string | null },
): Promise<MatchedRule[]> {
  return Promise.all(
    matched.map(async (m) => {
      if (m.name !== undefined || m.id === undefined) return m;
      const name = await nameOf(store, m.list, m.id, owners).catch((e: unknown) => {
        if (isIpGateError(e) && e.code === 'IPG_NOT_FOUND') return undefined;
        throw e;
      });
      return { ...m, name: name === '' ? undefined : name };
    }),
  );
}

async function nameOf(
  store: EntryReader,
  list: MatchedRule['list'],
  id: string,
  owners: { readonly tenantId: string | null; readonly apiId: string | null; readonly keyId: string | null },
): Promise<string | undefined> {
  if (list === 'tenant' && owners.tenantId !== null)
    return (await store.getTenantIpEntry(owners.tenantId, id)).name;
  if (list === 'api-allowlist' && owners.apiId !== null)
    return (await store.getApiAllowlistEntry(owners.apiId, id)).name;
  if (list === 'key-ips' && owners.tenantId !== null && owners.keyId !== null) {
    return (await store.listKeyIpEntries(owners.tenantId, owners.keyId)).find((e) => e.id === id)?.name;
  }
  if (list === 'key-domains' && owners.tenantId !== null && owners.keyId !== null) {
    return (await store.listKeyDomainEntries(owners.tenantId, owners.keyId)).find((e) => e.id === id)?.name;
  }
  return undefined;
}

/**
 * The names of a tenant's IP list or an API's allowlist by entry id, for a published document.
 *
 * @example
 * const names = await listEntryNames(store, { kind: 'tenant', tenantId });
 */
export async function listEntryNames(
  store: Pick<Store, 'listTenantIpEntries' | 'listApiAllowlistEntries'>,
  scope:
    | { readonly kind: 'tenant'; readonly tenantId: string }
    | { readonly kind: 'api'; readonly apiId: string },
): Promise<ReadonlyMap<string, string>> {
  const entries =
    scope.kind === 'tenant'
      ? await store.listTenantIpEntries(scope.tenantId)
      : await store.listApiAllowlistEntries(scope.apiId);
  return new Map(entries.map((e) => [e.id, e.name]));
}
