/**
 * Owner admin tokens made outside the management API: the first one, when `ipgate serve` finds a store
 * without principals, and a new one on demand (`ipgate admin-token create --owner`), for whoever can
 * reach the data directory or the database but has lost every token.
 */
import { isIpGateError } from '@ipgate/core';
import type { Store } from './store/store.js';

/** The name of the token made at the first start. */
export const FIRST_OWNER_TOKEN_NAME = 'owner (made at first start)';

/**
 * On a store without principals, the first owner token: shown once, stored hashed. `serve` calls it
 * only once its listeners are up, so that a start that fails (a port in use) makes no token nobody
 * saw; the next start that succeeds makes and prints it.
 *
 * @example
 * const secret = await bootstrapOwnerToken(store); // undefined when the store has principals already
 */
export async function bootstrapOwnerToken(store: Store): Promise<string | undefined> {
  if ((await store.countPrincipals()) > 0) return undefined;
  try {
    const { secret } = await store.createToken(
      { name: FIRST_OWNER_TOKEN_NAME, role: 'owner', tenantId: null },
      { actor: 'system:bootstrap' },
    );
    return secret;
  } catch (e) {
    // Another node on the same database made it a moment ago: it prints it, this one does not.
    if (isIpGateError(e) && e.code === 'IPG_ALREADY_EXISTS') return undefined;
    throw e;
  }
}

/** A token made by {@link createOwnerToken}. */
export interface CreatedOwnerToken {
  readonly id: string;
  readonly name: string;
  /** Shown once; only its hash is stored. */
  readonly secret: string;
  /**
   * True when the store had no principals before: a new or never-started store (a mistyped data
   * directory?), whose first `ipgate serve` now prints no token of its own.
   */
  readonly first: boolean;
}

/**
 * A new owner token for every tenant, written straight into the store; the management API (running or
 * not) accepts it from then on. The default name says when and how it was made, so it stays unique and
 * the token list tells it apart.
 *
 * @example
 * const store = await openStore(settings);
 * try { console.log((await createOwnerToken(store)).secret); } finally { await store.close(); }
 */
export async function createOwnerToken(
  store: Store,
  options: { readonly name?: string | undefined; readonly now?: Date } = {},
): Promise<CreatedOwnerToken> {
  const name =
    options.name ?? `owner (ipgate admin-token create, ${(options.now ?? new Date()).toISOString()})`;
  const first = (await store.countPrincipals()) === 0;
  const { principal, secret } = await store.createToken(
    { name, role: 'owner', tenantId: null },
    { actor: 'cli:admin-token-create' },
  );
  return { id: principal.id, name: principal.name, secret, first };
}
