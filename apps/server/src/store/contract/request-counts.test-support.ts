import { beforeAll, describe, expect, it } from 'vitest';
import type { RequestCount, Store } from '../store.js';
import { type ContractContext, collect, contractHelpers } from './context.test-support.js';

/**
 * The counted allowed requests (docs/architecture/storage.md#counted-requests).
 *
 * @example requestCountsContract(context); // inside the describe of storeContract
 */
export function requestCountsContract(context: ContractContext): void {
  const { rejects, tenant } = contractHelpers(context);
  let store: Store;
  beforeAll(() => {
    store = context.store();
  });

  describe('request counts', () => {
    const minute = new Date('2026-12-07T20:31:00.000Z');
    const count = (extra: Partial<RequestCount> = {}): RequestCount => ({
      minute,
      tenantId: null,
      apiId: 'api_1',
      keyId: 'key_1',
      client: '203.0.113.7',
      method: 'GET',
      status: 200,
      origin: null,
      matched: [{ list: 'tenant', entryId: 'ent_1' }],
      count: 3,
      firstAt: new Date(minute.getTime() + 1_000),
      lastAt: new Date(minute.getTime() + 2_000),
      latencySumMs: 4.5,
      latencyMaxMs: 2.25,
      ...extra,
    });

    it('adds counts of one minute and group together, within a batch and across batches', async () => {
      const t = await tenant();
      const at = (s: number) => new Date(minute.getTime() + s * 1000);
      await store.appendRequestCounts([
        count({
          tenantId: t.id,
          count: 2,
          firstAt: at(10),
          lastAt: at(20),
          latencySumMs: 3,
          latencyMaxMs: 2,
        }),
        count({
          tenantId: t.id,
          count: 5,
          firstAt: at(5),
          lastAt: at(15),
          latencySumMs: 7.5,
          latencyMaxMs: 4,
        }),
      ]);
      await store.appendRequestCounts([
        count({
          tenantId: t.id,
          count: 1,
          firstAt: at(59),
          lastAt: at(59),
          latencySumMs: 1,
          latencyMaxMs: 1,
        }),
      ]);
      const { items } = await store.listRequestCounts({ tenantId: t.id });
      expect(items).toEqual([
        count({
          tenantId: t.id,
          count: 8,
          firstAt: at(5),
          lastAt: at(59),
          latencySumMs: 11.5,
          latencyMaxMs: 4,
        }),
      ]);
    });

    it('keeps groups apart by every value that makes them, and minutes apart', async () => {
      const t = await tenant();
      const next = new Date(minute.getTime() + 60_000);
      const groups: Partial<RequestCount>[] = [
        {},
        { apiId: 'api_2' },
        { keyId: null },
        { client: null },
        { client: '2001:db8::1' },
        { method: 'POST' },
        { status: 404 },
        { origin: 'https://app.example.com' },
        { matched: [] },
        { matched: [{ list: 'tenant', entryId: 'ent_2' }] },
        { minute: next, firstAt: next, lastAt: next },
      ];
      await store.appendRequestCounts(groups.map((g) => count({ tenantId: t.id, ...g })));
      const listed = await store.listRequestCounts({ tenantId: t.id }, { limit: 500 });
      expect(listed.items).toHaveLength(groups.length);
      expect(listed.items[0]?.minute).toEqual(next);
      const total = listed.items.reduce((n, c) => n + c.count, 0);
      expect(total).toBe(3 * groups.length);
      expect(listed.items.find((c) => c.origin === 'https://app.example.com')).toBeDefined();
      expect(listed.items.filter((c) => c.matched?.length === 0)).toHaveLength(1);
    });

    it('lists one tenant newest first in stable pages, by API, key and window', async () => {
      const t = await tenant();
      const other = await tenant('Other');
      const minutes = [0, 0, 0, 1, 2, 2, 5].map((m) => new Date(minute.getTime() + m * 60_000));
      const mine = minutes.map((m, i) =>
        count({
          tenantId: t.id,
          minute: m,
          firstAt: m,
          lastAt: m,
          client: `198.51.100.${i}`,
          keyId: `key_${i % 2}`,
        }),
      );
      await store.appendRequestCounts([...mine, count({ tenantId: other.id })]);
      const paged = await collect((cursor) =>
        store.listRequestCounts({ tenantId: t.id }, { limit: 2, cursor }),
      );
      expect(paged).toHaveLength(mine.length);
      const times = paged.map((c) => c.minute.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(new Set(paged.map((c) => c.client)).size).toBe(mine.length);
      expect((await store.listRequestCounts({ tenantId: t.id, keyId: 'key_1' })).items).toHaveLength(3);
      expect((await store.listRequestCounts({ tenantId: t.id, apiId: 'api_9' })).items).toEqual([]);
      const window = await store.listRequestCounts({
        tenantId: t.id,
        since: new Date(minute.getTime() + 60_000),
        until: new Date(minute.getTime() + 5 * 60_000),
      });
      expect(window.items.map((c) => c.minute.getTime() - minute.getTime())).toEqual([
        120_000, 120_000, 60_000,
      ]);
      await rejects(() => store.listRequestCounts({} as never), { status: 400, field: 'tenantId' });
      await rejects(() => store.listRequestCounts({ tenantId: t.id }, { cursor: 'nope' }), {
        code: 'IPG_CURSOR_INVALID',
      });
    });

    it('prunes the minutes that lie wholly before the cutoff with the request log', async () => {
      const t = await tenant();
      const base = Date.UTC(2024, 0, 1);
      const at = (ms: number) => new Date(base + ms);
      await store.appendRequestCounts([
        count({ tenantId: t.id, minute: at(0), firstAt: at(0), lastAt: at(59_999) }),
        count({ tenantId: t.id, minute: at(60_000), firstAt: at(60_000), lastAt: at(60_000) }),
      ]);
      await store.pruneRequests(at(90_000), { batchSize: 1 });
      const left = (await store.listRequestCounts({ tenantId: t.id })).items;
      expect(left.map((c) => c.minute)).toEqual([at(60_000)]);
    });

    it.each([
      [{ minute: new Date('2026-12-07T20:31:00.001Z') }, 'minute'],
      [{ minute: new Date('x') }, 'minute'],
      [{ firstAt: new Date('2026-12-07T20:30:59.999Z') }, 'firstAt'],
      [{ lastAt: new Date('2026-12-07T20:32:00.000Z') }, 'lastAt'],
      [{ lastAt: new Date('2026-12-07T20:31:00.500Z') }, 'lastAt'],
      [{ count: 0 }, 'count'],
      [{ count: 1.5 }, 'count'],
      [{ status: 42 }, 'status'],
      [{ latencySumMs: -1 }, 'latencySumMs'],
      [{ latencyMaxMs: Number.NaN }, 'latencyMaxMs'],
      [{ method: ' ' }, 'method'],
      [{ client: '203.0.113.7\u202e' }, 'client'],
      [{ origin: 'x'.repeat(2001) }, 'origin'],
      [{ matched: [{ list: 'nowhere', entryId: 'ent_1' }] }, 'matched[0].list'],
    ])('refuses a batch with a bad count %j (field %s), writing none of it', async (bad, field) => {
      const t = await tenant();
      await rejects(
        () =>
          store.appendRequestCounts([
            count({ tenantId: t.id }),
            count({ tenantId: t.id, ...(bad as object) }),
          ]),
        { status: 400, field, index: 1 },
      );
      expect((await store.listRequestCounts({ tenantId: t.id })).items).toEqual([]);
    });
  });
}
