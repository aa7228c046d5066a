import { IpGateError } from '@ipgate/core';
import type { Selectable, Transaction, Updateable } from 'kysely';
import { hashSecret, looksLikeSecret, newSecret, SECRET_PREFIX } from '../secrets/secrets.js';
import { read, type StoreContext } from './context.js';
import type { Database, KeysTable } from './database.js';
import { checkVersion, notFound } from './errors.js';
import { newId } from './ids.js';
import { recordChange } from './record.js';
import { pagePosition, readCreationPage } from './resource-reads.js';
import { flag, nowIso, toBool, toDate, toDateOrNull } from './rows.js';
import type {
  ApiKey,
  CreateKeyInput,
  CreateOptions,
  KeyWithSecret,
  MutationOptions,
  Page,
  PageRequest,
  UpdateKeyInput,
} from './store.js';
import { getTenant, lockTenant } from './tenants.js';
import * as v from './validate.js';

/**
 * The stored row as the public entity; the hash stays behind.
 *
 * @example
 * keyFromRow(row).prefix; // 'ipg_live_Zk3x'
 */
export function keyFromRow(row: Selectable<KeysTable>): ApiKey {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    prefix: row.prefix,
    status: row.status,
    ipRestrictionEnabled: toBool(row.ip_restriction_enabled),
    domainRestrictionEnabled: toBool(row.domain_restriction_enabled),
    version: row.version,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    rotatedAt: toDateOrNull(row.rotated_at),
    revokedAt: toDateOrNull(row.revoked_at),
  };
}

/**
 * Reads a key of this tenant in a write transaction, locking its row on PostgreSQL; another tenant's
 * key is IPG_NOT_FOUND.
 */
export async function lockKey(
  ctx: StoreContext,
  trx: Transaction<Database>,
  tenantId: string,
  keyId: string,
): Promise<ApiKey> {
  const row = await trx
    .selectFrom('keys')
    .selectAll()
    .where('id', '=', keyId)
    .where('tenant_id', '=', tenantId)
    .$if(ctx.dialect.lockRows, (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (row === undefined) throw notFound('key', keyId);
  return keyFromRow(row);
}

/**
 * Creates a key and returns its secret, the only time it is ever seen.
 *
 * @example
 * const { key, secret } = await createKey(ctx, tenantId, { name: 'ci' }, { actor });
 */
export async function createKey(
  ctx: StoreContext,
  tenantId: string,
  input: CreateKeyInput,
  options: CreateOptions,
): Promise<KeyWithSecret> {
  const actor = v.actor(options.actor);
  const name = v.text(input.name, 'name');
  const ip =
    input.ipRestrictionEnabled === undefined
      ? false
      : v.bool(input.ipRestrictionEnabled, 'ipRestrictionEnabled');
  const domain =
    input.domainRestrictionEnabled === undefined
      ? false
      : v.bool(input.domainRestrictionEnabled, 'domainRestrictionEnabled');
  return ctx.dialect.transaction(async (trx) => {
    await lockTenant(ctx, trx, tenantId);
    const { secret, hash, prefix } = newSecret();
    const now = nowIso();
    const row = await trx
      .insertInto('keys')
      .values({
        id: newId('key'),
        tenant_id: tenantId,
        name,
        prefix,
        secret_hash: hash,
        status: 'active',
        ip_restriction_enabled: flag(ip),
        domain_restriction_enabled: flag(domain),
        version: 1,
        created_at: now,
        updated_at: now,
        rotated_at: null,
        revoked_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const key = keyFromRow(row);
    await recordChange(ctx, trx, now, {
      actor,
      action: 'key.created',
      tenantId,
      keyId: key.id,
      targetType: 'key',
      targetId: key.id,
      before: null,
      after: key,
    });
    return { key, secret };
  });
}

/**
 * One key of this tenant, or IPG_NOT_FOUND.
 */
export async function getKey(ctx: StoreContext, tenantId: string, keyId: string): Promise<ApiKey> {
  const row = await read(ctx, () =>
    ctx.db
      .selectFrom('keys')
      .selectAll()
      .where('id', '=', keyId)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst(),
  );
  if (row === undefined) throw notFound('key', keyId);
  return keyFromRow(row);
}

/**
 * The tenant's keys, oldest first, one page at a time.
 */
export async function listKeys(
  ctx: StoreContext,
  tenantId: string,
  page?: PageRequest,
): Promise<Page<ApiKey>> {
  const at = pagePosition(page);
  await getTenant(ctx, tenantId);
  return readCreationPage(ctx, 'keys', at, keyFromRow, tenantId);
}

/**
 * The active key whose secret this is, by hash lookup; undefined for unknown and revoked keys.
 *
 * @example
 * const key = await findKeyBySecret(ctx, request.headers['x-api-key']);
 */
export async function findKeyBySecret(ctx: StoreContext, secret: string): Promise<ApiKey | undefined> {
  // Not ours by shape: no need to ask the database.
  if (!looksLikeSecret(secret, SECRET_PREFIX)) return undefined;
  const row = await read(ctx, () =>
    ctx.db
      .selectFrom('keys')
      .selectAll()
      .where('secret_hash', '=', hashSecret(secret))
      .where('status', '=', 'active')
      .executeTakeFirst(),
  );
  return row === undefined ? undefined : keyFromRow(row);
}

/**
 * Renames a key or switches its IP and domain restrictions.
 *
 * @example
 * await updateKey(ctx, tenantId, keyId, { ipRestrictionEnabled: true }, { actor, expectedVersion: 1 });
 */
export async function updateKey(
  ctx: StoreContext,
  tenantId: string,
  keyId: string,
  patch: UpdateKeyInput,
  options: MutationOptions,
): Promise<ApiKey> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  const set = {
    ...(patch.name === undefined ? {} : { name: v.text(patch.name, 'name') }),
    ...(patch.ipRestrictionEnabled === undefined
      ? {}
      : { ip_restriction_enabled: flag(v.bool(patch.ipRestrictionEnabled, 'ipRestrictionEnabled')) }),
    ...(patch.domainRestrictionEnabled === undefined
      ? {}
      : {
          domain_restriction_enabled: flag(
            v.bool(patch.domainRestrictionEnabled, 'domainRestrictionEnabled'),
          ),
        }),
  };
  return writeKey(ctx, tenantId, keyId, expected, actor, 'key.updated', async () => set);
}

/**
 * Gives a key a new secret; the old one stops working when this commits.
 *
 * @example
 * const { secret } = await rotateKey(ctx, tenantId, keyId, { actor });
 */
export async function rotateKey(
  ctx: StoreContext,
  tenantId: string,
  keyId: string,
  options: MutationOptions,
): Promise<KeyWithSecret> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  let secret = '';
  const key = await writeKey(ctx, tenantId, keyId, expected, actor, 'key.rotated', async (now, before) => {
    assertNotRevoked(before);
    const fresh = newSecret();
    secret = fresh.secret;
    return { secret_hash: fresh.hash, prefix: fresh.prefix, rotated_at: now };
  });
  return { key, secret };
}

/**
 * Revokes a key for good. A revoked key stays listed (for the audit trail) but never authenticates.
 */
export async function revokeKey(
  ctx: StoreContext,
  tenantId: string,
  keyId: string,
  options: MutationOptions,
): Promise<ApiKey> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  return writeKey(ctx, tenantId, keyId, expected, actor, 'key.revoked', async (now, before) =>
    before.status === 'revoked' ? undefined : { status: 'revoked' as const, revoked_at: now },
  );
}

/**
 * Gives a key locked by the caller's transaction a new secret, version + 1. Records no change: the
 * caller's one mutation does (e.g. rejecting an observed address and rotating its key).
 *
 * @example
 * const key = await lockKey(ctx, trx, tenantId, keyId);
 * const { secret } = await rotateInTransaction(trx, key, nowIso());
 */
export async function rotateInTransaction(
  trx: Transaction<Database>,
  before: ApiKey,
  now: string,
): Promise<KeyWithSecret> {
  assertNotRevoked(before);
  const fresh = newSecret();
  const row = await trx
    .updateTable('keys')
    .set({
      secret_hash: fresh.hash,
      prefix: fresh.prefix,
      rotated_at: now,
      version: before.version + 1,
      updated_at: now,
    })
    .where('id', '=', before.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { key: keyFromRow(row), secret: fresh.secret };
}

type KeySet = Updateable<KeysTable>;

/** The shape every key mutation shares; `change` returning undefined means "nothing to do". */
async function writeKey(
  ctx: StoreContext,
  tenantId: string,
  keyId: string,
  expected: number | undefined,
  actor: string,
  action: string,
  change: (now: string, before: ApiKey) => Promise<KeySet | undefined>,
): Promise<ApiKey> {
  return ctx.dialect.transaction(async (trx) => {
    const before = await lockKey(ctx, trx, tenantId, keyId);
    checkVersion('key', before, expected);
    const now = nowIso();
    const set = await change(now, before);
    if (set === undefined) return before;
    const row = await trx
      .updateTable('keys')
      .set({ ...set, version: before.version + 1, updated_at: now })
      .where('id', '=', keyId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const after = keyFromRow(row);
    await recordChange(ctx, trx, now, {
      actor,
      action,
      tenantId,
      keyId,
      targetType: 'key',
      targetId: keyId,
      before,
      after,
    });
    return after;
  });
}

/** A revoked key never authenticates again, so a new secret for it would be one that never works. */
function assertNotRevoked(key: ApiKey): void {
  if (key.status !== 'revoked') return;
  throw new IpGateError(
    'IPG_KEY_REVOKED',
    `The key ${JSON.stringify(key.id)} is revoked; it cannot be rotated.`,
    {
      hint: 'Create a new key instead.',
      input: key.id,
    },
  );
}
