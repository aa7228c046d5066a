import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './store.js';

/**
 * Every node's notification sender claims due deliveries once a second. On SQLite, a claim that
 * found nothing must not take the file's write lock: while another process holds it (another node,
 * a storm of changes) the synchronous driver would wait for it on the node's event loop — every
 * request in flight with it. A claim that finds deliveries due still takes the lock to lease them.
 */
describe('claiming due notification deliveries on SQLite', () => {
  let dir: string;
  let store: Store;
  let other: Database.Database;
  let tenantId: string;
  let keyId: string;
  const actor = { actor: 'test' };

  beforeAll(async () => {
    dir = mkdtempSync(join(os.tmpdir(), 'ipgate-claim-lock-'));
    const path = join(dir, 'ipgate.db');
    // A short busy timeout: a claim that waited for the lock fails in 100 ms instead of 5 s.
    store = await openSqliteStore({ path, busyTimeoutMs: 100 });
    tenantId = (await store.createTenant({ name: 'Claims', ipMode: 'auto' }, actor)).id;
    keyId = (await store.createKey(tenantId, { name: 'k' }, actor)).key.id;
    await store.notifications.createChannel(
      tenantId,
      { kind: 'webhook', name: 'hook', target: 'https://hooks.example.com/x' },
      actor,
    );
    // The writer of another process, as far as SQLite can tell: a connection of its own.
    other = new Database(path);
    other.pragma('busy_timeout = 100');
  });

  afterAll(async () => {
    other?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers "nothing due" while another connection holds the write lock', async () => {
    other.exec('begin immediate');
    try {
      await expect(store.notifications.claimDueDeliveries(new Date(), 10, 60_000)).resolves.toEqual([]);
    } finally {
      other.exec('rollback');
    }
  });

  it('still leases what is due, under the write lock', async () => {
    await store.recordObservations([
      {
        tenantId,
        keyId,
        address: '203.0.113.9',
        firstAt: new Date(),
        lastAt: new Date(),
        count: 1,
        status: 'pending',
      },
    ]);
    other.exec('begin immediate');
    try {
      // Something is due, so the claim needs the lock the other connection holds: it cannot lease.
      await expect(store.notifications.claimDueDeliveries(new Date(), 10, 60_000)).rejects.toThrow();
    } finally {
      other.exec('rollback');
    }
    const claimed = await store.notifications.claimDueDeliveries(new Date(), 10, 60_000);
    expect(claimed).toHaveLength(1);
    // Leased: a second claim finds nothing due until the lease ends.
    await expect(store.notifications.claimDueDeliveries(new Date(), 10, 60_000)).resolves.toEqual([]);
  });
});
