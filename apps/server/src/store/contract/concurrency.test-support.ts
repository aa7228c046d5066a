import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../store.js';
import { as, type ContractContext, writeUntilKilled } from './context.test-support.js';

/**
 * Concurrent writers and durability under kill -9.
 *
 * @example concurrencyContract(context); // inside the describe of storeContract
 */
export function concurrencyContract(context: ContractContext): void {
  const { factory } = context;

  describe('under concurrency', () => {
    let racing: Store;
    beforeAll(async () => {
      // Several connections on PostgreSQL, so the transactions really overlap. SQLite has one
      // connection per process and one writer per file; the same calls must hold there too.
      racing = await factory.open({ maxConnections: 10 });
    });
    afterAll(async () => {
      await racing?.close();
    });

    it.each(['tenant IP', 'key IP', 'key domain'] as const)(
      '50 concurrent adds to a %s list with a limit of 5 leave exactly 5',
      async (list) => {
        const t = await racing.createTenant({ name: 'race', ipEntryLimit: 5 }, as);
        const { key } = await racing.createKey(t.id, { name: 'k' }, as);
        const add = (i: number) => {
          if (list === 'tenant IP') return racing.addTenantIpEntry(t.id, { value: `10.1.0.${i}` }, as);
          if (list === 'key IP') return racing.addKeyIpEntry(t.id, key.id, { value: `10.2.0.${i}` }, as);
          return racing.addKeyDomainEntry(t.id, key.id, { value: `d${i}.example.com` }, as);
        };
        const before = await racing.currentVersion();
        const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => add(i)));
        const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
        expect(failures).toHaveLength(45);
        for (const f of failures) expect(f).toMatchObject({ code: 'IPG_LIMIT_REACHED' });
        const stored =
          list === 'tenant IP'
            ? await racing.listTenantIpEntries(t.id)
            : list === 'key IP'
              ? await racing.listKeyIpEntries(t.id, key.id)
              : await racing.listKeyDomainEntries(t.id, key.id);
        expect(stored).toHaveLength(5);
        expect(await racing.changesSince(before)).toHaveLength(5);
      },
    );

    it.each(['tenant', 'tenant IP entry', 'key'] as const)(
      'concurrent updates of a %s with the same expected version: exactly one wins',
      async (what) => {
        const t = await racing.createTenant({ name: 'race' }, as);
        const { key } = await racing.createKey(t.id, { name: 'k' }, as);
        const entry = await racing.addTenantIpEntry(t.id, { value: '10.3.0.1' }, as);
        const update = (i: number) => {
          const o = { ...as, expectedVersion: 1 };
          if (what === 'tenant') return racing.updateTenant(t.id, { name: `n${i}` }, o);
          if (what === 'key') return racing.updateKey(t.id, key.id, { name: `n${i}` }, o);
          return racing.updateTenantIpEntry(t.id, entry.id, { name: `n${i}` }, o);
        };
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => update(i)));
        const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        expect(won).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'IPG_VERSION_CONFLICT' });
        }
        expect(won[0]?.version).toBe(2);
      },
    );
  });

  describe('durability under kill -9', () => {
    it('keeps every write a killed process had acknowledged', async () => {
      const { location, dispose } = await factory.createLocation();
      try {
        const setup = await factory.openAt(location);
        const t = await setup.createTenant({ name: 'durable', ipEntryLimit: 100_000 }, as);
        await setup.close();
        const acknowledged = await writeUntilKilled(JSON.stringify(location), t.id, 40);
        expect(acknowledged.length).toBeGreaterThanOrEqual(40);
        const reopened = await factory.openAt(location);
        try {
          const stored = new Set((await reopened.listTenantIpEntries(t.id)).map((e) => e.id));
          const missing = acknowledged.filter((id) => !stored.has(id));
          expect(missing, 'acknowledged writes lost by kill -9').toEqual([]);
          // At most the one write in flight when the process died may be there unacknowledged.
          expect(stored.size - acknowledged.length).toBeLessThanOrEqual(1);
        } finally {
          await reopened.close();
        }
      } finally {
        await dispose();
      }
    }, 30_000);
  });
}
