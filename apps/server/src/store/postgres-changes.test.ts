import { type AddressInfo, createConnection, createServer, Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSnapshotEngine } from '../snapshot/snapshot-engine.js';
import {
  changeNotice,
  changeWatchName,
  isChangeOf,
  WATCH_KEEPALIVE_DELAY_MS,
  watchPostgresChanges,
} from './postgres-changes.js';
import type { Store } from './store.js';
import { POSTGRES_TEST_URL, storeFactories } from './test-stores.test-support.js';

const postgres = (await storeFactories()).find((f) => f.name === 'postgres');

/** Resolves when `count()` reaches `n`, or rejects after `ms`. */
async function reaches(count: () => number, n: number, ms = 2000): Promise<number> {
  const started = performance.now();
  while (count() < n) {
    if (performance.now() - started > ms) throw new Error(`only ${count()} of ${n} calls after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - started;
}

/**
 * Resolves once the watch of `schema` has run `statement` (`listen`/`unlisten ipgate_changes`) to the
 * end, as its server process reports it: what a connection listens to cannot be asked from another.
 */
async function watchHasRun(admin: pg.Client, schema: string, statement: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const { rows } = await admin.query<{ state: string; query: string }>(
        'select state, query from pg_stat_activity where application_name = $1',
        [changeWatchName(schema)],
      );
      expect(rows).toEqual([{ state: 'idle', query: statement }]);
    },
    { timeout: 3000, interval: 10 },
  );
}

/**
 * The notices on the channel up to `barrier` (a payload of its own, sent after them): notices reach
 * a listener in the order they committed, so once the barrier is in every earlier one is too.
 */
async function noticesBefore(send: () => Promise<unknown>, barrier: string): Promise<string[]> {
  const listener = new pg.Client({ connectionString: POSTGRES_TEST_URL });
  await listener.connect();
  try {
    const seen: string[] = [];
    listener.on('notification', (n) => seen.push(n.payload ?? ''));
    await listener.query('listen ipgate_changes');
    await send();
    await listener.query(`select pg_notify('ipgate_changes', $1)`, [barrier]);
    await vi.waitFor(() => expect(seen).toContain(barrier), { timeout: 3000, interval: 10 });
    return seen.slice(0, seen.indexOf(barrier));
  } finally {
    await listener.end();
  }
}

describe('whose change a notice announces', () => {
  it("counts its own schema's notices and an older node's bare version, not another schema's", () => {
    expect(changeNotice('tenant_a', 42)).toBe('tenant_a:42');
    expect(isChangeOf('tenant_a', changeNotice('tenant_a', 42))).toBe(true);
    expect(isChangeOf('tenant_a', changeNotice('tenant_b', 42))).toBe(false);
    expect(isChangeOf('tenant_a', changeNotice('tenant_a_old', 42))).toBe(false);
    expect(isChangeOf('tenant_a', '42')).toBe(true);
    expect(isChangeOf('tenant_a', '')).toBe(true);
    expect(isChangeOf('tenant_a', undefined)).toBe(true);
  });
});

describe.skipIf(postgres?.skip !== false)('the watch connection keeps itself alive', () => {
  it('turns TCP keepalive on for its socket, so a silently dropped path ends and reconnects', async () => {
    // A dropped path cannot be made here without packet filtering (a userland relay's kernel answers
    // the probes), so this checks what pg hands the socket once connected.
    const setKeepAlive = vi.spyOn(Socket.prototype, 'setKeepAlive');
    let calls = 0;
    const watch = watchPostgresChanges(
      { connectionString: POSTGRES_TEST_URL, schema: 'keepalive_probe' },
      () => {
        calls++;
      },
    );
    try {
      await reaches(() => calls, 1);
      expect(setKeepAlive).toHaveBeenCalledWith(true, WATCH_KEEPALIVE_DELAY_MS);
    } finally {
      await watch.close();
      setKeepAlive.mockRestore();
    }
  });
});

describe.skipIf(postgres?.skip !== false)('PostgreSQL change notifications (watchChanges)', () => {
  let store: Store;
  let schema: string;
  let dispose: () => Promise<void>;
  let calls = 0;
  let watch: { close(): Promise<void> } | undefined;

  beforeAll(async () => {
    const factory = postgres as NonNullable<typeof postgres>;
    const created = await factory.createLocation();
    dispose = created.dispose;
    schema = (created.location as { schema: string }).schema;
    store = await factory.openAt(created.location);
    // As a node does: it listens again before each read (here, at once).
    watch = store.watchChanges?.((listen) => {
      calls++;
      void listen();
    });
  });

  afterAll(async () => {
    await watch?.close();
    await store?.close();
    await dispose?.();
  });

  it('calls once when it starts listening (a resync), then once per committed change', async () => {
    expect(watch).toBeDefined();
    await reaches(() => calls, 1);
    const before = calls;
    await store.createTenant({ name: 'Notified' }, { actor: 'test' });
    const ms = await reaches(() => calls, before + 1);
    expect(ms).toBeLessThan(1000);
  });

  it('does not announce a change that rolled back', async () => {
    const before = calls;
    const notices = await noticesBefore(async () => {
      await expect(store.getTenant('ten_missing')).rejects.toMatchObject({ code: 'IPG_NOT_FOUND' });
      await expect(
        store.addTenantIpEntry('ten_missing', { value: '192.0.2.1' }, { actor: 'test' }),
      ).rejects.toMatchObject({ code: 'IPG_NOT_FOUND' });
    }, `ipg_barrier_${process.pid}:0`);
    expect(notices.filter((n) => isChangeOf(schema, n))).toEqual([]);
    expect(calls).toBe(before);
  });

  it("ignores another schema's changes on the shared channel, and follows an older node's", async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    await admin.connect();
    // A watch of its own that stays deaf after a notice until told to listen (this one's resync).
    const own = `ipg_shared_${process.pid}`;
    let heard = 0;
    let listen: (() => Promise<void>) | undefined;
    const deafWatch = watchPostgresChanges({ connectionString: POSTGRES_TEST_URL, schema: own }, (l) => {
      heard++;
      listen = l;
    });
    try {
      await reaches(() => heard, 1);
      // Another schema's notice, then one without a schema (an earlier release's node: may be this
      // store's, so it counts), committed together: the server sends both before it reads the
      // watch's next statement, so the LISTEN below answers after the watch has handled both.
      await admin.query(`select pg_notify('ipgate_changes', $1), pg_notify('ipgate_changes', '8')`, [
        changeNotice('ipg_some_other_schema', 7),
      ]);
      await reaches(() => heard, 2);
      await (listen as () => Promise<void>)();
      expect(heard).toBe(2);
    } finally {
      await deafWatch.close();
      await admin.end();
    }
  });

  it('reconnects after losing its connection, and resyncs', async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    await admin.connect();
    try {
      const before = calls;
      // Cut the watch's session.
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`,
        [changeWatchName(schema)],
      );
      // The reconnection's resync call, then notifications again.
      await reaches(() => calls, before + 1, 5000);
      const again = calls;
      await store.createTenant({ name: 'After reconnect' }, { actor: 'test' });
      await reaches(() => calls, again + 1, 2000);
    } finally {
      await admin.end();
    }
  });
});

describe.skipIf(postgres?.skip !== false)('a watch deaf between a notice and the next read', () => {
  it('stops listening after a notice, until the caller listens again', async () => {
    const factory = postgres as NonNullable<typeof postgres>;
    const { location, dispose } = await factory.createLocation();
    const { schema } = location as { schema: string };
    const store = await factory.openAt(location);
    const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    await admin.connect();
    let calls = 0;
    let listen: (() => Promise<void>) | undefined;
    const watch = store.watchChanges?.((l) => {
      calls++;
      listen = l;
    });
    try {
      await reaches(() => calls, 1); // listening: the resync call
      await store.createTenant({ name: 'First' }, { actor: 'test' });
      await reaches(() => calls, 2);
      // Once its UNLISTEN has gone through, a storm's further changes wake nobody.
      await watchHasRun(admin, schema, 'unlisten ipgate_changes');
      for (let i = 0; i < 3; i++) await store.createTenant({ name: `Unheard ${i}` }, { actor: 'test' });
      await watchHasRun(admin, schema, 'unlisten ipgate_changes'); // and nothing listened meanwhile
      await (listen as () => Promise<void>)();
      expect(calls).toBe(2);
      await store.createTenant({ name: 'Heard again' }, { actor: 'test' });
      await reaches(() => calls, 3);
    } finally {
      await watch?.close();
      await admin.end();
      await store.close();
      await dispose();
    }
  });
});

describe.skipIf(postgres?.skip !== false)('a node following the watch alone (no polling)', () => {
  it('applies every change, whenever in the notice-listen-read cycle it commits', async () => {
    const factory = postgres as NonNullable<typeof postgres>;
    const { location, dispose } = await factory.createLocation();
    const writer = await factory.openAt(location);
    const reader = await factory.openAt(location);
    const created: string[] = [];
    const writes: Promise<void>[] = [];
    const write = (): void => {
      writes.push(
        writer.createTenant({ name: `t${created.length}` }, { actor: 'test' }).then((t) => {
          created.push(t.id);
        }),
      );
    };
    /** Where in the cycle the next extra change commits; cleared when it has. */
    let at: 'deaf' | 'listening' | 'read' | undefined;
    const engine = createSnapshotEngine({
      store: {
        currentVersion: () => reader.currentVersion(),
        loadRules: (onChunk) => reader.loadRules(onChunk),
        async rulesSince(version, options) {
          const delta = await reader.rulesSince(version, options);
          // Committed after the read's snapshot: announced, since the watch listened before it.
          if (at === 'read') {
            at = undefined;
            write();
          }
          return delta;
        },
      },
      coalesceMs: 30,
    });
    await engine.refresh();
    const watch = reader.watchChanges?.((listen) => {
      // Committed while the watch is deaf: the coming read sees it.
      if (at === 'deaf') {
        at = undefined;
        write();
      }
      engine.refreshSoon(async () => {
        // Committed while LISTEN is going through: either the read sees it or it is announced.
        if (at === 'listening') {
          at = undefined;
          write();
          await Promise.all([writes[writes.length - 1], listen()]);
        } else await listen();
      });
    });
    const caughtUp = async (): Promise<void> => {
      await Promise.all(writes);
      const version = await writer.currentVersion();
      await vi.waitFor(() => expect(engine.version).toBe(version), { timeout: 3000, interval: 10 });
    };
    try {
      await vi.waitFor(() => expect(watch).toBeDefined());
      for (let round = 0; round < 12; round++) {
        at = (['deaf', 'listening', 'read'] as const)[round % 3];
        write();
        await vi.waitFor(() => expect(at).toBeUndefined(), { timeout: 3000, interval: 5 });
        await caughtUp();
      }
      // A storm: changes at random moments of the cycle.
      for (let i = 0; i < 60; i++) {
        write();
        await new Promise((r) => setTimeout(r, Math.random() * 15));
      }
      await caughtUp();
      for (const id of created) expect(engine.current.tenants.has(id), id).toBe(true);
      expect(created).toHaveLength(12 * 2 + 60);
    } finally {
      engine.close();
      await watch?.close();
      await reader.close();
      await writer.close();
      await dispose();
    }
  });
});

describe.skipIf(postgres?.skip !== false)('a watch whose connection stops answering', () => {
  it('does not hold the read up: listen gives the connection up, and the reconnection resyncs', async () => {
    // A relay that can stop forwarding (a hung network path, not a reset): what it gets is dropped.
    let frozen = false;
    const sockets = new Set<Socket>();
    const relay = createServer((client) => {
      const upstream = createConnection(Number(new URL(POSTGRES_TEST_URL).port || 5432), '127.0.0.1');
      sockets.add(client).add(upstream);
      const end = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client
        .on('data', (d) => frozen || upstream.write(d))
        .on('error', end)
        .on('close', end);
      upstream
        .on('data', (d) => frozen || client.write(d))
        .on('error', end)
        .on('close', end);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const url = new URL(POSTGRES_TEST_URL);
    url.port = String((relay.address() as AddressInfo).port);
    const schema = `ipg_hung_${process.pid}`;
    let calls = 0;
    let listen: (() => Promise<void>) | undefined;
    const watch = watchPostgresChanges(
      { connectionString: url.toString(), schema, listenTimeoutMs: 300 },
      (l) => {
        calls++;
        listen = l;
      },
    );
    const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    await admin.connect();
    try {
      await reaches(() => calls, 1);
      await admin.query(`select pg_notify('ipgate_changes', $1)`, [changeNotice(schema, 1)]);
      await reaches(() => calls, 2); // deaf from here
      await watchHasRun(admin, schema, 'unlisten ipgate_changes');
      frozen = true;
      const started = performance.now();
      await (listen as () => Promise<void>)();
      expect(performance.now() - started).toBeLessThan(2000);
      frozen = false;
      for (const s of sockets) s.destroy(); // what a dead path comes to in the end
      await reaches(() => calls, 3, 5000); // reconnected: the resync
      await admin.query(`select pg_notify('ipgate_changes', $1)`, [changeNotice(schema, 2)]);
      await reaches(() => calls, 4);
    } finally {
      await admin.end();
      await watch.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => relay.close(r));
    }
  });
});
