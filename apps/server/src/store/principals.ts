import { IpGateError } from '@ipgate/core';
import type { Selectable, Transaction } from 'kysely';
import { hashSecret, looksLikeSecret, newSecret, TOKEN_SECRET_PREFIX } from '../secrets/secrets.js';
import { read, type StoreContext } from './context.js';
import type { Database, PrincipalsTable } from './database.js';
import { checkVersion, notFound } from './errors.js';
import { newId } from './ids.js';
import { recordChange } from './record.js';
import { pagePosition, readById, readCreationPage } from './resource-reads.js';
import { nowIso, toDate } from './rows.js';
import type {
  CreateOptions,
  CreateTokenInput,
  MutationOptions,
  Page,
  PageRequest,
  Principal,
  Role,
} from './store.js';
import { lockTenant } from './tenants.js';
import * as v from './validate.js';
import { ROLES } from './vocabulary.js';

/**
 * The stored row as the public entity; secret and password hashes stay behind.
 *
 * @example
 * principalFromRow(row).role; // 'owner'
 */
export function principalFromRow(row: Selectable<PrincipalsTable>): Principal {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    role: row.role,
    tenantId: row.tenant_id,
    version: row.version,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/**
 * Inserts a principal of either kind (an admin token, a console user) and records its creation, in
 * the caller's transaction: the one way both are made, so their rows and audit events cannot differ.
 *
 * @example
 * const principal = await insertPrincipal(ctx, trx, 'user:ops', { kind: 'token', name: 'ci', role: 'editor', tenantId: null, secretHash, passwordHash: null });
 */
export async function insertPrincipal(
  ctx: StoreContext,
  trx: Transaction<Database>,
  actor: string,
  fields: {
    readonly kind: 'token' | 'user';
    readonly name: string;
    readonly role: Role;
    readonly tenantId: string | null;
    readonly secretHash: string | null;
    readonly passwordHash: string | null;
  },
): Promise<Principal> {
  const now = nowIso();
  const row = await trx
    .insertInto('principals')
    .values({
      id: newId('prn'),
      kind: fields.kind,
      name: fields.name,
      role: fields.role,
      tenant_id: fields.tenantId,
      secret_hash: fields.secretHash,
      password_hash: fields.passwordHash,
      version: 1,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const principal = principalFromRow(row);
  await recordChange(ctx, trx, now, {
    actor,
    action: 'principal.created',
    tenantId: fields.tenantId,
    targetType: 'principal',
    targetId: principal.id,
    before: null,
    after: principal,
  });
  return principal;
}

/**
 * Creates an admin token and returns its secret, the only time it is ever seen. A token scoped to a
 * tenant requires that tenant to exist (IPG_NOT_FOUND otherwise) and goes when the tenant goes.
 *
 * @example
 * const { principal, secret } = await createToken(ctx, { name: 'ci', role: 'editor' }, { actor: 'user:ops' });
 * secret.startsWith('ipg_adm_'); // true
 */
export async function createToken(
  ctx: StoreContext,
  input: CreateTokenInput,
  options: CreateOptions,
): Promise<{ readonly principal: Principal; readonly secret: string }> {
  const actor = v.actor(options.actor);
  const name = v.text(input.name, 'name');
  const role = v.oneOf(input.role, 'role', ROLES);
  const tenantId = input.tenantId === undefined || input.tenantId === null ? null : tenantRef(input.tenantId);
  return ctx.dialect.transaction(async (trx) => {
    if (tenantId !== null) await lockTenant(ctx, trx, tenantId);
    const taken = await trx
      .selectFrom('principals')
      .select('id')
      .where('kind', '=', 'token')
      .where('name', '=', name)
      .executeTakeFirst();
    if (taken !== undefined) {
      throw new IpGateError(
        'IPG_ALREADY_EXISTS',
        `A token named ${JSON.stringify(name)} exists already (${taken.id}).`,
        {
          field: 'name',
          hint: 'Choose another name, or delete the old token first.',
        },
      );
    }
    const { secret, hash } = newSecret(TOKEN_SECRET_PREFIX);
    const principal = await insertPrincipal(ctx, trx, actor, {
      kind: 'token',
      name,
      role,
      tenantId,
      secretHash: hash,
      passwordHash: null,
    });
    return { principal, secret };
  });
}

/**
 * The token whose secret this is, by hash lookup (the secret is never compared, so there is no
 * timing to measure); undefined for anything else, keys included.
 */
export async function findTokenBySecret(ctx: StoreContext, secret: string): Promise<Principal | undefined> {
  if (!looksLikeSecret(secret, TOKEN_SECRET_PREFIX)) return undefined;
  const row = await read(ctx, () =>
    ctx.db
      .selectFrom('principals')
      .selectAll()
      .where('secret_hash', '=', hashSecret(secret))
      .where('kind', '=', 'token')
      .executeTakeFirst(),
  );
  return row === undefined ? undefined : principalFromRow(row);
}

/**
 * Principals (tokens and users), oldest first, one page at a time: every one, or with `tenantId`
 * only that tenant's (by the index on tenant, so a tenant's owner never waits for the whole table).
 */
export async function listPrincipals(
  ctx: StoreContext,
  page?: PageRequest,
  filter: { readonly tenantId?: string | undefined } = {},
): Promise<Page<Principal>> {
  return readCreationPage(ctx, 'principals', pagePosition(page), principalFromRow, filter.tenantId);
}

/**
 * One principal by id, or IPG_NOT_FOUND.
 *
 * @example
 * const p = await getPrincipal(ctx, 'prn_…');
 */
export async function getPrincipal(ctx: StoreContext, principalId: string): Promise<Principal> {
  return readById(ctx, 'principals', 'principal', principalId, principalFromRow);
}

/**
 * Deletes a principal; a token stops working when this commits.
 *
 * @example
 * await deletePrincipal(ctx, 'prn_…', { actor: 'user:ops', expectedVersion: 1 });
 */
export async function deletePrincipal(
  ctx: StoreContext,
  principalId: string,
  options: MutationOptions,
): Promise<void> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  await ctx.dialect.transaction(async (trx) => {
    // Every owner for all tenants, locked first: two deletes of the last two owners at once must
    // queue here, or each would see the other and both would pass.
    const owners = await trx
      .selectFrom('principals')
      .select('id')
      .where('role', '=', 'owner')
      .where('tenant_id', 'is', null)
      .orderBy('id')
      .$if(ctx.dialect.lockRows, (qb) => qb.forUpdate())
      .execute();
    const row = await trx
      .selectFrom('principals')
      .selectAll()
      .where('id', '=', principalId)
      .$if(ctx.dialect.lockRows, (qb) => qb.forUpdate())
      .executeTakeFirst();
    if (row === undefined) throw notFound('principal', principalId);
    const before = principalFromRow(row);
    checkVersion('principal', before, expected);
    if (before.role === 'owner' && before.tenantId === null && owners.length <= 1) {
      throw new IpGateError(
        'IPG_LAST_OWNER',
        `${JSON.stringify(before.name)} is the last owner for all tenants; without it nobody could manage admin tokens.`,
        { hint: 'Create another owner for all tenants first, then delete this one.', input: principalId },
      );
    }
    await trx.deleteFrom('principals').where('id', '=', principalId).execute();
    await recordChange(ctx, trx, nowIso(), {
      actor,
      action: 'principal.deleted',
      tenantId: before.tenantId,
      targetType: 'principal',
      targetId: principalId,
      before,
      after: null,
    });
  });
}

/**
 * How many principals exist: zero means the server still needs its first owner token.
 *
 * @example
 * if ((await countPrincipals(ctx)) === 0) await bootstrapOwner();
 */
export async function countPrincipals(ctx: StoreContext): Promise<number> {
  const { n } = await read(ctx, () =>
    ctx.db
      .selectFrom('principals')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow(),
  );
  return Number(n);
}

function tenantRef(value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new IpGateError('IPG_CONFIG_INVALID', 'tenantId must be a tenant id or null (every tenant).', {
      field: 'tenantId',
    });
  }
  return value;
}
