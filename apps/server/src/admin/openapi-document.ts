/**
 * The management API's OpenAPI document without a running server: what `/openapi.json` serves, built
 * on a throwaway in-memory store. The console generates its API types from it
 * (docs/architecture/console.md#the-app).
 */
import { createSnapshotEngine } from '../snapshot/snapshot-engine.js';
import { openSqliteStore } from '../store/sqlite.js';
import { buildAdminApp } from './app.js';

/**
 * The document, as `GET /openapi.json` answers it.
 *
 * @example
 * const doc = await managementOpenApiDocument();
 * Object.keys(doc.paths).includes('/v1/session'); // true
 */
export async function managementOpenApiDocument(): Promise<{ paths: Record<string, unknown> }> {
  const store = await openSqliteStore({ path: ':memory:' });
  const engine = createSnapshotEngine({ store });
  try {
    const app = await buildAdminApp({ store, engine });
    try {
      const res = await app.inject({ url: '/openapi.json' });
      if (res.statusCode !== 200) throw new Error(`/openapi.json answered ${res.statusCode}`);
      return res.json();
    } finally {
      await app.close();
    }
  } finally {
    engine.close();
    await store.close();
  }
}
