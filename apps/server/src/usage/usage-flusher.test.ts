import { describe, expect, it } from 'vitest';
import { EntryIds } from '../snapshot/entry-ids.js';
import type { EntryHits } from '../store/store.js';
import { UsageCounter } from './usage-counter.js';
import { startUsageFlusher } from './usage-flusher.js';

describe('startUsageFlusher', () => {
  it('keeps hits through a failed write and adds them to the next one', async () => {
    const ids = EntryIds.of(['ent_a', 'ent_b']);
    const counter = new UsageCounter();
    const written: EntryHits[][] = [];
    let fail = true;
    const flusher = startUsageFlusher({
      counter,
      intervalMs: 3_600_000,
      store: {
        recordEntryUsage: async (batch) => {
          if (fail) throw new Error('store down');
          written.push([...batch]);
        },
      },
    });
    counter.count(ids, 0, 1000);
    counter.count(ids, 0, 2000);
    await flusher.flush();
    expect(flusher.stats.failures).toBe(1);
    counter.count(ids, 0, 1500);
    counter.count(ids, 1, 3000);
    fail = false;
    await flusher.flush();
    expect(written).toHaveLength(1);
    const byId = Object.fromEntries((written[0] ?? []).map((h) => [h.entryId, h]));
    expect(byId['ent_a']).toEqual({ entryId: 'ent_a', hits: 3, lastMatchedAt: new Date(2000) });
    expect(byId['ent_b']).toEqual({ entryId: 'ent_b', hits: 1, lastMatchedAt: new Date(3000) });
    await flusher.flush();
    expect(written).toHaveLength(1);
    await flusher.close();
  });

  it('holds at most maxPending entries while the store fails, counting what it drops', async () => {
    const ids = EntryIds.of(['ent_a', 'ent_b', 'ent_c']);
    const counter = new UsageCounter();
    const flusher = startUsageFlusher({
      counter,
      intervalMs: 3_600_000,
      maxPending: 2,
      store: {
        recordEntryUsage: async () => {
          throw new Error('store down');
        },
      },
    });
    counter.count(ids, 0, 1);
    counter.count(ids, 1, 1);
    counter.count(ids, 2, 1);
    counter.count(ids, 2, 1);
    await flusher.flush();
    expect(flusher.stats.dropped).toBe(2);
    await flusher.close();
  });

  it('writes what is left when closed', async () => {
    const counter = new UsageCounter();
    const written: EntryHits[] = [];
    const flusher = startUsageFlusher({
      counter,
      intervalMs: 3_600_000,
      store: { recordEntryUsage: async (batch) => void written.push(...batch) },
    });
    counter.count(EntryIds.of(['ent_a']), 0, 7);
    await flusher.close();
    expect(written).toEqual([{ entryId: 'ent_a', hits: 1, lastMatchedAt: new Date(7) }]);
  });
});
