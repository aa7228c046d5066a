import { beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord, Store } from '../store.js';
import { type ContractContext, collect, contractHelpers } from './context.test-support.js';

/**
 * The request log.
 *
 * @example requestLogContract(context); // inside the describe of storeContract
 */
export function requestLogContract(context: ContractContext): void {
  const { rejects, tenant } = contractHelpers(context);
  let store: Store;
  beforeAll(() => {
    store = context.store();
  });

  describe('request log', () => {
    const record = (requestId: string, extra: Partial<RequestRecord> = {}): RequestRecord => ({
      requestId,
      at: new Date('2025-03-01T00:00:00.000Z'),
      tenantId: null,
      apiId: null,
      keyId: null,
      client: '203.0.113.7',
      method: 'GET',
      path: '/orders?id=1',
      status: 200,
      decision: 'allow',
      stage: 'complete',
      reason: null,
      latencyMs: 1.25,
      origin: null,
      matched: [],
      ...extra,
    });

    it('scans a window oldest first, in small pages, across ties and long gaps, each record once', async () => {
      const t = await tenant();
      const other = await tenant('Other');
      const base = Date.UTC(2026, 0, 1);
      // Bursts sharing a millisecond, seconds apart, and hours apart; another tenant's in between.
      const offsets = [
        0,
        0,
        0,
        0,
        0,
        1,
        1000,
        1000,
        3_600_000,
        3_600_000,
        3_600_001,
        7 * 3_600_000,
        86_399_999,
      ];
      const mine = offsets.map((o, i) =>
        record(`scan_${t.id}_${String(i).padStart(2, '0')}`, { tenantId: t.id, at: new Date(base + o) }),
      );
      await store.appendRequests([
        ...mine,
        ...offsets.map((o, i) =>
          record(`scan_${other.id}_${i}`, { tenantId: other.id, at: new Date(base + o) }),
        ),
        record(`scan_${t.id}_late`, { tenantId: t.id, at: new Date(base + 86_400_000) }),
      ]);
      const window = { tenantId: t.id, since: new Date(base), until: new Date(base + 86_400_000) };
      for (const batchSize of [1, 2, 3, 5000]) {
        const seen: string[] = [];
        const pages: number[] = [];
        const r = await store.scanRequests(
          window,
          (rows) => {
            pages.push(rows.length);
            for (const row of rows) seen.push(row.requestId);
          },
          { batchSize },
        );
        expect(seen, `batch size ${batchSize}`).toEqual(mine.map((m) => m.requestId));
        expect(r).toEqual({ rows: mine.length, truncated: false });
        expect(Math.max(...pages)).toBeLessThanOrEqual(batchSize);
      }
      const cut = await store.scanRequests(window, () => {}, { batchSize: 2, maxRows: 5 });
      expect(cut).toEqual({ rows: 5, truncated: true });
      await rejects(() => store.scanRequests({ since: window.since, until: window.until }, () => {}), {
        field: 'tenantId',
      });
    });

    it('keeps would-deny and the origin, and filters allow, deny and would-deny apart', async () => {
      const t = await tenant();
      const id = `req_${t.id}`;
      const would = record(`${id}_w`, {
        tenantId: t.id,
        decision: 'would-deny',
        stage: 'tenant-restriction',
        reason: 'tenant-ip-not-listed',
        origin: 'https://app.example.com',
      });
      await store.appendRequests([
        would,
        record(`${id}_a`, { tenantId: t.id }),
        record(`${id}_d`, { tenantId: t.id, decision: 'deny', status: 403 }),
      ]);
      expect(await store.getRequest(would.requestId)).toEqual(would);
      const ids = async (decision: RequestRecord['decision']) =>
        (await store.listRequests({ tenantId: t.id, decision })).items.map((r) => r.requestId);
      expect(await ids('would-deny')).toEqual([`${id}_w`]);
      expect(await ids('allow')).toEqual([`${id}_a`]);
      expect(await ids('deny')).toEqual([`${id}_d`]);
    });

    it('keeps the entries a request matched, in stage order; a record without them reads as none', async () => {
      const t = await tenant();
      const matched = [
        { list: 'api-allowlist', entryId: 'ent_api' },
        { list: 'tenant', entryId: 'ent_tenant' },
        { list: 'key-domains', entryId: 'kdm_1' },
      ] as const;
      const withMatches = record(`req_m_${t.id}`, { tenantId: t.id, matched });
      const { matched: _, ...older } = record(`req_o_${t.id}`, { tenantId: t.id });
      await store.appendRequests([withMatches, older]);
      expect((await store.getRequest(withMatches.requestId)).matched).toEqual(matched);
      expect((await store.getRequest(older.requestId)).matched).toEqual([]);
      const listed = (await store.listRequests({ tenantId: t.id })).items;
      expect(listed.find((r) => r.requestId === withMatches.requestId)?.matched).toEqual(matched);
    });

    it('keeps each record its own matched entries and time when records share lists and milliseconds', async () => {
      const t = await tenant();
      const one = [{ list: 'tenant', entryId: 'ent_one' }] as const;
      const two = [
        { list: 'api-allowlist', entryId: 'ent_two' },
        { list: 'key-ips', entryId: 'kip_two' },
      ] as const;
      const ms = Date.UTC(2026, 1, 3, 4, 5, 6, 7);
      // As the recorder thread hands them: one list object for a run of records, times repeating.
      const plan = [
        [one, ms],
        [one, ms],
        [two, ms],
        [one, ms + 1],
        [undefined, ms + 1],
        [one, ms],
      ] as const;
      const records = plan.map(([matched, at], i) =>
        record(`req_share_${i}_${t.id}`, { tenantId: t.id, matched, at: new Date(at) }),
      );
      await store.appendRequests(records);
      for (const [i, [matched, at]] of plan.entries()) {
        const back = await store.getRequest(`req_share_${i}_${t.id}`);
        expect({ i, matched: back.matched, at: back.at.getTime() }).toEqual({
          i,
          matched: matched ?? [],
          at,
        });
      }
    });

    it('keeps matched entry ids with quotes, backslashes and non-ASCII text as they were sent', async () => {
      const t = await tenant();
      const odd = [
        { list: 'tenant', entryId: 'ent_"quoted"' },
        { list: 'key-ips', entryId: 'kip_back\\slash' },
        { list: 'key-domains', entryId: 'kdm_ünïcødé_✓' },
      ] as const;
      const same = record(`req_q1_${t.id}`, { tenantId: t.id, matched: odd });
      const again = record(`req_q2_${t.id}`, { tenantId: t.id, matched: [...odd] });
      await store.appendRequests([same, again]);
      expect((await store.getRequest(same.requestId)).matched).toEqual(odd);
      expect((await store.getRequest(again.requestId)).matched).toEqual(odd);
    });

    it('appends a batch, skips repeated ids, and reads one back', async () => {
      const t = await tenant();
      const id = `req_${Math.random()}`;
      const r = record(id, { tenantId: t.id, latencyMs: 12.3456789 });
      await store.appendRequests([r, record(`${id}b`, { tenantId: t.id })]);
      await store.appendRequests([{ ...r, status: 500 }]);
      expect(await store.getRequest(id)).toEqual(r);
      expect((await store.listRequests({ tenantId: t.id })).items).toHaveLength(2);
      await rejects(() => store.getRequest('req_missing'), { code: 'IPG_NOT_FOUND' });
    });

    it.each([
      [{ status: 42 }, 'status'],
      [{ decision: 'maybe' }, 'decision'],
      [{ origin: 'x'.repeat(2001) }, 'origin'],
      [{ matched: [{ list: 'nowhere', entryId: 'ent_1' }] }, 'matched[0].list'],
      [{ matched: [{ list: 'tenant', entryId: '' }] }, 'matched[0].entryId'],
      [{ matched: 'ent_1' }, 'matched'],
      [{ matched: Array.from({ length: 9 }, () => ({ list: 'tenant', entryId: 'ent_1' })) }, 'matched'],
      [{ at: new Date('x') }, 'at'],
      [{ latencyMs: -1 }, 'latencyMs'],
      [{ requestId: '' }, 'requestId'],
      // After a record whose values passed: each is checked again when it differs.
      [{ client: '203.0.113.7\u202e' }, 'client'],
      [{ method: ' ' }, 'method'],
      [{ matched: [{ list: 'tenant', entryId: 'ent_1\u0000' }] }, 'matched[0].entryId'],
    ])('refuses a batch with a bad record %j (field %s), writing none of it', async (bad, field) => {
      const t = await tenant();
      await rejects(
        () =>
          store.appendRequests([
            record(`ok_${Math.random()}`, {
              tenantId: t.id,
              matched: [{ list: 'tenant', entryId: 'ent_1' }],
            }),
            record('bad', { tenantId: t.id, ...(bad as object) }),
          ]),
        {
          status: 400,
          field,
          index: 1,
        },
      );
      expect((await store.listRequests({ tenantId: t.id })).items).toEqual([]);
    });

    it('filters, lists newest first with stable pages, and prunes by age', async () => {
      const t = await tenant();
      const base = Date.UTC(2025, 5, 1);
      const batch = Array.from({ length: 7 }, (_, i) =>
        record(`req_${t.id}_${i}`, {
          tenantId: t.id,
          // Two records share each time, so pages must order ties by id too.
          at: new Date(base + Math.floor(i / 2) * 1000),
          decision: i % 2 === 0 ? 'allow' : 'deny',
          client: i === 6 ? '198.51.100.1' : '203.0.113.7',
        }),
      );
      await store.appendRequests(batch);
      const paged = await collect((cursor) => store.listRequests({ tenantId: t.id }, { limit: 3, cursor }));
      const expected = [...batch].sort(
        (a, b) => b.at.getTime() - a.at.getTime() || (a.requestId < b.requestId ? 1 : -1),
      );
      expect(paged.map((r) => r.requestId)).toEqual(expected.map((r) => r.requestId));
      expect((await store.listRequests({ tenantId: t.id, decision: 'deny' })).items).toHaveLength(3);
      expect(
        (await store.listRequests({ tenantId: t.id, client: '198.51.100.1' })).items.map((r) => r.requestId),
      ).toEqual([`req_${t.id}_6`]);
      const window = await store.listRequests({
        tenantId: t.id,
        since: new Date(base + 1000),
        until: new Date(base + 3000),
      });
      expect(window.items.map((r) => r.requestId).sort()).toEqual(
        [2, 3, 4, 5].map((i) => `req_${t.id}_${i}`),
      );
      await rejects(() => store.listRequests({ decision: 'x' as never }), {
        status: 400,
        field: 'decision',
      });
      await rejects(() => store.pruneRequests(new Date('x')), { status: 400, field: 'before' });
      const pruned = await store.pruneRequests(new Date(base + 2000), { batchSize: 2 });
      expect(pruned).toBeGreaterThanOrEqual(4);
      expect((await store.listRequests({ tenantId: t.id })).items).toHaveLength(3);
      await rejects(() => store.pruneRequests(new Date(base), { batchSize: 0 }), { field: 'batchSize' });
    });
  });
}
