/**
 * Console users: principals of kind `user` with a password hash (docs/architecture/console.md#users).
 * The store keeps the hash it is given; hashing (Argon2id) is the console's, so the store stays free of
 * a native dependency's choices.
 */
import { IpGateError } from '@ipgate/core';
import { read, type StoreContext } from './context.js';
import { notFound } from './errors.js';
import { insertPrincipal, principalFromRow } from './principals.js';
import { recordChange } from './record.js';
import { nowIso } from './rows.js';
import type { CreateOptions, MutationOptions, Principal, Role } from './store.js';
import { lockTenant } from './tenants.js';
import * as v from './validate.js';
import { ROLES } from './vocabulary.js';

/** What a new console user is made of; `passwordHash` is an encoded Argon2id hash. */
export interface CreateUserInput {
  readonly name: string;
  readonly role: Role;
  /** Null or absent: every tenant. */
  readonly tenantId?: string | null | undefined;
  readonly passwordHash: string;
}

/**
 * Creates a console user. Names are unique among users (IPG_ALREADY_EXISTS, field `name`).
 *
 * @example
 * const user = await createUser(ctx, { name: 'ana', role: 'editor', passwordHash }, { actor: 'cli:users-add' });
 */
export async function createUser(
  ctx: StoreContext,
  input: CreateUserInput,
  options: CreateOptions,
): Promise<Principal> {
  const actor = v.actor(options.actor);
  const name = v.text(input.name, 'name');
  const role = v.oneOf(input.role, 'role', ROLES);
  const tenantId = input.tenantId ?? null;
  const passwordHash = passwordHashOf(input.passwordHash);
  return ctx.dialect.transaction(async (trx) => {
    if (tenantId !== null) await lockTenant(ctx, trx, tenantId);
    const taken = await trx
      .selectFrom('principals')
      .select('id')
      .where('kind', '=', 'user')
      .where('name', '=', name)
      .executeTakeFirst();
    if (taken !== undefined) {
      throw new IpGateError('IPG_ALREADY_EXISTS', `A user named ${JSON.stringify(name)} exists already.`, {
        field: 'name',
        hint: 'Choose another name, or reset that user’s password.',
      });
    }
    return insertPrincipal(ctx, trx, actor, {
      kind: 'user',
      name,
      role,
      tenantId,
      secretHash: null,
      passwordHash,
    });
  });
}

/**
 * The user of that name with its password hash, for signing in; undefined when there is none.
 *
 * @example
 * const found = await findUserByName(ctx, 'ana'); // { principal, passwordHash } | undefined
 */
export async function findUserByName(
  ctx: StoreContext,
  name: string,
): Promise<{ readonly principal: Principal; readonly passwordHash: string } | undefined> {
  if (typeof name !== 'string' || name.length > 200) return undefined;
  const row = await read(ctx, () =>
    ctx.db
      .selectFrom('principals')
      .selectAll()
      .where('kind', '=', 'user')
      .where('name', '=', name.trim())
      .executeTakeFirst(),
  );
  if (row === undefined || row.password_hash === null) return undefined;
  return { principal: principalFromRow(row), passwordHash: row.password_hash };
}

/**
 * Sets a user's password hash and ends every session the user has: whoever knew the old password
 * is signed out.
 *
 * @example
 * await setUserPassword(ctx, 'prn_…', passwordHash, { actor: 'cli:users-reset-password' });
 */
export async function setUserPassword(
  ctx: StoreContext,
  principalId: string,
  passwordHashValue: string,
  options: MutationOptions,
): Promise<Principal> {
  const actor = v.actor(options.actor);
  const passwordHash = passwordHashOf(passwordHashValue);
  return ctx.dialect.transaction(async (trx) => {
    const row = await trx
      .selectFrom('principals')
      .selectAll()
      .where('id', '=', principalId)
      .where('kind', '=', 'user')
      .$if(ctx.dialect.lockRows, (qb) => qb.forUpdate())
      .executeTakeFirst();
    if (row === undefined) throw notFound('user', principalId);
    const before = principalFromRow(row);
    const now = nowIso();
    const updated = await trx
      .updateTable('principals')
      .set({ password_hash: passwordHash, version: row.version + 1, updated_at: now })
      .where('id', '=', principalId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx.deleteFrom('console_sessions').where('principal_id', '=', principalId).execute();
    const after = principalFromRow(updated);
    await recordChange(ctx, trx, now, {
      actor,
      action: 'principal.password_reset',
      tenantId: before.tenantId,
      targetType: 'principal',
      targetId: principalId,
      before,
      after,
    });
    return after;
  });
}

function passwordHashOf(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('$argon2')) {
    throw new IpGateError('IPG_CONFIG_INVALID', 'passwordHash must be an encoded Argon2 hash.', {
      field: 'passwordHash',
    });
  }
  return value;
}
