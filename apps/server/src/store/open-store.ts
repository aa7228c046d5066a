/**
 * The store a node's settings name, opened the one way every process of the node opens it:
 * `ipgate serve`, its gateway workers and the recorder thread of each.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../log/logger.js';
import { openPostgresStore } from './postgres.js';
import { openWhenReachable, type ReachableStore } from './reachable-store.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './store.js';

/**
 * Where the store is: PostgreSQL at `databaseUrl` when set, else SQLite in `dataDir`. The settings
 * of `ipgate serve` fit as they are.
 */
export interface StoreSettings {
  readonly databaseUrl: string | undefined;
  /** PostgreSQL only; default on (see `--database-prepared-statements`). */
  readonly databasePreparedStatements?: boolean | undefined;
  readonly dataDir: string;
}

/**
 * Opens the store the settings name: PostgreSQL at `databaseUrl`, else SQLite in `dataDir` (WAL, a
 * busy timeout, so the server process and its gateway workers can each hold a connection).
 *
 * @example
 * const store = await openStore(loadSettings({ flags: { dataDir: './ipgate-data' } }));
 */
export async function openStore(settings: StoreSettings): Promise<Store> {
  if (settings.databaseUrl !== undefined)
    return openPostgresStore({
      connectionString: settings.databaseUrl,
      preparedStatements: settings.databasePreparedStatements,
    });
  mkdirSync(settings.dataDir, { recursive: true });
  return openSqliteStore({ path: join(settings.dataDir, 'ipgate.db') });
}

/**
 * Like {@link openStore}, but a store that cannot be reached (PostgreSQL down, the SQLite file
 * unreadable) does not stop the start: it is opened in the background as soon as it can be.
 * `watchable: false` where the caller never follows the store's changes (the recorder thread).
 *
 * @example
 * const store = await openNodeStore(settings, logger);
 * store.opened; // false while PostgreSQL is down
 */
export function openNodeStore(
  settings: StoreSettings,
  logger: Logger,
  options: { readonly watchable?: boolean } = {},
): Promise<ReachableStore> {
  return openWhenReachable({
    open: () => openStore(settings),
    watchable: (options.watchable ?? true) && settings.databaseUrl !== undefined,
    logger,
  });
}

/**
 * The store, opened now (a failure stops the start), in the shape {@link openNodeStore} gives.
 *
 * @example const store = await openNodeStoreNow(settings); // throws when PostgreSQL is down
 */
export async function openNodeStoreNow(settings: StoreSettings): Promise<ReachableStore> {
  const store = await openStore(settings);
  return { ...store, opened: true, openError: undefined, whenOpen: Promise.resolve(store) };
}

/**
 * Where the store is, for people and for the last good copy's header: no user name, no password.
 *
 * @example
 * storeLocation({ databaseUrl: 'postgres://app:pw@db:5432/ipgate', dataDir: 'd' }); // 'postgres://db:5432/ipgate'
 * storeLocation({ databaseUrl: undefined, dataDir: 'd' }); // 'sqlite:/abs/d/ipgate.db'
 */
export function storeLocation(settings: StoreSettings): string {
  if (settings.databaseUrl === undefined) return `sqlite:${resolve(settings.dataDir, 'ipgate.db')}`;
  const url = new URL(settings.databaseUrl);
  url.username = '';
  url.password = '';
  url.searchParams.delete('password');
  url.searchParams.sort();
  return `postgres://${url.host}${url.pathname}${url.search}`;
}

/**
 * Which store the settings name, for people: `SQLite in /abs/ipgate-data` or `PostgreSQL`.
 *
 * @example describeStore(loadSettings({ flags: { dataDir: 'data' } })); // 'SQLite in /srv/app/data'
 */
export function describeStore(settings: StoreSettings): string {
  return settings.databaseUrl === undefined ? `SQLite in ${resolve(settings.dataDir)}` : 'PostgreSQL';
}
