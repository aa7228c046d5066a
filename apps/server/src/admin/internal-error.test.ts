import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnapshotEngine } from '../snapshot/snapshot-engine.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { Store } from '../store/store.js';
import { buildAdminApp } from './app.js';
import type { AdminApp } from './routes/context.js';

/** A bug (an unexpected exception) answers 500 with a stable code and the request id, and leaks nothing. */
describe('an unexpected error in the management API', () => {
  let store: Store;
  let app: AdminApp;
  let token: string;
  const logged: string[] = [];

  beforeAll(async () => {
    store = await openSqliteStore({ path: ':memory:' });
    token = (await store.createToken({ name: 'ops', role: 'owner' }, { actor: 'test' })).secret;
    const broken: Store = {
      ...store,
      listTenants: () => Promise.reject(new Error('connection to db.internal:5432 failed: password=hunter2')),
    };
    const engine = createSnapshotEngine({ store });
    await engine.refresh();
    app = await buildAdminApp({
      store: broken,
      engine,
      logger: {
        level: 'error',
        fatal: () => {},
        error: (o: { err?: Error }) => logged.push(o.err?.message ?? JSON.stringify(o)),
        warn: () => {},
        info: () => {},
        debug: () => {},
        trace: () => {},
        silent: () => {},
        child() {
          return this;
        },
      } as never,
    });
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('answers 500 IPG_INTERNAL_ERROR naming the request, without the cause', async () => {
    const res = await app.inject({ url: '/v1/tenants', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(500);
    const body = res.json() as { error: { code: string; message: string } };
    expect(body.error.code).toBe('IPG_INTERNAL_ERROR');
    expect(body.error.message).toMatch(/request \S+/);
    expect(res.body).not.toMatch(/hunter2|db\.internal|Error:|at /);
  });

  it('logs the cause for the operator', () => {
    expect(logged.join('\n')).toContain('hunter2');
  });
});
