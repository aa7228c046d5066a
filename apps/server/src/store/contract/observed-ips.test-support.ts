import { beforeAll, describe, expect, it } from 'vitest';
import { sampleAssessment } from '../../review/assessment.test-support.js';
import type { Observation, Store } from '../store.js';
import { ACTOR, as, type ContractContext, collect, contractHelpers } from './context.test-support.js';

/**
 * Observed addresses and their retention.
 *
 * @example observedIpsContract(context); // inside the describe of storeContract
 */
export function observedIpsContract(context: ContractContext): void {
  const { rejects, changes, tenant } = contractHelpers(context);
  let store: Store;
  beforeAll(() => {
    store = context.store();
  });

  describe('observed addresses', () => {
    const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 0, minute));
    const obs = (
      tenantId: string,
      keyId: string,
      address: string,
      extra: Partial<Observation> = {},
    ): Observation => ({
      tenantId,
      keyId,
      address,
      firstAt: at(1),
      lastAt: at(2),
      count: 1,
      status: 'pending',
      ...extra,
    });
    async function setUp(limit = 100) {
      const t = await tenant('obs', { ipEntryLimit: limit });
      const k = await store.createKey(t.id, { name: 'k' }, as);
      return { t, k };
    }

    it('merges a batch and widens first/last seen without an audited change', async () => {
      const { t, k } = await setUp();
      const version = await store.currentVersion();
      await store.recordObservations([
        obs(t.id, k.key.id, '203.0.113.7', { count: 2, reason: 'not listed' }),
        obs(t.id, k.key.id, '203.0.113.007'.replace('007', '7'), {
          firstAt: at(0),
          lastAt: at(0),
          count: 3,
        }),
        obs(t.id, 'key_missing', '203.0.113.8'),
      ]);
      await store.recordObservations([
        obs(t.id, k.key.id, '203.0.113.7', { firstAt: at(5), lastAt: at(9), count: 4 }),
      ]);
      expect(await store.currentVersion()).toBe(version);
      const { items } = await store.listObservedIps(t.id);
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({
        tenantId: t.id,
        keyId: k.key.id,
        address: '203.0.113.7',
        firstSeen: at(0),
        lastSeen: at(9),
        count: 9,
        status: 'pending',
        reasons: ['not listed'],
        version: 1,
      });
      expect(await store.getObservedIp(t.id, items[0]?.id as string)).toEqual(items[0]);
    });

    it('keeps addresses canonical, so one address is one row', async () => {
      const { t, k } = await setUp();
      await store.recordObservations([
        obs(t.id, k.key.id, '2001:DB8:0:0::1'),
        obs(t.id, k.key.id, '2001:db8::1'),
      ]);
      const { items } = await store.listObservedIps(t.id);
      expect(items.map((o) => [o.address, o.count])).toEqual([['2001:db8::1', 2]]);
    });

    it('upgrades pending to authorized, never downgrades authorized, never overrides rejected', async () => {
      const { t, k } = await setUp();
      await store.recordObservations([
        obs(t.id, k.key.id, '192.0.2.1'),
        obs(t.id, k.key.id, '192.0.2.2', { status: 'authorized' }),
        obs(t.id, k.key.id, '192.0.2.3'),
      ]);
      const byAddress = async () =>
        new Map((await store.listObservedIps(t.id)).items.map((o) => [o.address, o]));
      const rejected = (await byAddress()).get('192.0.2.3');
      await store.rejectObservedIp(t.id, rejected?.id as string, {}, as);
      await store.recordObservations([
        obs(t.id, k.key.id, '192.0.2.1', { status: 'authorized' }),
        obs(t.id, k.key.id, '192.0.2.2', { status: 'pending' }),
        obs(t.id, k.key.id, '192.0.2.3', { status: 'authorized' }),
      ]);
      const now = await byAddress();
      expect(now.get('192.0.2.1')).toMatchObject({ status: 'authorized', version: 2, count: 2 });
      expect(now.get('192.0.2.2')).toMatchObject({ status: 'authorized', version: 1, count: 2 });
      expect(now.get('192.0.2.3')).toMatchObject({ status: 'rejected', count: 2 });
    });

    it('keeps the newest assessment with the observation; a batch without one keeps it', async () => {
      const { t, k } = await setUp();
      const held = sampleAssessment('198.51.100.9', 'held');
      const trusted = sampleAssessment('198.51.100.9', 'trusted');
      await store.recordObservations([obs(t.id, k.key.id, '198.51.100.9', { assessment: held })]);
      const [first] = (await store.listObservedIps(t.id)).items;
      expect(first?.assessment).toEqual(held);
      await store.recordObservations([
        obs(t.id, k.key.id, '198.51.100.9', { status: 'authorized', assessment: trusted }),
      ]);
      await store.recordObservations([obs(t.id, k.key.id, '198.51.100.9', { status: 'authorized' })]);
      const again = await store.getObservedIp(t.id, first?.id as string);
      expect(again.assessment).toEqual(trusted);
      expect(again).toMatchObject({ status: 'authorized', count: 3 });
      await store.recordObservations([obs(t.id, k.key.id, '198.51.100.10')]);
      const plain = (await store.listObservedIps(t.id)).items.find((o) => o.address === '198.51.100.10');
      expect(plain?.assessment).toBeNull();
      await expect(
        store.recordObservations([
          obs(t.id, k.key.id, '198.51.100.11', { assessment: { verdict: 'maybe' } as never }),
        ]),
      ).rejects.toMatchObject({ field: 'assessment', index: 0 });
    });

    it('drops observations of another tenant’s key', async () => {
      const { t } = await setUp();
      const { t: other, k: otherKey } = await setUp();
      await store.recordObservations([obs(t.id, otherKey.key.id, '192.0.2.1')]);
      expect((await store.listObservedIps(t.id)).items).toEqual([]);
      expect((await store.listObservedIps(other.id)).items).toEqual([]);
    });

    it.each([
      [{ address: '10.0.0.01' }, 'address'],
      [{ count: 0 }, 'count'],
      [{ status: 'rejected' }, 'status'],
      [{ firstAt: new Date('x') }, 'firstAt'],
      [{ firstAt: at(5), lastAt: at(1) }, 'lastAt'],
    ])('refuses a batch with a bad observation %j (field %s), writing none of it', async (bad, field) => {
      const { t, k } = await setUp();
      await rejects(
        () =>
          store.recordObservations([
            obs(t.id, k.key.id, '192.0.2.1'),
            obs(t.id, k.key.id, '192.0.2.2', bad as never),
          ]),
        {
          status: 400,
          field,
          index: 1,
        },
      );
      expect((await store.listObservedIps(t.id)).items).toEqual([]);
    });

    it('lists newest first, filtered, one page at a time; other tenants see nothing', async () => {
      const { t, k } = await setUp();
      const k2 = await store.createKey(t.id, { name: 'k2' }, as);
      await store.recordObservations([
        ...Array.from({ length: 5 }, (_, i) =>
          obs(t.id, k.key.id, `192.0.2.${i}`, { lastAt: at(10 + (i % 3)), firstAt: at(1) }),
        ),
        obs(t.id, k2.key.id, '192.0.2.9', { status: 'authorized', lastAt: at(30) }),
      ]);
      const all = await collect((cursor) => store.listObservedIps(t.id, {}, { limit: 2, cursor }));
      expect(all).toHaveLength(6);
      const seen = all.map((o) => o.lastSeen.getTime());
      expect([...seen].sort((a, b) => b - a)).toEqual(seen);
      expect(new Set(all.map((o) => o.id)).size).toBe(6);
      expect(
        (await store.listObservedIps(t.id, { status: 'authorized' })).items.map((o) => o.address),
      ).toEqual(['192.0.2.9']);
      expect((await store.listObservedIps(t.id, { keyId: k.key.id, status: 'pending' })).items).toHaveLength(
        5,
      );
      await rejects(() => store.listObservedIps(t.id, { status: 'maybe' as never }), {
        status: 400,
        field: 'status',
      });
      const { t: other } = await setUp();
      await rejects(() => store.getObservedIp(other.id, all[0]?.id as string), { code: 'IPG_NOT_FOUND' });
      await rejects(() => store.listObservedIps('ten_missing'), { code: 'IPG_NOT_FOUND' });
    });

    it('authorizes: adds a review entry to the tenant list in one audited change', async () => {
      const { t, k } = await setUp();
      await store.recordObservations([obs(t.id, k.key.id, '198.51.100.4', { reason: 'not listed' })]);
      const [o] = (await store.listObservedIps(t.id)).items;
      if (o === undefined) throw new Error('no observation');
      const { t: other } = await setUp();
      await rejects(() => store.authorizeObservedIp(other.id, o.id, {}, as), { code: 'IPG_NOT_FOUND' });
      await rejects(() => store.authorizeObservedIp(t.id, o.id, {}, { ...as, expectedVersion: 2 }), {
        code: 'IPG_VERSION_CONFLICT',
      });
      await rejects(() => store.authorizeObservedIp(t.id, o.id, { name: '' }, as), {
        status: 400,
        field: 'name',
      });
      const result = await changes(
        'tenant.observed_ip.authorized',
        () =>
          store.authorizeObservedIp(
            t.id,
            o.id,
            { name: 'home', reason: 'known laptop' },
            { ...as, expectedVersion: 1 },
          ),
        { tenantId: t.id, keyId: k.key.id },
      );
      expect(result.observed).toMatchObject({
        status: 'authorized',
        version: 2,
        reasons: ['not listed', `authorized by ${ACTOR}: known laptop`],
      });
      expect(result.entry).toMatchObject({
        name: 'home',
        canonical: '198.51.100.4',
        source: 'review',
        reason: 'known laptop',
        createdBy: ACTOR,
      });
      expect(await store.listTenantIpEntries(t.id)).toEqual([result.entry]);
      expect(await store.getObservedIp(t.id, o.id)).toEqual(result.observed);
    });

    it('authorizing an address the list covers only marks it', async () => {
      const { t, k } = await setUp();
      await store.addTenantIpEntry(t.id, { value: '198.51.100.0/24' }, as);
      await store.recordObservations([obs(t.id, k.key.id, '198.51.100.4')]);
      const [o] = (await store.listObservedIps(t.id)).items;
      const { entry, observed } = await store.authorizeObservedIp(t.id, o?.id as string, {}, as);
      expect(entry).toBeNull();
      expect(observed.status).toBe('authorized');
      expect(await store.listTenantIpEntries(t.id)).toHaveLength(1);
    });

    it('authorizing against a full list fails and changes nothing', async () => {
      const { t, k } = await setUp(1);
      await store.addTenantIpEntry(t.id, { value: '10.0.0.1' }, as);
      await store.recordObservations([obs(t.id, k.key.id, '198.51.100.4')]);
      const [o] = (await store.listObservedIps(t.id)).items;
      await rejects(() => store.authorizeObservedIp(t.id, o?.id as string, {}, as), {
        code: 'IPG_LIMIT_REACHED',
      });
      expect(await store.getObservedIp(t.id, o?.id as string)).toEqual(o);
      expect(await store.listTenantIpEntries(t.id)).toHaveLength(1);
    });

    it('rejects, optionally rotating the key in the same change', async () => {
      const { t, k } = await setUp();
      await store.recordObservations([
        obs(t.id, k.key.id, '198.51.100.4'),
        obs(t.id, k.key.id, '198.51.100.5'),
      ]);
      const [first, second] = (await store.listObservedIps(t.id)).items;
      if (first === undefined || second === undefined) throw new Error('no observations');
      await rejects(() => store.rejectObservedIp(t.id, first.id, { rotateKey: 'yes' as never }, as), {
        status: 400,
        field: 'rotateKey',
      });
      const plain = await changes(
        'tenant.observed_ip.rejected',
        () => store.rejectObservedIp(t.id, first.id, { reason: 'unknown' }, as),
        {
          keyId: k.key.id,
        },
      );
      expect(plain.rotated).toBeNull();
      expect(plain.observed).toMatchObject({
        status: 'rejected',
        reasons: [`rejected by ${ACTOR}: unknown`],
      });
      expect((await store.findKeyBySecret(k.secret))?.id).toBe(k.key.id);
      const { rotated, observed } = await changes('tenant.observed_ip.rejected', () =>
        store.rejectObservedIp(t.id, second.id, { rotateKey: true }, { ...as, expectedVersion: 1 }),
      );
      expect(observed.status).toBe('rejected');
      expect(rotated?.key).toMatchObject({ id: k.key.id, version: k.key.version + 1 });
      expect(await store.findKeyBySecret(k.secret)).toBeUndefined();
      expect((await store.findKeyBySecret(rotated?.secret as string))?.id).toBe(k.key.id);
      expect(JSON.stringify((await store.listAuditEvents(t.id)).items)).not.toContain(rotated?.secret);
      await rejects(() => store.rejectObservedIp(t.id, 'obs_missing', {}, as), { code: 'IPG_NOT_FOUND' });
    });
  });

  describe('retention of observed addresses', () => {
    it('deletes addresses not seen since the cut-off, in batches, and keeps rejected ones', async () => {
      const t = await tenant('observed retention');
      const { key } = await store.createKey(t.id, { name: 'k' }, as);
      const at = (day: number) => new Date(Date.UTC(2024, 0, day));
      const seen = (address: string, day: number, status: 'authorized' | 'pending') => ({
        tenantId: t.id,
        keyId: key.id,
        address,
        firstAt: at(day),
        lastAt: at(day),
        count: 1,
        status,
      });
      await store.recordObservations([
        seen('192.0.2.1', 1, 'pending'),
        seen('192.0.2.2', 2, 'authorized'),
        seen('192.0.2.3', 3, 'pending'),
        seen('192.0.2.4', 20, 'pending'),
      ]);
      const list = async () =>
        (await store.listObservedIps(t.id, {}, { limit: 50 })).items.map((o) => o.address).sort();
      const third = (await store.listObservedIps(t.id, {}, { limit: 50 })).items.find(
        (o) => o.address === '192.0.2.3',
      );
      await store.rejectObservedIp(t.id, third?.id as string, {}, as);
      await rejects(() => store.pruneObservedIps(new Date('x')), { status: 400, field: 'before' });
      expect(await store.pruneObservedIps(at(10), { batchSize: 1 })).toBe(2);
      expect(await list()).toEqual(['192.0.2.3', '192.0.2.4']);
    });
  });
}
