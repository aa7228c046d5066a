/**
 * The store and the last good rules of one node, as the settings name them: shared by `ipgate serve`
 * and its gateway workers. See docs/architecture/storage.md, "Last good rules on disk".
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ServeSettings } from './config/settings.js';
import type { Logger } from './snapshot/logger.js';
import { openPostgresStore } from './store/postgres.js';
import { openWhenReachable, type ReachableStore } from './store/reachable-store.js';
import { openSqliteStore } from './store/sqlite.js';
import type { Store } from './store/store.js';

/**
 * Opens the store the settings name: PostgreSQL at `databaseUrl`, else SQLite in `dataDir` (WAL, a
 * busy timeout, so the server process and its gateway workers can each hold a connection).
 *
 * @example
 * const store = await openStore(loadSettings({ flags: { dataDir: './ipgate-data' } }));
 */
export async function openStore(settings: Pick<ServeSettings, 'databaseUrl' | 'dataDir'>): Promise<Store> {
  if (settings.databaseUrl !== undefined)
    return openPostgresStore({ connectionString: settings.databaseUrl });
  mkdirSync(settings.dataDir, { recursive: true });
  return openSqliteStore({ path: join(settings.dataDir, 'ipgate.db') });
}

/**
 * Like {@link openStore}, but a store that cannot be reached (PostgreSQL down, the SQLite file
 * unreadable) does not stop the start: it is opened in the background as soon as it can be.
 *
 * @example
 * const store = await openNodeStore(settings, logger);
 * store.opened; // false while PostgreSQL is down
 */
export function openNodeStore(
  settings: Pick<ServeSettings, 'databaseUrl' | 'dataDir'>,
  logger: Logger,
): Promise<ReachableStore> {
  return openWhenReachable({
    open: () => openStore(settings),
    watchable: settings.databaseUrl !== undefined,
    logger,
  });
}

/**
 * Where the store is, for people and for the last good copy's header: no user name, no password.
 *
 * @example
 * storeLocation({ databaseUrl: 'postgres://app:pw@db:5432/ipgate', dataDir: 'd' }); // 'postgres://db:5432/ipgate'
 * storeLocation({ databaseUrl: undefined, dataDir: 'd' }); // 'sqlite:/abs/d/ipgate.db'
 */
export function storeLocation(settings: Pick<ServeSettings, 'databaseUrl' | 'dataDir'>): string {
  if (settings.databaseUrl === undefined) return `sqlite:${resolve(settings.dataDir, 'ipgate.db')}`;
  const url = new URL(settings.databaseUrl);
  url.username = '';
  url.password = '';
  url.searchParams.delete('password');
  url.searchParams.sort();
  return `postgres://${url.host}${url.pathname}${url.search}`;
}

/**
 * The last good rules file the settings name, its directory created; undefined when turned off.
 *
 * @example lastGoodPath(settings); // '/srv/ipgate-data/last-good-rules'
 */
export function lastGoodPath(settings: Pick<ServeSettings, 'lastGoodFile' | 'dataDir'>): string | undefined {
  if (settings.lastGoodFile === null) return undefined;
  const path = resolve(settings.lastGoodFile ?? join(settings.dataDir, 'last-good-rules'));
  mkdirSync(dirname(path), { recursive: true });
  return path;
}
