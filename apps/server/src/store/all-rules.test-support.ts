import type { KeyRules, RulesChunk, Store } from './store.js';

/**
 * Every rule of a store in one object, from `loadRules`: for tests that compare what the store holds.
 *
 * @example
 * const { tenants, keys } = await allRules(store);
 */
export async function allRules(
  store: Pick<Store, 'loadRules'>,
  options: { readonly tenantsPerChunk?: number } = {},
): Promise<RulesChunk & { readonly chunks: number }> {
  const tenants: RulesChunk['tenants'][number][] = [];
  const apis: RulesChunk['apis'][number][] = [];
  const keys: KeyRules[] = [];
  let chunks = 0;
  const version = await store.loadRules((chunk) => {
    chunks++;
    tenants.push(...chunk.tenants);
    apis.push(...chunk.apis);
    keys.push(...chunk.keys);
  }, options);
  return { version, tenants, apis, keys, chunks };
}
