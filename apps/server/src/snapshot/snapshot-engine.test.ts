import { describe, expect, it, vi } from 'vitest';
import type { RulesChunk } from '../store/store.js';
import { fakeRulesStore, recordingLogger } from './fake-rules-store.test-support.js';
import { fixtureRules } from './rules-fixture.test-support.js';
import { createSnapshotEngine } from './snapshot-engine.js';

/** Every call waits a little, and loadRules hands the rules over in two chunks. */
const fakeStore = (rules: RulesChunk) => fakeRulesStore(rules, { delayMs: 1 });

const listed = [{ value: '203.0.113.0/24' }];

describe('createSnapshotEngine', () => {
  it('serves an empty snapshot until the first refresh, then the store’s', async () => {
    const { store } = fakeStore(fixtureRules({ version: 4, tenantEntries: listed }));
    const engine = createSnapshotEngine({ store });
    expect([engine.loaded, engine.ready, engine.version]).toEqual([false, false, 0]);
    await engine.refresh();
    expect([engine.loaded, engine.ready, engine.version]).toEqual([true, true, 4]);
    expect(engine.current.routes.find('x', '/')?.id).toBe('api_1');
    engine.close();
  });

  it('rebuilds only when the store is ahead, and swaps the whole snapshot', async () => {
    const fake = fakeStore(fixtureRules({ version: 1 }));
    const { store, state } = fake;
    const engine = createSnapshotEngine({ store });
    await engine.refresh();
    const first = engine.current;
    await engine.refresh();
    expect(engine.current).toBe(first);
    expect([state.loads, state.deltas]).toEqual([1, 0]);
    fake.set({ version: 2, tenantEntries: listed });
    await engine.refresh();
    expect(engine.current).not.toBe(first);
    expect(engine.check({ address: '203.0.113.9', keyId: 'key_1' }).decision.allow).toBe(true);
    expect(first.tenants.get('ten_1')?.restriction.list.isEmpty).toBe(true);
    // Only the units the changes touched were read: no second full load.
    expect([state.loads, state.deltas, engine.stats.fullLoads, engine.stats.unitRefreshes]).toEqual([
      1, 1, 1, 1,
    ]);
    engine.close();
  });

  it('reloads everything when there are too many changes to follow, or the store went back', async () => {
    const fake = fakeStore(fixtureRules({ version: 5 }));
    const { lines, logger } = recordingLogger();
    const engine = createSnapshotEngine({ store: fake.store, logger });
    await engine.refresh();
    fake.state.tooMany = true;
    fake.set({ version: 50, tenantEntries: listed });
    await engine.refresh();
    expect([engine.version, fake.state.loads]).toEqual([50, 2]);
    expect(engine.check({ address: '203.0.113.9', keyId: 'key_1' }).decision.allow).toBe(true);
    fake.set({ version: 7 }); // a database restored from an older backup
    await engine.refresh();
    expect([engine.version, fake.state.loads]).toEqual([7, 3]);
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([
      'warn the store is at an older change version than this node (restored?); reloading every rule',
    ]);
    engine.close();
  });

  it('takes a burst of other nodes’ changes in one refresh when asked soon', async () => {
    const fake = fakeStore(fixtureRules({ version: 1 }));
    const engine = createSnapshotEngine({ store: fake.store, coalesceMs: 30 });
    await engine.refresh();
    const versionReads = fake.state.versions;
    for (let v = 2; v <= 10; v++) {
      fake.set({ version: v });
      engine.refreshSoon();
    }
    await vi.waitFor(() => expect(engine.version).toBe(10), { timeout: 2000 });
    // One read of what changed; no version check first, since the notification said there is news.
    expect([fake.state.deltas, fake.state.versions - versionReads]).toEqual([1, 0]);
    engine.close();
  });

  it('spaces refreshes in a burst that comes as one notice per refresh (a watch deaf meanwhile)', async () => {
    const fake = fakeStore(fixtureRules({ version: 1 }));
    const engine = createSnapshotEngine({ store: fake.store, coalesceMs: 300 });
    await engine.refresh();
    const deltas = fake.state.deltas;
    fake.set({ version: 20 }); // many changes behind one notice
    engine.refreshSoon();
    await vi.waitFor(() => expect(engine.version).toBe(20), { timeout: 2000 });
    const listened: number[] = [];
    fake.set({ version: 21 });
    engine.refreshSoon(async () => {
      listened.push(engine.version);
    });
    // The burst goes on: the next read waits for the spacing, not the 20 ms of a lone change.
    await new Promise((r) => setTimeout(r, 150));
    expect([engine.version, fake.state.deltas - deltas]).toEqual([20, 1]);
    await vi.waitFor(() => expect(engine.version).toBe(21), { timeout: 2000 });
    // The watch was told to listen again before the read.
    expect(listened).toEqual([20]);
    engine.close();
  });

  it('coalesces concurrent refreshes but never misses a change committed before a call', async () => {
    const fake = fakeStore(fixtureRules({ version: 1 }));
    const { store, state } = fake;
    const engine = createSnapshotEngine({ store });
    const a = engine.refresh();
    fake.set({ version: 2 }); // committed after the first run read its version
    const b = engine.refresh();
    const c = engine.refresh();
    await Promise.all([a, b, c]);
    expect(engine.version).toBe(2);
    expect(state.versions).toBe(2);
    engine.close();
  });

  it('keeps serving the last good snapshot when the store fails, and says so', async () => {
    const { store, state } = fakeStore(fixtureRules({ version: 3, tenantEntries: listed }));
    const { lines, logger } = recordingLogger();
    const engine = createSnapshotEngine({ store, logger });
    await engine.refresh();
    state.failing = true;
    await expect(engine.refresh()).rejects.toThrow('store down');
    await expect(engine.refresh()).rejects.toThrow('store down');
    expect([engine.loaded, engine.ready, engine.lastError?.message, engine.version]).toEqual([
      true,
      false,
      'store down',
      3,
    ]);
    expect(engine.check({ address: '203.0.113.9', keyId: 'key_1' }).decision.allow).toBe(true);
    expect(lines.filter((l) => l.startsWith('error'))).toHaveLength(1);
    state.failing = false;
    await engine.refresh();
    expect([engine.ready, engine.lastError]).toEqual([true, undefined]);
    expect(lines.at(-1)).toBe('info store reachable again');
    engine.close();
  });

  it('polls the store when asked to', async () => {
    const fake = fakeStore(fixtureRules({ version: 1 }));
    const { store } = fake;
    const engine = createSnapshotEngine({ store, pollIntervalMs: 20 });
    await engine.refresh();
    fake.set({ version: 9 });
    await vi.waitFor(() => expect(engine.version).toBe(9), { timeout: 2000 });
    engine.close();
  });

  it('drops an entry when it expires, without a store change', async () => {
    let clock = Date.now();
    const soon = new Date(clock + 60);
    const { store, state } = fakeStore(
      fixtureRules({ version: 1, tenantEntries: [{ value: '203.0.113.0/24', expiresAt: soon }] }),
    );
    const engine = createSnapshotEngine({ store, now: () => new Date(clock) });
    await engine.refresh();
    expect(engine.check({ address: '203.0.113.9', keyId: 'key_1' }).decision.allow).toBe(true);
    state.failing = true; // expiry must not need the store
    clock += 100;
    await vi.waitFor(
      () =>
        expect(engine.check({ address: '203.0.113.9', keyId: 'key_1' }).decision.reason).toBe(
          'tenant-list-empty',
        ),
      { timeout: 2000 },
    );
    expect(engine.version).toBe(1);
    engine.close();
  });

  it('explains described requests and refuses bad or foreign ones', async () => {
    const { store } = fakeStore(
      fixtureRules({
        tenantEntries: listed,
        apiEntries: [{ value: '203.0.113.0/25' }],
        keys: [{ secret: 's', domainRestrictionEnabled: true }],
        keyDomains: [{ value: 'app.example.com' }],
      }),
    );
    const engine = createSnapshotEngine({ store });
    await engine.refresh();
    const out = engine.check({
      address: '::ffff:203.0.113.9',
      apiId: 'api_1',
      tenantId: 'ten_1',
      keyId: 'key_1',
      origin: 'https://app.example.com',
    });
    expect(out).toMatchObject({ address: '203.0.113.9', apiId: 'api_1', tenantId: 'ten_1', keyId: 'key_1' });
    // A browser key (domain rules on, IP rules off) is judged by its domain rules instead of the
    // tenant's address list (docs/architecture/domains.md#browser-keys-and-server-keys).
    expect(out.decision.matched.map((m) => m.list)).toEqual(['api-allowlist', 'key-domains']);
    expect(engine.check({ address: '203.0.113.200', apiId: 'api_1' }).decision.reason).toBe(
      'api-allowlist-not-listed',
    );
    expect(engine.check({ address: '203.0.113.9', keyId: 'key_1' }).decision.reason).toBe(
      'key-server-request-not-allowed',
    );
    expect(engine.check({ address: '192.0.2.1', tenantId: 'ten_1' }).decision.reason).toBe(
      'tenant-ip-not-listed',
    );
    // As strict as every other door: a leading zero is an ambiguous IPv4 form, with its field.
    expect(() => engine.check({ address: '203.0.113.09' })).toThrow(
      expect.objectContaining({ code: 'IPG_ADDRESS_AMBIGUOUS_IPV4', field: 'address' }),
    );
    expect(() => engine.check({ address: 'nonsense' })).toThrow(
      expect.objectContaining({ code: 'IPG_ADDRESS_INVALID', field: 'address' }),
    );
    expect(() => engine.check({ address: '192.0.2.1', apiId: 'api_x' })).toThrow(
      expect.objectContaining({ code: 'IPG_NOT_FOUND' }),
    );
    expect(() => engine.check({ address: '192.0.2.1', tenantId: 'ten_2', keyId: 'key_1' })).toThrow(
      expect.objectContaining({ code: 'IPG_NOT_FOUND' }),
    );
    engine.close();
  });

  it('lets timers and signals run during a long load, and stops it on close', async () => {
    // Like SQLite, this store answers without leaving the microtask queue: a load of a large store
    // used to hold off every timer (and SIGTERM) until its end.
    const parts = 1_000_000;
    let handed = 0;
    const store = {
      currentVersion: async () => 1,
      rulesSince: async () => undefined,
      async loadRules(onChunk: (chunk: RulesChunk) => void | Promise<void>) {
        for (; handed < parts; handed++) await onChunk({ version: 1, tenants: [], apis: [], keys: [] });
        return 1;
      },
    };
    const { lines, logger } = recordingLogger();
    const engine = createSnapshotEngine({ store, logger });
    const closer = setTimeout(() => engine.close(), 10);
    await engine.start();
    clearTimeout(closer);
    expect(handed).toBeGreaterThan(0);
    expect(handed).toBeLessThan(parts);
    expect([engine.loaded, engine.status.source]).toEqual([false, 'none']);
    // Closing is not a store failure: nothing says the store is down or that no rules are served.
    expect(lines).toEqual(['info loading every rule from the store']);
  });
});
