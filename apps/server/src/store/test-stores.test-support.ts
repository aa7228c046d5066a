/**
 * Fresh, throwaway stores for tests: the same tests run against SQLite and PostgreSQL through these
 * factories (one contract, every implementation: docs/architecture/storage.md#the-store).
 *
 * PostgreSQL is found as @ipgate/test-support/postgres says (`IPGATE_TEST_DATABASE_URL`, default
 * `postgres://postgres@127.0.0.1:5432/test`). When it cannot be reached, its factory says `skip`
 * and a loud warning is printed, except under `CI=true`, where a missing database must fail the run
 * rather than pass it quietly.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POSTGRES_TEST_URL, testPostgres } from '@ipgate/test-support/postgres';
import type { StoreOptions } from './context.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './store.js';

/**
 * Where the test PostgreSQL lives.
 *
 * @example
 * IPGATE_TEST_DATABASE_URL=postgres://postgres@db:5432/test npx vitest run apps/server/src/store
 */
export { POSTGRES_TEST_URL };

/**
 * Where one throwaway store lives, so a second process (or a reopen) can find it.
 *
 * @example
 * const { location } = await factory.createLocation(); // { kind: 'sqlite', path: '/tmp/ipgate-store-x/ipgate.db' }
 */
export type StoreLocation =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly connectionString: string; readonly schema: string };

/**
 * Settings a test may give a store; `maxConnections` only matters on PostgreSQL.
 *
 * @example
 * await factory.open({ maxConnections: 10, apiAllowlistEntryLimit: 3 });
 */
export interface TestStoreOptions extends StoreOptions {
  readonly maxConnections?: number | undefined;
}

/**
 * Opens throwaway stores of one kind.
 *
 * @example
 * const store = await factory.open();
 * try { await store.listTenants(); } finally { await store.close(); } // also deletes it
 */
export interface StoreFactory {
  readonly name: 'sqlite' | 'postgres';
  /** True when this store cannot run here (PostgreSQL absent, not under CI): skip its tests. */
  readonly skip: boolean;
  /** A fresh, empty, migrated store; its `close()` also deletes it (file or schema). */
  open(options?: TestStoreOptions): Promise<Store>;
  /** A fresh location with nothing in it yet, and how to delete it afterwards. */
  createLocation(): Promise<{ readonly location: StoreLocation; dispose(): Promise<void> }>;
  /** Opens (migrating when needed) the store at a location; closing it keeps the data. */
  openAt(location: StoreLocation, options?: TestStoreOptions): Promise<Store>;
}

/**
 * The SQLite and PostgreSQL factories, for `describe.each`-style tests against both stores.
 *
 * @example
 * for (const factory of await storeFactories()) {
 *   describe.skipIf(factory.skip)(`my feature on ${factory.name}`, () => {
 *     it('works', async () => {
 *       const store = await factory.open();
 *       try { await store.createTenant({ name: 'Acme' }, { actor: 'test' }); } finally { await store.close(); }
 *     });
 *   });
 * }
 */
export async function storeFactories(): Promise<StoreFactory[]> {
  return [sqliteFactory(), await postgresFactory()];
}

/**
 * Throwaway SQLite stores: a file in a fresh temp directory (WAL, as in production, not `:memory:`).
 *
 * @example
 * const store = await sqliteFactory().open();
 */
export function sqliteFactory(): StoreFactory {
  const factory: StoreFactory = {
    name: 'sqlite',
    skip: false,
    async createLocation() {
      const dir = mkdtempSync(join(tmpdir(), 'ipgate-store-'));
      return {
        location: { kind: 'sqlite', path: join(dir, 'ipgate.db') },
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
    openAt: (location, options) => openAt(location, options),
    open: (options) => openFresh(factory, options),
  };
  return factory;
}

/**
 * A fresh schema for a whole server (or several nodes of one), named in the connection string as an
 * operator would put it in DATABASE_URL; `drop()` removes it with everything in it.
 *
 * @example
 * const db = await freshPostgresDatabase('ipgate_hooks');
 * await startServer(loadSettings({ flags: { databaseUrl: db.databaseUrl } }), io);
 * await db.drop();
 */
export async function freshPostgresDatabase(
  prefix: string,
): Promise<{ readonly databaseUrl: string; readonly schema: string; drop(): Promise<void> }> {
  const { schema, url, drop } = await (await testPostgres()).freshSchema(prefix);
  return { databaseUrl: url, schema, drop };
}

/**
 * Throwaway PostgreSQL stores: a fresh schema per store, dropped on close. `skip` is true (with a
 * warning) when the database is unreachable, unless `CI=true`.
 *
 * @example
 * const factory = await postgresFactory();
 * if (!factory.skip) await (await factory.open({ maxConnections: 8 })).close();
 */
export async function postgresFactory(): Promise<StoreFactory> {
  const postgres = await testPostgres();
  const factory: StoreFactory = {
    name: 'postgres',
    skip: postgres.skip,
    async createLocation() {
      const { schema, drop } = await postgres.freshSchema();
      return { location: { kind: 'postgres', connectionString: POSTGRES_TEST_URL, schema }, dispose: drop };
    },
    openAt: (location, options) => openAt(location, options),
    open: (options) => openFresh(factory, options),
  };
  return factory;
}

async function openAt(location: StoreLocation, options: TestStoreOptions = {}): Promise<Store> {
  if (location.kind === 'sqlite') return openSqliteStore({ ...options, path: location.path });
  return openPostgresStore({
    ...options,
    connectionString: location.connectionString,
    schema: location.schema,
    maxConnections: options.maxConnections ?? 4,
  });
}

async function openFresh(factory: StoreFactory, options?: TestStoreOptions): Promise<Store> {
  const { location, dispose } = await factory.createLocation();
  let store: Store;
  try {
    store = await factory.openAt(location, options);
  } catch (e) {
    await dispose();
    throw e;
  }
  const close = store.close;
  return {
    ...store,
    close: async () => {
      try {
        await close();
      } finally {
        await dispose();
      }
    },
  };
}
