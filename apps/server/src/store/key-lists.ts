import type { Selectable } from 'kysely';
import type { KeyDomainEntriesTable, KeyIpEntriesTable } from './database.js';
import type { IdKind } from './ids.js';
import { getKey, lockKey } from './keys.js';
import type { EntryColumns, EntryPatch, OwnedEntryList } from './owned-entries.js';
import { toDate } from './rows.js';
import type { AddKeyEntryInput, KeyDomainEntry, KeyIpEntry, Tenant, UpdateKeyEntryInput } from './store.js';
import * as v from './validate.js';

/** A key, addressed within its tenant. */
export interface KeyOwner {
  readonly tenantId: string;
  readonly keyId: string;
}

/**
 * One of a key's two restriction lists (docs/architecture/pipeline.md#6-key-restrictions), run by
 * owned-entries.ts. Both are limited per key by a tenant setting and locked through the key row;
 * they differ in parser and table.
 *
 * @example
 * await addEntry(ctx, keyIpList, { tenantId, keyId }, { value: '203.0.113.7' }, { actor });
 */
export type KeyListSpec<E extends { id: string; version: number }> = OwnedEntryList<
  KeyOwner,
  E,
  AddKeyEntryInput,
  UpdateKeyEntryInput
>;

/**
 * What the two key lists share: the owner (the key, within its tenant), and name and value as the
 * only fields; `parse` reads a value into its canonical form and the table's extra columns.
 */
function keyList<E extends { id: string; version: number }>(list: {
  table: 'key_ip_entries' | 'key_domain_entries';
  idPrefix: IdKind;
  entryNoun: string;
  listNoun: string;
  action: string;
  targetType: string;
  limit(tenant: Pick<Tenant, 'keyIpLimit' | 'keyDomainLimit'>): number;
  parse(value: unknown): { canonical: string; extra: Record<string, string> };
  fromRow(row: Record<string, unknown>): E;
}): KeyListSpec<E> {
  return {
    table: list.table,
    ownerColumn: 'key_id',
    idPrefix: list.idPrefix,
    entryNoun: list.entryNoun,
    listNoun: list.listNoun,
    action: list.action,
    targetType: list.targetType,
    ownerId: (owner) => owner.keyId,
    async assertOwner(ctx, { tenantId, keyId }) {
      await getKey(ctx, tenantId, keyId);
    },
    async lockOwner(ctx, trx, { tenantId, keyId }) {
      await lockKey(ctx, trx, tenantId, keyId);
      const tenant = await trx
        .selectFrom('tenants')
        .select(['key_ip_limit as keyIpLimit', 'key_domain_limit as keyDomainLimit'])
        .where('id', '=', tenantId)
        .executeTakeFirstOrThrow();
      return { limit: list.limit(tenant) };
    },
    scope: ({ tenantId, keyId }) => ({ tenantId, keyId }),
    checkAdd(input): EntryColumns {
      const parsed = list.parse(input.value);
      const name = input.name === undefined ? '' : v.text(input.name, 'name', { allowEmpty: true });
      return {
        canonical: parsed.canonical,
        columns: { name, value: String(input.value).trim(), ...parsed.extra },
      };
    },
    checkPatch(patch): EntryPatch {
      const parsed = patch.value === undefined ? undefined : list.parse(patch.value);
      return {
        canonical: parsed?.canonical,
        columns: {
          ...(patch.name === undefined ? {} : { name: v.text(patch.name, 'name', { allowEmpty: true }) }),
          ...(parsed === undefined
            ? {}
            : { value: String(patch.value).trim(), canonical: parsed.canonical, ...parsed.extra }),
        },
      };
    },
    fromRow: (row) => list.fromRow(row),
  };
}

/** The key's IP list, limited by the tenant's `keyIpLimit`. */
export const keyIpList: KeyListSpec<KeyIpEntry> = keyList({
  table: 'key_ip_entries',
  idPrefix: 'kie',
  entryNoun: 'key IP entry',
  listNoun: "key's IP list",
  action: 'key.ip_entry',
  targetType: 'key_ip_entry',
  limit: (tenant) => tenant.keyIpLimit,
  parse(value) {
    const entry = v.ipEntry(value);
    return { canonical: entry.canonical, extra: { type: entry.type } };
  },
  fromRow(r): KeyIpEntry {
    const row = r as unknown as Selectable<KeyIpEntriesTable>;
    return {
      id: row.id,
      keyId: row.key_id,
      name: row.name,
      type: row.type,
      value: row.value,
      canonical: row.canonical,
      version: row.version,
      createdAt: toDate(row.created_at),
      updatedAt: toDate(row.updated_at),
    };
  },
});

/** The key's domain list, limited by the tenant's `keyDomainLimit`. */
export const keyDomainList: KeyListSpec<KeyDomainEntry> = keyList({
  table: 'key_domain_entries',
  idPrefix: 'kde',
  entryNoun: 'key domain entry',
  listNoun: "key's domain list",
  action: 'key.domain_entry',
  targetType: 'key_domain_entry',
  limit: (tenant) => tenant.keyDomainLimit,
  parse(value) {
    return { canonical: v.domainRule(value).canonical, extra: {} };
  },
  fromRow(r): KeyDomainEntry {
    const row = r as unknown as Selectable<KeyDomainEntriesTable>;
    return {
      id: row.id,
      keyId: row.key_id,
      name: row.name,
      value: row.value,
      canonical: row.canonical,
      version: row.version,
      createdAt: toDate(row.created_at),
      updatedAt: toDate(row.updated_at),
    };
  },
});
