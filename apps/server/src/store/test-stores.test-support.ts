/**
 * Fresh, throwaway stores for tests: the same tests run against SQLite and PostgreSQL through these
 * factories (one contract, every implementation: docs/architecture/storage.md#the-store).
 *
 * PostgreSQL is expected at `IPGATE_TEST_DATABASE_URL` (default
 * `postgres://postgres@127.0.0.1:5432/test`). When it cannot be reached, its factory says `skip`
 * and a loud warning is printed, except under `CI=true`, where a missing database must fail the run
 * rather than pass it quietly.
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
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
export const POSTGRES_TEST_URL =
  process.env['IPGATE_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

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

let probe: Promise<string | undefined> | undefined;

/**
 * Throwaway PostgreSQL stores: a fresh schema per store, dropped on close. `skip` is true (with a
 * warning) when the database is unreachable, unless `CI=true`.
 *
 * @example
 * const factory = await postgresFactory();
 * if (!factory.skip) await (await factory.open({ maxConnections: 8 })).close();
 */
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
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  await admin(`create schema ${schema}`);
  return {
    databaseUrl: `${POSTGRES_TEST_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    schema,
    drop: () => admin(`drop schema if exists ${schema} cascade`),
  };
}

export async function postgresFactory(): Promise<StoreFactory> {
  probe ??= reachable(POSTGRES_TEST_URL);
  const problem = await probe;
  const ci = process.env['CI'] === 'true';
  if (problem !== undefined) {
    const banner = '!'.repeat(78);
    console.warn(
      `\n${banner}\n  PostgreSQL at ${POSTGRES_TEST_URL} is not reachable (${problem}).\n` +
        (ci
          ? '  CI=true: the PostgreSQL store tests will FAIL, as they must not be skipped in CI.\n'
          : '  The PostgreSQL store tests are SKIPPED. Start PostgreSQL or set IPGATE_TEST_DATABASE_URL.\n') +
        `${banner}\n`,
    );
  }
  const factory: StoreFactory = {
    name: 'postgres',
    skip: problem !== undefined && !ci,
    async createLocation() {
      if (problem !== undefined)
        throw new Error(`PostgreSQL at ${POSTGRES_TEST_URL} is not reachable: ${problem}`);
      const schema = `ipg_test_${process.pid}_${randomBytes(6).toString('hex')}`;
      await admin(`create schema "${schema}"`);
      return {
        location: { kind: 'postgres', connectionString: POSTGRES_TEST_URL, schema },
        dispose: () => admin(`drop schema if exists "${schema}" cascade`),
      };
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

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function reachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message || e.name : String(e);
  } finally {
    await client.end().catch(() => {});
  }
}
