import { describe, expect, it } from 'vitest';
import { storeFactories } from './test-stores.test-support.js';

for (const factory of await storeFactories()) {
  describe.skipIf(factory.skip)(`entry usage on ${factory.name}`, () => {
    it('adds hits from every flush and keeps the latest match time', async () => {
      const store = await factory.open();
      try {
        const t1 = new Date('2026-01-01T00:00:00.000Z');
        const t2 = new Date('2026-01-02T00:00:00.000Z');
        await store.recordEntryUsage([
          { entryId: 'ent_a', hits: 3, lastMatchedAt: t2 },
          { entryId: 'ent_b', hits: 1, lastMatchedAt: t1 },
          // The same id twice in one batch is merged, not refused.
          { entryId: 'ent_b', hits: 2, lastMatchedAt: t2 },
        ]);
        // An older time from another node does not move the last match back.
        await store.recordEntryUsage([{ entryId: 'ent_a', hits: 4, lastMatchedAt: t1 }]);
        const usage = await store.entryUsage(['ent_a', 'ent_b', 'ent_never']);
        expect(usage.get('ent_a')).toEqual({ hits: 7, lastMatchedAt: t2 });
        expect(usage.get('ent_b')).toEqual({ hits: 3, lastMatchedAt: t2 });
        expect(usage.has('ent_never')).toBe(false);
      } finally {
        await store.close();
      }
    });

    it('adds up flushes from several connections at once', async () => {
      const { location, dispose } = await factory.createLocation();
      const stores = [await factory.openAt(location), await factory.openAt(location)];
      try {
        const at = new Date('2026-03-01T12:00:00.000Z');
        const flush = (s: (typeof stores)[number]) =>
          s.recordEntryUsage([
            { entryId: 'ent_x', hits: 5, lastMatchedAt: at },
            { entryId: 'ent_y', hits: 1, lastMatchedAt: at },
          ]);
        const flushes = stores.flatMap((s) => Array.from({ length: 10 }, () => s));
        // PostgreSQL: truly at once. SQLite's driver is synchronous, so two connections in one
        // process would wait on each other's open transaction; there, the connections take turns
        // (gateway workers are separate processes, each waiting on the file lock).
        if (factory.name === 'postgres') await Promise.all(flushes.map(flush));
        else for (const s of flushes) await flush(s);
        const usage = await stores[0]?.entryUsage(['ent_x', 'ent_y']);
        expect(usage?.get('ent_x')?.hits).toBe(100);
        expect(usage?.get('ent_y')?.hits).toBe(20);
      } finally {
        for (const s of stores) await s.close();
        await dispose();
      }
    });

    it('refuses a count that is not a whole number from 1, writing nothing', async () => {
      const store = await factory.open();
      try {
        const at = new Date();
        await expect(
          store.recordEntryUsage([
            { entryId: 'ent_ok', hits: 1, lastMatchedAt: at },
            { entryId: 'ent_bad', hits: 0, lastMatchedAt: at },
          ]),
        ).rejects.toMatchObject({ code: 'IPG_CONFIG_INVALID', field: 'hits' });
        expect((await store.entryUsage(['ent_ok'])).size).toBe(0);
      } finally {
        await store.close();
      }
    });

    it('reads usage of many ids in chunks', async () => {
      const store = await factory.open();
      try {
        const at = new Date();
        const batch = Array.from({ length: 1200 }, (_, i) => ({
          entryId: `ent_${i}`,
          hits: i + 1,
          lastMatchedAt: at,
        }));
        await store.recordEntryUsage(batch);
        const usage = await store.entryUsage(batch.map((b) => b.entryId));
        expect(usage.size).toBe(1200);
        expect(usage.get('ent_1199')?.hits).toBe(1200);
      } finally {
        await store.close();
      }
    });
  });
}
