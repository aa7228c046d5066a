import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpGateError } from '@ipgate/core';
import { afterAll, describe, expect, it } from 'vitest';
import { openWhenReachable } from './reachable-store.js';
import { openSqliteStore } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'ipgate-reachable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a store opened when reachable', () => {
  it('starts without an unreadable SQLite file, fails calls as unavailable, and opens once the file is sound', async () => {
    const path = join(dir, 'ipgate.db');
    writeFileSync(path, 'this is not a database, it is a damaged file '.repeat(200));
    const store = await openWhenReachable({
      open: () => openSqliteStore({ path }),
      watchable: false,
      retryMs: 20,
    });
    try {
      expect(store.opened).toBe(false);
      expect(store.openError).toMatchObject({ code: 'IPG_STORE_UNAVAILABLE' });
      await expect(store.currentVersion()).rejects.toMatchObject({ code: 'IPG_STORE_UNAVAILABLE' });
      await expect(store.listTenants()).rejects.toBeInstanceOf(IpGateError);
      // A part of the store held before it opens (as the notification sender holds its queue).
      const notifications = store.notifications;
      await expect(notifications.listChannels('ten_1')).rejects.toMatchObject({
        code: 'IPG_STORE_UNAVAILABLE',
      });
      // The file is repaired (here: replaced by a new store): the next attempt opens and migrates it.
      rmSync(path);
      await store.whenOpen;
      expect(store.opened).toBe(true);
      expect(await store.currentVersion()).toBe(0);
      expect(await store.storeId()).toMatch(/^sto_/);
      // …now reaches the opened store (which knows no such tenant).
      await expect(notifications.listChannels('ten_1')).rejects.toMatchObject({ code: 'IPG_NOT_FOUND' });
    } finally {
      await store.close();
    }
  });

  it('throws at once what is not about reaching the store (a bad setting)', async () => {
    const failure = new IpGateError('IPG_CONFIG_INVALID', 'bad', { field: 'x' });
    await expect(openWhenReachable({ open: () => Promise.reject(failure), watchable: false })).rejects.toBe(
      failure,
    );
  });

  it('is not taken for a promise while it opens (awaiting it gives the store)', async () => {
    const store = await openWhenReachable({
      open: () => Promise.reject(new IpGateError('IPG_STORE_UNAVAILABLE', 'down')),
      watchable: true,
      retryMs: 60_000,
    });
    expect(store.opened).toBe(false);
    const watch = store.watchChanges?.(() => {});
    await watch?.close();
    await store.close();
  });
});
