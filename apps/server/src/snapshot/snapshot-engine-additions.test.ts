/**
 * A node following changes that only add entries to a tenant's list (single adds, `auto` batches)
 * extends the compiled tenant with just those rows, on real stores — the process that keeps the last
 * good copy on disk too, whose journal records the rows added, and reads back as the store holds it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleAssessment } from '../review/assessment.test-support.js';
import type { Store } from '../store/store.js';
import { type StoreLocation, storeFactories } from '../store/test-stores.test-support.js';
import { journalPath } from './last-good-journal.js';
import { createLastGoodWriter } from './last-good-writer.js';
import { createSnapshotEngine } from './snapshot-engine.js';

const factories = await storeFactories();
const dir = mkdtempSync(join(tmpdir(), 'ipgate-engine-additions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const as = { actor: 'test' };
const LOCATION = 'test://additions';

describe.each(factories.map((f) => [f.name, f] as const))('entries added, on %s', (_name, factory) => {
  let location: StoreLocation;
  let dispose: () => Promise<void>;
  let store: Store;

  beforeAll(async () => {
    if (factory.skip) return;
    ({ location, dispose } = await factory.createLocation());
    store = await factory.openAt(location);
  });
  afterAll(async () => {
    await store?.close();
    await dispose?.();
  });

  it.skipIf(factory.skip)(
    'extend the compiled tenant on every node; the copy-keeping node journals the added rows',
    async () => {
      const tenantId = (await store.createTenant({ name: 'extend', ipMode: 'auto' }, as)).id;
      const keyId = (await store.createKey(tenantId, { name: 'k' }, as)).key.id;
      await store.addTenantIpEntry(tenantId, { value: '192.0.2.0/28', name: 'office' }, as);
      const worker = createSnapshotEngine({ store });
      const path = join(dir, `copy-${factory.name}`);
      const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 5, journalShare: 1000 });
      const main = createSnapshotEngine({ store, lastGood: { path, storeLocation: LOCATION, writer } });
      try {
        await Promise.all([worker.start(), main.start()]);
        const allowed = (engine: typeof worker, address: string) =>
          engine.check({ address, tenantId, keyId }).decision;

        const entry = await store.addTenantIpEntry(tenantId, { value: '198.51.100.7', name: 'one' }, as);
        await store.autoAuthorizeAddresses({
          tenantId,
          burst: { limit: 100, windowMs: 3_600_000 },
          addresses: ['2001:db8::7', '192.0.2.5'].map((address) => ({
            keyId,
            address,
            assessment: sampleAssessment(address, 'trusted'),
            at: new Date(),
          })),
        });
        await Promise.all([worker.refresh(), main.refresh()]);
        expect(worker.stats.tenantsExtended).toBe(1);
        expect(main.stats.tenantsExtended).toBe(1);
        await writer.flush();
        const added = readFileSync(journalPath(path), 'utf8').match(/^\+ t (\S+) (.*)$/gm);
        expect(added).toHaveLength(1);
        expect(added?.[0]).toContain(`+ t ${tenantId} `);
        expect(added?.[0]).toContain('"2001:db8::7"');
        expect(added?.[0]).not.toContain('192.0.2.0/28'); // the rows added, not the list
        for (const engine of [worker, main]) {
          expect(engine.version).toBe(await store.currentVersion());
          expect(allowed(engine, '198.51.100.7')).toMatchObject({
            allow: true,
            matched: [{ list: 'tenant', id: entry.id, value: '198.51.100.7' }],
          });
          expect(allowed(engine, '2001:db8::7').allow).toBe(true);
          expect(allowed(engine, '192.0.2.5').matched[0]?.value).toBe('192.0.2.0/28'); // covered: no entry
          expect(allowed(engine, '198.51.100.8').allow).toBe(false);
          expect(engine.current.tenants.get(tenantId)?.entryIds.size).toBe(3);
        }

        // Any other change of the tenant: compiled whole again, on both.
        await store.updateTenantIpEntry(tenantId, entry.id, { enabled: false }, as);
        await Promise.all([worker.refresh(), main.refresh()]);
        expect(worker.stats.tenantsExtended).toBe(1);
        for (const engine of [worker, main]) expect(allowed(engine, '198.51.100.7').allow).toBe(false);
        await writer.flush();

        // The copy on disk holds the tenant as the store does: a node started from it alone agrees
        // (an addition after the whole list the disabling wrote).
        await store.addTenantIpEntry(tenantId, { value: '198.51.100.9' }, as);
        await main.refresh();
        expect(main.stats.tenantsExtended).toBe(2);
        await writer.flush();
        expect(readFileSync(journalPath(path), 'utf8').match(/^\+ t /gm)).toHaveLength(2);
        const fromCopy = createSnapshotEngine({
          store: {
            currentVersion: () => Promise.reject(new Error('connect ECONNREFUSED')),
            loadRules: () => Promise.reject(new Error('connect ECONNREFUSED')),
            rulesSince: () => Promise.reject(new Error('connect ECONNREFUSED')),
          },
          lastGood: { path, storeLocation: LOCATION },
        });
        await fromCopy.start();
        expect(fromCopy.status.source).toBe('last-good-copy');
        expect(fromCopy.version).toBe(await store.currentVersion());
        for (const address of ['198.51.100.9', '2001:db8::7', '198.51.100.7'])
          expect(allowed(fromCopy, address).allow, address).toBe(allowed(main, address).allow);
        expect(fromCopy.current.tenants.get(tenantId)?.entryIds.all()).toEqual(
          main.current.tenants.get(tenantId)?.entryIds.all(),
        );
        fromCopy.close();
      } finally {
        worker.close();
        main.close();
        await writer.close();
      }
    },
  );
});
