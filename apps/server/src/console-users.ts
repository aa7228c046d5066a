/**
 * Console users made outside the management API (docs/architecture/console.md#users): by
 * `ipgate users …` straight in the data directory or database, and the demo's owner.
 */
import { IpGateError, isIpGateError } from '@ipgate/core';
import { checkPassword, hashPassword, newPassword } from './admin/console/passwords.js';
import type { Principal, Role, Store } from './store/store.js';

/** The demo's console user. */
export const DEMO_USER_NAME = 'owner';

/** A user just made or given a new password; `password` only when it was generated. */
export interface UserWithPassword {
  readonly user: Principal;
  readonly generatedPassword: string | undefined;
}

/**
 * Adds a console user; without a password, makes one (20 random characters) and returns it once.
 *
 * @example
 * const { user, generatedPassword } = await addConsoleUser(store, { name: 'ana', role: 'editor' }, 'cli:users-add');
 */
export async function addConsoleUser(
  store: Store,
  input: {
    readonly name: string;
    readonly role: Role;
    readonly tenantId?: string | null | undefined;
    readonly password?: string | undefined;
  },
  actor: string,
): Promise<UserWithPassword> {
  const generatedPassword = input.password === undefined ? newPassword() : undefined;
  const password = input.password ?? (generatedPassword as string);
  checkPassword(password);
  if (input.tenantId !== undefined && input.tenantId !== null) await store.getTenant(input.tenantId);
  const user = await store.createUser(
    {
      name: input.name,
      role: input.role,
      tenantId: input.tenantId ?? null,
      passwordHash: await hashPassword(password),
    },
    { actor },
  );
  return { user, generatedPassword };
}

/**
 * Every console user, oldest first.
 *
 * @example
 * for (const u of await listConsoleUsers(store)) console.log(u.name, u.role);
 */
export async function listConsoleUsers(store: Store): Promise<Principal[]> {
  const users: Principal[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listPrincipals({ limit: 500, ...(cursor === undefined ? {} : { cursor }) });
    users.push(...page.items.filter((p) => p.kind === 'user'));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return users;
}

/**
 * Removes a console user by name; its sessions end with it.
 *
 * @example
 * await removeConsoleUser(store, 'ana', 'cli:users-remove');
 */
export async function removeConsoleUser(store: Store, name: string, actor: string): Promise<Principal> {
  const user = await userNamed(store, name);
  await store.deletePrincipal(user.id, { actor });
  return user;
}

/**
 * Sets a user's password (a generated one without `password`) and ends the user's sessions.
 *
 * @example
 * const { generatedPassword } = await resetConsolePassword(store, 'ana', undefined, 'cli:users-reset-password');
 */
export async function resetConsolePassword(
  store: Store,
  name: string,
  password: string | undefined,
  actor: string,
): Promise<UserWithPassword> {
  const generatedPassword = password === undefined ? newPassword() : undefined;
  const chosen = password ?? (generatedPassword as string);
  checkPassword(chosen);
  const found = await userNamed(store, name);
  const user = await store.setUserPassword(found.id, await hashPassword(chosen), { actor });
  return { user, generatedPassword };
}

/**
 * The demo's owner user on the start that makes it, with its generated password; undefined when it
 * exists already (its password was printed then).
 *
 * @example
 * const demoUser = await bootstrapDemoUser(store); // { user, generatedPassword } the first time
 */
export async function bootstrapDemoUser(store: Store): Promise<UserWithPassword | undefined> {
  if ((await store.findUserByName(DEMO_USER_NAME)) !== undefined) return undefined;
  try {
    return await addConsoleUser(store, { name: DEMO_USER_NAME, role: 'owner' }, 'system:demo');
  } catch (e) {
    // Another node on the same database made it a moment ago.
    if (isIpGateError(e) && e.code === 'IPG_ALREADY_EXISTS') return undefined;
    throw e;
  }
}

async function userNamed(store: Store, name: string): Promise<Principal> {
  const found = await store.findUserByName(name);
  if (found === undefined) {
    throw new IpGateError('IPG_NOT_FOUND', `No console user named ${JSON.stringify(name)}.`, {
      field: 'name',
      hint: 'ipgate users list shows them.',
    });
  }
  return found.principal;
}
