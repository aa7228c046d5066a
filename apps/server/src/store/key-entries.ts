import type { Selectable } from 'kysely';
import { read, type StoreContext } from './context.js';
import type { KeyDomainEntriesTable, KeyIpEntriesTable } from './database.js';
import { checkVersion, limitReached } from './errors.js';
import { newId } from './ids.js';
import { getKey, lockKey } from './keys.js';
import { assertCanonicalFree, lockOwnedEntry, type Untyped } from './owned-entries.js';
import { recordChange } from './record.js';
import { nowIso, toDate } from './rows.js';
import type {
  AddKeyEntryInput,
  CreateOptions,
  KeyDomainEntry,
  KeyIpEntry,
  MutationOptions,
  Tenant,
  UpdateKeyEntryInput,
} from './store.js';
import * as v from './validate.js';

/**
 * One of a key's two restriction lists (docs/architecture/pipeline.md#6-key-restrictions). Both are limited
 * per key by a tenant setting and locked through the key row; they differ in parser and table.
 *
 * @example
 * await addKeyEntry(ctx, keyIpList, tenantId, keyId, { value: '203.0.113.7' }, { actor });
 */
export interface KeyListSpec<E> {
  readonly table: 'key_ip_entries' | 'key_domain_entries';
  /** Every key list is owned by its key. */
  readonly ownerColumn: 'key_id';
  readonly entryNoun: string;
  readonly listNoun: string;
  readonly action: string;
  readonly targetType: string;
  limit(tenant: Pick<Tenant, 'keyIpLimit' | 'keyDomainLimit'>): number;
  /** Parses the value with core; the extra columns the table holds besides the canonical form. */
  parse(value: unknown): { canonical: string; extra: Record<string, string> };
  fromRow(row: Record<string, unknown>): E;
}

/** The key's IP list, limited by the tenant's `keyIpLimit`. */
export const keyIpList: KeyListSpec<KeyIpEntry> = {
  table: 'key_ip_entries',
  ownerColumn: 'key_id',
  entryNoun: 'key IP entry',
  listNoun: "key's IP list",
  action: 'key.ip_entry',
  targetType: 'key_ip_entry',
  limit: (tenant) => tenant.keyIpLimit,
  parse(value) {
    const entry = v.ipEntry(value);
    return { canonical: entry.canonical, extra: { type: entry.type } };
  },
  fromRow(r) {
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
};

/** The key's domain list, limited by the tenant's `keyDomainLimit`. */
export const keyDomainList: KeyListSpec<KeyDomainEntry> = {
  table: 'key_domain_entries',
  ownerColumn: 'key_id',
  entryNoun: 'key domain entry',
  listNoun: "key's domain list",
  action: 'key.domain_entry',
  targetType: 'key_domain_entry',
  limit: (tenant) => tenant.keyDomainLimit,
  parse(value) {
    return { canonical: v.domainRule(value).canonical, extra: {} };
  },
  fromRow(r) {
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
};

/**
 * Every entry of a key's list, oldest first; another tenant's key is IPG_NOT_FOUND.
 */
export async function listKeyEntries<E>(
  ctx: StoreContext,
  spec: KeyListSpec<E>,
  tenantId: string,
  keyId: string,
): Promise<E[]> {
  await getKey(ctx, tenantId, keyId);
  const rows: Record<string, unknown>[] = await read(ctx, () =>
    (ctx.db as unknown as Untyped)
      .selectFrom(spec.table)
      .selectAll()
      .where('key_id', '=', keyId)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
  );
  return rows.map((r) => spec.fromRow(r));
}

/**
 * Adds an entry to a key's list, atomically against the tenant's per-key limit.
 *
 * @example
 * await addKeyEntry(ctx, keyIpList, tenantId, keyId, { value: '203.0.113.7', name: 'ci runner' }, { actor });
 */
export async function addKeyEntry<E>(
  ctx: StoreContext,
  spec: KeyListSpec<E>,
  tenantId: string,
  keyId: string,
  input: AddKeyEntryInput,
  options: CreateOptions,
): Promise<E> {
  const actor = v.actor(options.actor);
  const parsed = spec.parse(input.value);
  const name = input.name === undefined ? '' : v.text(input.name, 'name', { allowEmpty: true });
  return ctx.dialect.transaction(async (trx) => {
    await lockKey(ctx, trx, tenantId, keyId);
    const t = trx as unknown as Untyped;
    await assertCanonicalFree(t, spec, keyId, parsed.canonical, undefined);
    const tenant = await trx
      .selectFrom('tenants')
      .select(['key_ip_limit as keyIpLimit', 'key_domain_limit as keyDomainLimit'])
      .where('id', '=', tenantId)
      .executeTakeFirstOrThrow();
    const limit = spec.limit(tenant);
    const { n } = await t
      .selectFrom(spec.table)
      .select((eb) => eb.fn.countAll().as('n'))
      .where('key_id', '=', keyId)
      .executeTakeFirstOrThrow();
    if (Number(n) >= limit) throw limitReached(spec.listNoun, limit);
    const now = nowIso();
    const row: Record<string, unknown> = await t
      .insertInto(spec.table)
      .values({
        id: newId(spec.table === 'key_ip_entries' ? 'kie' : 'kde'),
        key_id: keyId,
        name,
        value: String(input.value).trim(),
        canonical: parsed.canonical,
        ...parsed.extra,
        version: 1,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const after = spec.fromRow(row);
    await recordChange(ctx, trx, now, {
      actor,
      action: `${spec.action}.added`,
      tenantId,
      keyId,
      targetType: spec.targetType,
      targetId: String(row['id']),
      before: null,
      after,
    });
    return after;
  });
}

/**
 * Changes the value or name of an entry on a key's list.
 *
 * @example
 * await updateKeyEntry(ctx, keyIpList, tenantId, keyId, entryId, { value: '203.0.113.8' }, { actor, expectedVersion: 1 });
 */
export async function updateKeyEntry<E>(
  ctx: StoreContext,
  spec: KeyListSpec<E>,
  tenantId: string,
  keyId: string,
  entryId: string,
  patch: UpdateKeyEntryInput,
  options: MutationOptions,
): Promise<E> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  const parsed = patch.value === undefined ? undefined : spec.parse(patch.value);
  const set = {
    ...(patch.name === undefined ? {} : { name: v.text(patch.name, 'name', { allowEmpty: true }) }),
    ...(parsed === undefined
      ? {}
      : { value: String(patch.value).trim(), canonical: parsed.canonical, ...parsed.extra }),
  };
  return ctx.dialect.transaction(async (trx) => {
    await lockKey(ctx, trx, tenantId, keyId);
    const t = trx as unknown as Untyped;
    const before = await lockEntry(ctx, t, spec, keyId, entryId);
    checkVersion(spec.entryNoun, before, expected);
    if (parsed !== undefined) await assertCanonicalFree(t, spec, keyId, parsed.canonical, entryId);
    const now = nowIso();
    const row: Record<string, unknown> = await t
      .updateTable(spec.table)
      .set({ ...set, version: before.version + 1, updated_at: now })
      .where('id', '=', entryId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const after = spec.fromRow(row);
    await recordChange(ctx, trx, now, {
      actor,
      action: `${spec.action}.updated`,
      tenantId,
      keyId,
      targetType: spec.targetType,
      targetId: entryId,
      before: before.entity,
      after,
    });
    return after;
  });
}

/**
 * Removes an entry from a key's list.
 */
export async function removeKeyEntry<E>(
  ctx: StoreContext,
  spec: KeyListSpec<E>,
  tenantId: string,
  keyId: string,
  entryId: string,
  options: MutationOptions,
): Promise<void> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  await ctx.dialect.transaction(async (trx) => {
    await lockKey(ctx, trx, tenantId, keyId);
    const t = trx as unknown as Untyped;
    const before = await lockEntry(ctx, t, spec, keyId, entryId);
    checkVersion(spec.entryNoun, before, expected);
    await t.deleteFrom(spec.table).where('id', '=', entryId).execute();
    await recordChange(ctx, trx, nowIso(), {
      actor,
      action: `${spec.action}.removed`,
      tenantId,
      keyId,
      targetType: spec.targetType,
      targetId: entryId,
      before: before.entity,
      after: null,
    });
  });
}

/** The entry of this key, locked for the write (see owned-entries.ts). */
async function lockEntry<E>(
  ctx: StoreContext,
  t: Untyped,
  spec: KeyListSpec<E>,
  keyId: string,
  entryId: string,
): Promise<{ id: string; version: number; entity: E }> {
  const row = await lockOwnedEntry(ctx, t, spec, keyId, entryId);
  return { id: entryId, version: Number(row['version']), entity: spec.fromRow(row) };
}
