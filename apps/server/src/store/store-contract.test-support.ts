/**
 * The contract every `Store` implementation keeps (one suite, run against SQLite and PostgreSQL:
 * docs/architecture/storage.md#the-store). Each `*-store.test.ts` calls {@link storeContract} with its
 * factory.
 *
 * Most tests share one store per run and isolate themselves by creating their own tenants; tests
 * that need a store to themselves (concurrency, durability) open their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apisContract } from './contract/apis.test-support.js';
import { auditContract } from './contract/audit.test-support.js';
import { concurrencyContract } from './contract/concurrency.test-support.js';
import { keysContract } from './contract/keys.test-support.js';
import { observedIpsContract } from './contract/observed-ips.test-support.js';
import { requestCountsContract } from './contract/request-counts.test-support.js';
import { requestLogContract } from './contract/request-log.test-support.js';
import { rulesContract } from './contract/rules.test-support.js';
import { tenantsContract } from './contract/tenants.test-support.js';
import { tokensContract } from './contract/tokens.test-support.js';
import type { Store } from './store.js';
import type { StoreFactory } from './test-stores.test-support.js';

/**
 * Defines the contract suite for one store kind: one part per resource, under store/contract/.
 *
 * @example
 * storeContract(sqliteFactory());
 */
export function storeContract(factory: StoreFactory): void {
  describe.skipIf(factory.skip)(`Store contract on ${factory.name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await factory.open({ apiAllowlistEntryLimit: 3 });
    });
    afterAll(async () => {
      await store?.close();
    });
    const context = { factory, store: () => store };

    it('has an id of its own, kept across reopening, different from another store', async () => {
      const { location, dispose } = await factory.createLocation();
      try {
        const first = await factory.openAt(location);
        const id = await first.storeId();
        await first.close();
        const again = await factory.openAt(location);
        expect(await again.storeId()).toBe(id);
        await again.close();
        expect(id).toMatch(/^sto_[0-9a-f]{32}$/);
        expect(await store.storeId()).not.toBe(id);
      } finally {
        await dispose();
      }
    });

    tenantsContract(context);
    apisContract(context);
    keysContract(context);
    tokensContract(context);
    rulesContract(context);
    observedIpsContract(context);
    requestLogContract(context);
    requestCountsContract(context);
    auditContract(context);
    concurrencyContract(context);
  });
}
