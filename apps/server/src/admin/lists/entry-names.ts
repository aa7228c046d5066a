/**
 * Names of list entries, read from the store. A node's compiled lists keep each entry's id and value
 * but not its name (a million names are ~60 MB of a node's memory, and the request path never reads
 * them), so what explains a match or publishes a list by name asks the store.
 */
import { isIpGateError, type MatchedRule } from '@ipgate/core';
import type { RecordedMatch, Store } from '../../store/store.js';

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

/** What a request log record says it matched, and whose lists those were. */
interface RecordedMatches {
  readonly tenantId: string | null;
  readonly apiId: string | null;
  readonly keyId: string | null;
  readonly matched?: readonly RecordedMatch[] | undefined;
}

/**
 * The names of the entries a page of request records matched, by {@link matchKey}: null when the
 * entry has no name or is gone since. Each entry (and each key's lists) is read once per page, however
 * many records name it; the request path recorded ids only, so this is the one place names are read.
 * An API's allowlist belongs to the operator, not the tenant: its names are read only for a reader
 * who may see every tenant (`apiAllowlistNames`); others get the id alone.
 *
 * @example
 * const names = await recordedMatchNames(store, page.items, { apiAllowlistNames: true });
 * names.get(matchKey({ list: 'tenant', entryId: 'ent_1' }, record)); // 'office'
 */
export async function recordedMatchNames(
  store: EntryReader,
  records: readonly RecordedMatches[],
  options: { readonly apiAllowlistNames: boolean },
): Promise<ReadonlyMap<string, string | null>> {
  const names = new Map<string, Promise<string | null>>();
  const keyLists = new Map<string, Promise<ReadonlyMap<string, string>>>();
  const keyList = (list: 'key-ips' | 'key-domains', tenantId: string, keyId: string) => {
    const at = `${list} ${tenantId} ${keyId}`;
    let read = keyLists.get(at);
    if (read === undefined) {
      read = (
        list === 'key-ips'
          ? store.listKeyIpEntries(tenantId, keyId)
          : store.listKeyDomainEntries(tenantId, keyId)
      )
        .then(
          (entries: readonly { id: string; name: string }[]) => new Map(entries.map((e) => [e.id, e.name])),
        )
        .catch(gone(new Map<string, string>()));
      keyLists.set(at, read);
    }
    return read;
  };
  for (const r of records) {
    for (const m of r.matched ?? []) {
      const at = matchKey(m, r);
      if (names.has(at)) continue;
      let name: Promise<string | undefined>;
      if (m.list === 'tenant' && r.tenantId !== null) {
        name = store.getTenantIpEntry(r.tenantId, m.entryId).then((e) => e.name, gone(undefined));
      } else if (m.list === 'api-allowlist' && r.apiId !== null && options.apiAllowlistNames) {
        name = store.getApiAllowlistEntry(r.apiId, m.entryId).then((e) => e.name, gone(undefined));
      } else if (
        (m.list === 'key-ips' || m.list === 'key-domains') &&
        r.tenantId !== null &&
        r.keyId !== null
      ) {
        name = keyList(m.list, r.tenantId, r.keyId).then((entries) => entries.get(m.entryId));
      } else {
        name = Promise.resolve(undefined);
      }
      names.set(
        at,
        name.then((n) => (n === undefined || n === '' ? null : n)),
      );
    }
  }
  const pending = [...names];
  const resolved = await Promise.all(pending.map(([, name]) => name));
  return new Map(pending.map(([at], i) => [at, resolved[i] ?? null]));
}

/**
 * Where {@link recordedMatchNames} keeps a matched entry's name: the list, its owner and the id (ids
 * are unique, the owner keeps another tenant's record from reading a name it may not see).
 *
 * @example
 * matchKey({ list: 'tenant', entryId: 'ent_1' }, { tenantId: 'ten_1', apiId: null, keyId: null });
 */
export function matchKey(
  m: RecordedMatch,
  owners: { readonly tenantId: string | null; readonly apiId: string | null; readonly keyId: string | null },
): string {
  const owner =
    m.list === 'api-allowlist' ? owners.apiId : m.list === 'tenant' ? owners.tenantId : owners.keyId;
  return `${m.list} ${owner ?? '-'} ${m.entryId}`;
}

/** An entry removed since the request: no name, not an error. */
function gone<T>(fallback: T): (e: unknown) => T {
  return (e) => {
    if (isIpGateError(e) && e.code === 'IPG_NOT_FOUND') return fallback;
    throw e;
  };
}
