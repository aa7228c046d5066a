/**
 * The stores of the scale benchmark: a fresh SQLite file or a fresh PostgreSQL schema, opened through
 * the server's own store code from a chosen checkout (`root`), so the same benchmark measures the
 * code before a change (another worktree) and after it.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const POSTGRES_URL =
  process.env.IPGATE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Imports a module of the server's build in `root` (a checkout with `npm run build` done). */
export function serverModule(root, path) {
  return import(pathToFileURL(join(root, 'apps/server/dist', path)).href);
}

/**
 * Makes an empty store and returns how to reach it: `{ kind, path | connectionString + schema, flags, drop }`.
 * `flags` are the `ipgate serve` flags that open it. With `reuse`, the store has a fixed name per
 * `label` (a file in the temporary directory, a schema) and is kept, not dropped: a later run finds
 * it seeded and skips the minutes a seed of 1,000,000 entries takes.
 */
export async function freshStore(kind, label, { reuse = false } = {}) {
  if (kind === 'sqlite') {
    const dir = reuse
      ? join(os.tmpdir(), `ipgate-scale-${label}`)
      : mkdtempSync(join(os.tmpdir(), `ipgate-scale-${label}-`));
    mkdirSync(dir, { recursive: true });
    return {
      kind,
      dataDir: dir,
      path: join(dir, 'ipgate.db'),
      flags: { dataDir: dir },
      drop: async () => {
        if (!reuse) rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const pg = (await import('pg')).default;
  const schema = (
    reuse ? `bench_scale_${label}` : `bench_scale_${label}_${process.pid}_${Date.now()}`
  ).replace(/[^a-z0-9_]/g, '_');
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema if not exists "${schema}"`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    kind,
    schema,
    connectionString: POSTGRES_URL,
    databaseUrl: url.toString(),
    flags: { databaseUrl: url.toString() },
    drop: async () => {
      if (reuse) return;
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop schema "${schema}" cascade`);
      await c.end();
    },
  };
}

/** Opens the store's database (migrated) through `root`'s code: `{ db, dialect }`. */
export async function openDatabase(root, store) {
  if (store.kind === 'sqlite') {
    const { openSqliteDatabase } = await serverModule(root, 'store/sqlite.js');
    return openSqliteDatabase({ path: store.path });
  }
  const { openPostgresDatabase } = await serverModule(root, 'store/postgres.js');
  return openPostgresDatabase({ connectionString: store.connectionString, schema: store.schema });
}

/** Opens the Store interface through `root`'s code. */
export async function openStore(root, store) {
  if (store.kind === 'sqlite') {
    const { openSqliteStore } = await serverModule(root, 'store/sqlite.js');
    return openSqliteStore({ path: store.path });
  }
  const { openPostgresStore } = await serverModule(root, 'store/postgres.js');
  return openPostgresStore({ connectionString: store.connectionString, schema: store.schema });
}

/**
 * `store` with its PostgreSQL connections named `name` (`application_name`), for code that opens it
 * through {@link openStore}; a SQLite store as it is.
 */
export function namedStore(store, name) {
  if (store.kind !== 'postgres') return store;
  const url = new URL(store.connectionString);
  url.searchParams.set('application_name', name);
  return { ...store, connectionString: url.toString() };
}
