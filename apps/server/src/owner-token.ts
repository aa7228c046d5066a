/**
 * Owner admin tokens made outside the management API: the first one, when `ipgate serve` finds a store
 * without principals.
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
