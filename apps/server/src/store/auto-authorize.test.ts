import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleAssessment } from '../review/assessment.test-support.js';
import type { AuditEvent, Store } from './store.js';
import { type StoreLocation, storeFactories } from './test-stores.test-support.js';

/**
 * The `auto` mode's batched write on real stores (docs/architecture/review.md#auto-on-the-request-path):
 * the trusted addresses a node gathered for a tenant are listed in one transaction with ONE change
 * version, each with its own audit event (carrying that version) and `ip.authorized` notification.
 */
const factories = await storeFactories();
const HOUR = 3_600_000;

describe.each(factories.map((f) => [f.name, f] as const))(
  'auto authorization batches on %s',
  (_name, factory) => {
    let location: StoreLocation;
    let dispose: () => Promise<void>;
    let store: Store;
    const actor = { actor: 'test' };

    beforeAll(async () => {
      if (factory.skip) return;
      ({ location, dispose } = await factory.createLocation());
      store = await factory.openAt(location);
    });

    afterAll(async () => {
      await store?.close();
      await dispose?.();
    });

    const setUp = async (name: string, ipEntryLimit?: number) => {
      const tenantId = (await store.createTenant({ name, ipMode: 'auto', ipEntryLimit }, actor)).id;
      const k1 = (await store.createKey(tenantId, { name: 'one' }, actor)).key.id;
      const k2 = (await store.createKey(tenantId, { name: 'two' }, actor)).key.id;
      return { tenantId, k1, k2 };
    };
    const item = (keyId: string, address: string) => ({
      keyId,
      address,
      assessment: sampleAssessment(address, 'trusted'),
      at: new Date(),
    });

    it.skipIf(factory.skip)(
      'several addresses in one batch: one change version, every address listed, audited and notified with its reasons',
      async () => {
        const { tenantId, k1, k2 } = await setUp('Batch');
        await store.notifications.createChannel(
          tenantId,
          {
            kind: 'webhook',
            name: 'hook',
            target: 'https://hooks.example.com/ipgate',
            events: ['ip.authorized'],
          },
          actor,
        );
        const [a0, a1, a2, a3] = ['198.51.100.11', '198.51.100.12', '2001:db8::12', '198.51.100.13'] as const;
        const addresses: string[] = [a0, a1, a2, a3];
        const before = await store.currentVersion();
        const results = await store.autoAuthorizeAddresses({
          tenantId,
          burst: { limit: 100, windowMs: HOUR },
          addresses: [item(k2, a0), item(k1, a1), item(k1, a2), item(k2, a3)],
        });
        // One result per address, in the order given.
        expect(results.map((r) => r.outcome)).toEqual([
          'authorized',
          'authorized',
          'authorized',
          'authorized',
        ]);
        expect(results.map((r) => (r.outcome === 'authorized' ? r.observed.address : null))).toEqual(
          addresses,
        );
        // One change for the batch: every node recompiles the tenant once.
        const after = await store.currentVersion();
        expect(after).toBe(before + 1);

        const entries = await store.listTenantIpEntries(tenantId);
        for (const a of addresses) {
          const entry = entries.find((e) => e.value === a);
          expect(entry).toMatchObject({ source: 'auto', createdBy: 'auto-review' });
          expect(entry?.reason).toBe(sampleAssessment(a, 'trusted').reasons.join('; '));
        }
        const observed = (await store.listObservedIps(tenantId, {}, { limit: 50 })).items;
        for (const a of addresses) {
          expect(observed.find((o) => o.address === a)).toMatchObject({
            status: 'authorized',
            assessment: { verdict: 'trusted' },
          });
        }

        // One audit event per address, all carrying the batch's change version, each with its reasons.
        const audit = (await store.listAuditEvents(tenantId, { limit: 50 })).items.filter(
          (e) => e.action === 'tenant.observed_ip.auto_authorized',
        );
        expect(audit.map((e) => e.changeVersion)).toEqual([after, after, after, after]);
        expect(audit.map((e) => (e.after as { address: string }).address).sort()).toEqual(
          [...addresses].sort(),
        );
        for (const e of audit) {
          const a = e.after as {
            address: string;
            assessment: { reasons: string[] };
            entry: { value: string };
          };
          expect(a.assessment.reasons).toEqual(sampleAssessment(a.address, 'trusted').reasons);
          expect(a.entry.value).toBe(a.address);
        }

        // Paging through the audit trail 1 event at a time skips none of the events sharing a version.
        const paged: AuditEvent[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.listAuditEvents(tenantId, { limit: 1, cursor });
          paged.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        expect(paged.map((e) => e.id)).toEqual(
          (await store.listAuditEvents(tenantId, { limit: 50 })).items.map((e) => e.id),
        );

        // ip.authorized for each address, with the reasons, to the subscribed channel.
        const { items } = await store.notifications.listDeliveries(tenantId, {}, { limit: 50 });
        const authorized = items.filter((d) => d.type === 'ip.authorized');
        expect(authorized).toHaveLength(4);
        const ids = new Set(observed.filter((o) => addresses.includes(o.address)).map((o) => o.id));
        for (const d of authorized) expect(ids.has(d.observedId as string)).toBe(true);
      },
    );

    it.skipIf(factory.skip)(
      'a list that fills up midway: the addresses before the limit are listed, the ones past it stay pending',
      async () => {
        const { tenantId, k1 } = await setUp('Limit', 3);
        await store.addTenantIpEntry(tenantId, { value: '203.0.113.1' }, actor);
        const before = await store.currentVersion();
        // Written in key, then address order: .12 and .13 fit the limit of 3, .14 and .15 do not.
        const results = await store.autoAuthorizeAddresses({
          tenantId,
          addresses: ['203.0.113.15', '203.0.113.12', '203.0.113.14', '203.0.113.13'].map((a) => item(k1, a)),
        });
        expect(results.map((r) => r.outcome)).toEqual([
          'limit-reached',
          'authorized',
          'limit-reached',
          'authorized',
        ]);
        expect(results[0]).toEqual({ outcome: 'limit-reached', limit: 3 });
        expect(await store.currentVersion()).toBe(before + 1);
        expect((await store.listTenantIpEntries(tenantId)).map((e) => e.value).sort()).toEqual([
          '203.0.113.1',
          '203.0.113.12',
          '203.0.113.13',
        ]);
        // Nothing written for the refused ones: their requests' observations (pending) are the recorder's.
        const observed = (await store.listObservedIps(tenantId, {}, { limit: 50 })).items.map(
          (o) => o.address,
        );
        expect(observed.sort()).toEqual(['203.0.113.12', '203.0.113.13']);
      },
    );

    it.skipIf(factory.skip)(
      "a batch that reaches a key's burst limit holds all of the key's addresses, the batch's earlier ones too",
      async () => {
        const { tenantId, k1, k2 } = await setUp('Burst in a batch');
        const results = await store.autoAuthorizeAddresses({
          tenantId,
          burst: { limit: 3, windowMs: HOUR },
          addresses: [
            item(k1, '192.0.2.1'),
            item(k1, '192.0.2.2'),
            item(k2, '192.0.2.9'),
            item(k1, '192.0.2.3'),
          ],
        });
        expect(results.map((r) => r.outcome)).toEqual(['burst', 'burst', 'authorized', 'burst']);
        expect(results[3]).toMatchObject({ outcome: 'burst', newAddresses: 3 });
        expect((await store.listTenantIpEntries(tenantId)).map((e) => e.value)).toEqual(['192.0.2.9']);
        const observed = (await store.listObservedIps(tenantId, { keyId: k1 }, { limit: 50 })).items;
        expect(observed).toHaveLength(3);
        for (const o of observed)
          expect(o).toMatchObject({ status: 'pending', assessment: { verdict: 'held' } });
      },
    );

    it.skipIf(factory.skip)('refuses what it must per address and writes the rest', async () => {
      const { tenantId, k1 } = await setUp('Refusals');
      const disabled = await store.addTenantIpEntry(tenantId, { value: '198.18.0.7', enabled: false }, actor);
      await store.recordObservations([
        {
          tenantId,
          keyId: k1,
          address: '198.18.0.8',
          firstAt: new Date(),
          lastAt: new Date(),
          count: 1,
          status: 'pending',
        },
      ]);
      const rejected = (await store.listObservedIps(tenantId, {}, { limit: 5 })).items[0];
      await store.rejectObservedIp(tenantId, rejected?.id as string, {}, actor);
      const results = await store.autoAuthorizeAddresses({
        tenantId,
        addresses: [
          item(k1, '198.18.0.7'),
          item(k1, '198.18.0.8'),
          item('key_gone', '198.18.0.9'),
          item(k1, '198.18.0.10'),
        ],
      });
      expect(results).toMatchObject([
        { outcome: 'entry-exists', entryId: disabled.id },
        { outcome: 'rejected' },
        { outcome: 'key-gone' },
        { outcome: 'authorized' },
      ]);
      await store.updateTenant(tenantId, { ipMode: 'manual' }, actor);
      expect(await store.autoAuthorizeAddresses({ tenantId, addresses: [item(k1, '198.18.0.11')] })).toEqual([
        { outcome: 'not-auto' },
      ]);
    });

    it.skipIf(factory.skip)(
      'an address a person rejected under one key is listed for no key of the tenant',
      async () => {
        const { tenantId, k1, k2 } = await setUp('Rejected tenant-wide');
        const at = new Date();
        await store.recordObservations([
          {
            tenantId,
            keyId: k1,
            address: '198.18.0.40',
            firstAt: at,
            lastAt: at,
            count: 1,
            status: 'pending',
          },
        ]);
        const [row] = (await store.listObservedIps(tenantId, {}, { limit: 5 })).items;
        await store.rejectObservedIp(tenantId, row?.id as string, {}, actor);
        const before = await store.currentVersion();
        // The rejected address under the other key, in a batch with one the tenant never rejected.
        const results = await store.autoAuthorizeAddresses({
          tenantId,
          addresses: [item(k2, '198.18.0.40'), item(k2, '198.18.0.41')],
        });
        expect(results.map((r) => r.outcome)).toEqual(['rejected', 'authorized']);
        const entries = (await store.listTenantIpEntries(tenantId)).map((e) => e.value);
        expect(entries).toEqual(['198.18.0.41']);
        // Nothing written for the refused one: no row under the second key.
        const observed = (await store.listObservedIps(tenantId, {}, { limit: 10 })).items;
        expect(observed.filter((o) => o.address === '198.18.0.40').map((o) => o.keyId)).toEqual([k1]);
        expect(await store.currentVersion()).toBe(before + 1);
        // A batch of just the rejected address changes nothing.
        expect(
          await store.autoAuthorizeAddresses({ tenantId, addresses: [item(k2, '198.18.0.40')] }),
        ).toEqual([{ outcome: 'rejected' }]);
        expect(await store.currentVersion()).toBe(before + 1);
      },
    );

    it.skipIf(factory.skip)(
      'an address the recorder wrote pending first: answered with its row as stored, count and reasons kept',
      async () => {
        const { tenantId, k1 } = await setUp('Recorded first');
        const seen = new Date(Date.now() - 5000);
        await store.recordObservations([
          {
            tenantId,
            keyId: k1,
            address: '198.18.0.30',
            firstAt: seen,
            lastAt: seen,
            count: 3,
            status: 'pending',
            reason: 'tenant-ip-not-listed',
            assessment: sampleAssessment('198.18.0.30', 'trusted'),
          },
        ]);
        const [result] = await store.autoAuthorizeAddresses({
          tenantId,
          addresses: [item(k1, '198.18.0.30')],
        });
        if (result?.outcome !== 'authorized') throw new Error(`authorized expected, got ${result?.outcome}`);
        const stored = await store.getObservedIp(tenantId, result.observed.id);
        expect(result.observed).toEqual(stored);
        expect(stored).toMatchObject({ status: 'authorized', count: 3, version: 2 });
        expect(stored.reasons).toEqual([
          'tenant-ip-not-listed',
          `authorized automatically (score ${stored.assessment?.score})`,
        ]);
      },
    );

    it.skipIf(factory.skip)(
      'an address the list lets through already gets no entry; one it holds disabled or expired is left to a person',
      async () => {
        const { tenantId, k1 } = await setUp('Covered');
        await store.addTenantIpEntry(tenantId, { value: '198.51.100.0/24' }, actor);
        await store.addTenantIpEntry(tenantId, { value: '2001:db8:7::5' }, actor);
        await store.addTenantIpEntry(tenantId, { value: '203.0.113.9/32' }, actor);
        // A disabled range covers nothing: its addresses are listed as they come.
        await store.addTenantIpEntry(tenantId, { value: '192.0.2.0/24', enabled: false }, actor);
        const expired = await store.addTenantIpEntry(
          tenantId,
          { value: '198.18.0.20', expiresAt: new Date(Date.now() + 1000) },
          actor,
        );
        await new Promise((r) => setTimeout(r, 1100));
        const results = await store.autoAuthorizeAddresses({
          tenantId,
          addresses: [
            item(k1, '198.51.100.77'),
            item(k1, '2001:db8:7:0::5'),
            item(k1, '203.0.113.9'),
            item(k1, '192.0.2.5'),
            item(k1, '198.18.0.20'),
          ],
        });
        expect(results).toMatchObject([
          { outcome: 'authorized', entry: null },
          { outcome: 'authorized', entry: null },
          { outcome: 'authorized', entry: null },
          { outcome: 'authorized', entry: { value: '192.0.2.5', source: 'auto' } },
          { outcome: 'entry-exists', entryId: expired.id },
        ]);
        expect((await store.listTenantIpEntries(tenantId)).length).toBe(6);
      },
    );

    it.skipIf(factory.skip)(
      'an IPv4 address the list holds in its IPv4-mapped form, or the other way round, gets no entry',
      async () => {
        const { tenantId, k1, k2 } = await setUp('Mapped');
        // The gateway's set lets 198.51.100.7 in through ::ffff:198.51.100.7, and the other way round.
        await store.addTenantIpEntry(tenantId, { value: '::ffff:198.51.100.7' }, actor);
        await store.addTenantIpEntry(tenantId, { value: '203.0.113.9' }, actor);
        const results = await store.autoAuthorizeAddresses({
          tenantId,
          addresses: [
            item(k1, '198.51.100.7'),
            item(k1, '::ffff:203.0.113.9'),
            // Added by this batch as 192.0.2.44: its twin on another key needs no second entry.
            item(k1, '192.0.2.44'),
            item(k2, '::ffff:192.0.2.44'),
          ],
        });
        expect(results).toMatchObject([
          { outcome: 'authorized', entry: null },
          { outcome: 'authorized', entry: null },
          { outcome: 'authorized', entry: { value: '192.0.2.44', source: 'auto' } },
          { outcome: 'authorized', entry: null },
        ]);
        expect((await store.listTenantIpEntries(tenantId)).length).toBe(3);
      },
    );

    it.skipIf(factory.skip)(
      'an address whose IPv4-mapped twin a person disabled is left to them, as the same value is',
      async () => {
        const { tenantId, k1 } = await setUp('Mapped disabled');
        const off = await store.addTenantIpEntry(
          tenantId,
          { value: '::ffff:198.51.100.8', enabled: false },
          actor,
        );
        const offV4 = await store.addTenantIpEntry(tenantId, { value: '203.0.113.8', enabled: false }, actor);
        const results = await store.autoAuthorizeAddresses({
          tenantId,
          addresses: [item(k1, '198.51.100.8'), item(k1, '::ffff:203.0.113.8')],
        });
        // A new entry for either would let in the address the person turned off.
        expect(results).toMatchObject([
          { outcome: 'entry-exists', entryId: off.id },
          { outcome: 'entry-exists', entryId: offV4.id },
        ]);
        expect((await store.listTenantIpEntries(tenantId)).length).toBe(2);
      },
    );

    it.skipIf(factory.skip)(
      'a batch says which entries it added, so nodes read just those: an address already covered adds none',
      async () => {
        const { tenantId, k1, k2 } = await setUp('Additions');
        await store.addTenantIpEntry(tenantId, { value: '203.0.113.0/24' }, actor);
        const from = await store.currentVersion();
        const results = await store.autoAuthorizeAddresses({
          tenantId,
          burst: { limit: 100, windowMs: HOUR },
          addresses: [item(k1, '198.51.100.31'), item(k2, '203.0.113.31'), item(k2, '2001:db8::31')],
        });
        const entries = results.map((r) => (r.outcome === 'authorized' ? (r.entry?.id ?? null) : 'none'));
        expect(entries[1]).toBeNull(); // covered by the /24: authorized, nothing added
        let delta = await store.rulesSince(from, { additions: true });
        expect(delta?.tenants.size).toBe(0);
        expect(delta?.tenantAdditions?.get(tenantId)?.map((e) => [e.id, e.value])).toEqual([
          [entries[0], '198.51.100.31'],
          [entries[2], '2001:db8::31'],
        ]);
        // A batch of covered addresses only: the tenant is named with nothing to add.
        const again = await store.currentVersion();
        await store.autoAuthorizeAddresses({
          tenantId,
          burst: { limit: 100, windowMs: HOUR },
          addresses: [item(k1, '203.0.113.32')],
        });
        expect(await store.currentVersion()).toBe(again + 1);
        delta = await store.rulesSince(again, { additions: true });
        expect(delta?.tenants.size).toBe(0);
        expect(delta?.tenantAdditions?.get(tenantId)).toEqual([]);
      },
    );

    it.skipIf(factory.skip)('bad input is refused whole, naming the address', async () => {
      const { tenantId, k1 } = await setUp('Bad input');
      await expect(
        store.autoAuthorizeAddresses({ tenantId, addresses: [item(k1, '198.51.100.1'), item(k1, 'nope')] }),
      ).rejects.toMatchObject({ code: 'IPG_ADDRESS_INVALID', field: 'address', index: 1 });
      await expect(store.autoAuthorizeAddresses({ tenantId, addresses: [] })).rejects.toMatchObject({
        code: 'IPG_CONFIG_INVALID',
        field: 'addresses',
      });
      expect((await store.listTenantIpEntries(tenantId)).length).toBe(0);
    });
  },
);
