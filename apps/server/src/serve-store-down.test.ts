import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from './config/load-settings.js';
import { type RunningServer, startServer } from './serve.js';
import { readLastGood, readLastGoodHeader } from './snapshot/last-good-read.js';
import { openPostgresStore } from './store/postgres.js';
import type { Store } from './store/store.js';
import { startTcpRelay, type TcpRelay } from './store/tcp-relay.test-support.js';
import {
  freshPostgresDatabase,
  POSTGRES_TEST_URL,
  storeFactories,
} from './store/test-stores.test-support.js';

/**
 * Nodes on a real PostgreSQL reached through a TCP relay the test cuts and restores
 * (docs/architecture/storage.md#last-good-rules-on-disk, docs/operations.md#when-the-store-is-down): a
 * node started while the store is cut serves its last good copy (or, with none, refuses everything),
 * a node that loses the store keeps enforcing and buffers its records, and both catch up and flush
 * when it comes back. The enforced rules and the recorded requests are checked at every step.
 */
const postgres = (await storeFactories()).find((f) => f.name === 'postgres');
const ACTOR = { actor: 'user:test' };
const io = { out: () => {}, flush: async () => {} };

/** Status of a request from `from` (a loopback address) with the key. */
async function call(url: string, from: string, secret: string): Promise<number> {
  const dispatcher = new Agent({ localAddress: from });
  try {
    const r = await request(url, { headers: { authorization: `Bearer ${secret}` }, dispatcher });
    await r.body.dump();
    return r.statusCode;
  } finally {
    await dispatcher.close();
  }
}

async function readyz(node: RunningServer): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await request(`${node.adminUrl}/readyz`);
  return { status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> };
}

/** The value of one series of the node's /metrics, e.g. `ipgate_rules_source{source="none"}`. */
async function metric(node: RunningServer, series: string): Promise<number | undefined> {
  const text = await (await request(`${node.adminUrl}/metrics`)).body.text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function until<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T;
  for (;;) {
    last = await probe();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Paths of the requests the store's log holds, oldest first. */
async function loggedPaths(store: Store): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRequests({}, { limit: 500, ...(cursor === undefined ? {} : { cursor }) });
    out.push(...page.items.map((r) => r.path));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out.reverse();
}

describe.skipIf(postgres?.skip !== false)(
  'nodes whose PostgreSQL goes away (through a cut TCP relay)',
  () => {
    let dropSchema: (() => Promise<void>) | undefined;
    const dirs: string[] = [];
    const running = new Set<RunningServer>();
    let relay: TcpRelay;
    let upstream: Server;
    let upstreamUrl: string;
    /** A direct connection, not through the relay: the store itself stays up, only the nodes lose it. */
    let store: Store;
    let tenantId: string;
    let secret: string;
    let databaseUrl: string;

    beforeAll(async () => {
      const db = await freshPostgresDatabase('ipgate_down');
      dropSchema = db.drop;
      store = await openPostgresStore({ connectionString: POSTGRES_TEST_URL, schema: db.schema });
      const target = new URL(POSTGRES_TEST_URL);
      relay = await startTcpRelay({ host: target.hostname, port: Number(target.port || 5432) });
      // The same database and schema, reached through the relay.
      const relayed = new URL(db.databaseUrl);
      relayed.hostname = '127.0.0.1';
      relayed.port = String(relay.port);
      databaseUrl = relayed.toString();
      upstream = createServer((_req, res) => res.end('ok'));
      await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
      const address = upstream.address();
      upstreamUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;

      const tenant = await store.createTenant({ name: 'Acme' }, ACTOR);
      tenantId = tenant.id;
      await store.addTenantIpEntry(tenantId, { value: '127.0.0.1', name: 'one' }, ACTOR);
      await store.createApi({ name: 'api', upstreamUrl }, ACTOR);
      secret = (await store.createKey(tenantId, { name: 'ci' }, ACTOR)).secret;
    });

    afterAll(async () => {
      for (const node of running) await node.close();
      await relay?.close();
      await store?.close();
      await new Promise<void>((r) => (upstream === undefined ? r() : upstream.close(() => r())));
      await dropSchema?.();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    function dataDir(): string {
      const d = mkdtempSync(join(tmpdir(), 'ipgate-down-'));
      dirs.push(d);
      return d;
    }

    async function start(dir: string, extra: Record<string, string> = {}): Promise<RunningServer> {
      const node = await startServer(
        loadSettings({
          flags: {
            listen: '127.0.0.1:0',
            adminListen: '127.0.0.1:0',
            databaseUrl,
            dataDir: dir,
            logLevel: 'silent',
            syncIntervalMs: '100ms',
            lastGoodWriteDelayMs: '50ms',
            ...extra,
          },
        }),
        io,
      );
      running.add(node);
      return node;
    }

    async function stop(node: RunningServer): Promise<void> {
      await node.close();
      running.delete(node);
    }

    /**
     * Waits until the node's copy on disk holds the store's current version: its base and journal
     * read back (an added entry is a small journal record, the base keeps its older version).
     */
    async function copyCaughtUp(dir: string): Promise<number> {
      const version = await store.currentVersion();
      const path = join(dir, 'last-good-rules');
      return until(
        'the last good copy',
        () =>
          readLastGoodHeader(path)
            .then(({ storeLocation }) => readLastGood(path, { storeLocation }, () => {}))
            .then(
              (copy) => copy.version,
              () => -1,
            ),
        (v) => v === version,
      );
    }

    const allow = (node: RunningServer, from: string, path = '/x') =>
      call(`${node.gatewayUrl}${path}`, from, secret);

    it('one node: starts on its copy while cut, keeps enforcing when the store goes mid-run, catches up and flushes', async () => {
      const dir = dataDir();
      // 1. Store up: the node loads, enforces, and writes its copy.
      let node = await start(dir);
      expect(await allow(node, '127.0.0.1')).toBe(200);
      expect(await allow(node, '127.0.0.2')).toBe(403);
      await store.addTenantIpEntry(tenantId, { value: '127.0.0.2', name: 'two' }, ACTOR);
      await until(
        'node enforces the new entry',
        () => allow(node, '127.0.0.2'),
        (s) => s === 200,
      );
      await copyCaughtUp(dir);
      await stop(node);

      // 2. The store is cut before the node starts: it serves its copy, and says so.
      await relay.cut();
      node = await start(dir);
      expect(await allow(node, '127.0.0.1', '/cut-start')).toBe(200);
      expect(await allow(node, '127.0.0.2', '/cut-start')).toBe(200);
      expect(await allow(node, '127.0.0.3', '/cut-start')).toBe(403);
      const ready = await readyz(node);
      expect(ready.status).toBe(503);
      expect(ready.body['rules']).toMatchObject({ source: 'last-good-copy' });
      expect((ready.body['error'] as { message: string }).message).toMatch(
        /serving the last good rules from disk/,
      );
      expect(await metric(node, 'ipgate_rules_source{source="last-good-copy"}')).toBe(1);
      expect(await metric(node, 'ipgate_rules_age_seconds')).toBeGreaterThan(0);
      expect(await metric(node, 'ipgate_records_buffered')).toBeGreaterThanOrEqual(3);
      // A change made meanwhile cannot reach the node.
      await store.addTenantIpEntry(tenantId, { value: '127.0.0.3', name: 'three' }, ACTOR);
      await new Promise((r) => setTimeout(r, 300));
      expect(await allow(node, '127.0.0.3', '/cut-start')).toBe(403);

      // 3. Restored: the node catches up (the change made meanwhile), is ready, and writes its records.
      await relay.restore();
      await until(
        'ready again',
        () => readyz(node).then((r) => r.status),
        (s) => s === 200,
      );
      expect((await readyz(node)).body['rules']).toMatchObject({ source: 'store' });
      expect(await allow(node, '127.0.0.3', '/after-restore')).toBe(200);
      await until(
        'records of the cut start written',
        () => loggedPaths(store),
        (p) => p.filter((x) => x === '/cut-start').length === 4,
      );
      await copyCaughtUp(dir);

      // 4. The store goes away mid-run: the node keeps its rules and records into its buffer.
      await relay.cut();
      expect(await allow(node, '127.0.0.3', '/mid-run')).toBe(200);
      expect(await allow(node, '127.0.0.4', '/mid-run')).toBe(403);
      await until(
        'not ready',
        () => readyz(node).then((r) => r.status),
        (s) => s === 503,
      );
      expect((await readyz(node)).body['rules']).toMatchObject({ source: 'store' });
      await store.removeTenantIpEntry(
        tenantId,
        (await store.listTenantIpEntries(tenantId)).find((e) => e.value === '127.0.0.3')?.id ?? '',
        ACTOR,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(await allow(node, '127.0.0.3', '/mid-run')).toBe(200);

      // 5. Back: the removal is enforced, and the requests made meanwhile are in the log.
      await relay.restore();
      await until(
        'removal enforced',
        () => allow(node, '127.0.0.3', '/after-mid-run'),
        (s) => s === 403,
      );
      await until(
        'records of the outage written',
        () => loggedPaths(store),
        (p) => p.filter((x) => x === '/mid-run').length === 3,
      );
      expect(await metric(node, 'ipgate_records_dropped_total')).toBe(0);
      await stop(node);
    });

    it('one node with no copy: while cut it refuses every request and says why; it serves once the store is back', async () => {
      await relay.cut();
      const node = await start(dataDir());
      expect(await allow(node, '127.0.0.1')).toBe(503);
      const ready = await readyz(node);
      expect(ready.status).toBe(503);
      expect(ready.body['rules']).toMatchObject({ source: 'none', ageSeconds: null });
      expect((ready.body['rules'] as { copyRefused: string }).copyRefused).toMatch(/^missing: /);
      expect(await metric(node, 'ipgate_rules_source{source="none"}')).toBe(1);
      await relay.restore();
      await until(
        'serving',
        () => allow(node, '127.0.0.1'),
        (s) => s === 200,
      );
      expect(await allow(node, '127.0.0.9')).toBe(403);
      await stop(node);
    });

    it('a full record buffer drops the oldest, counts them, and never holds a request up', async () => {
      const node = await start(dataDir(), { recordBuffer: '100' });
      expect(await allow(node, '127.0.0.1', '/warm')).toBe(200);
      await until(
        'warm-up written',
        () => loggedPaths(store),
        (p) => p.includes('/warm'),
      );
      await relay.cut();
      const statuses: number[] = [];
      for (let i = 0; i < 130; i++) statuses.push(await allow(node, '127.0.0.1', `/burst-${i}`));
      expect(statuses.every((s) => s === 200)).toBe(true);
      await until(
        'drops counted',
        () => metric(node, 'ipgate_records_dropped_total'),
        (d) => (d ?? 0) >= 30,
      );
      await relay.restore();
      const paths = await until(
        'buffer flushed',
        () => loggedPaths(store),
        (p) => p.filter((x) => x.startsWith('/burst-')).length >= 100,
      );
      const burst = paths.filter((x) => x.startsWith('/burst-'));
      // The newest hundred were kept.
      expect(burst).toHaveLength(100);
      expect(burst).toContain('/burst-129');
      expect(burst).not.toContain('/burst-0');
      await stop(node);
    });

    it('two nodes: both start on their copies while cut, enforce the same rules, and catch up and flush together', async () => {
      const dirA = dataDir();
      const dirB = dataDir();
      let a = await start(dirA);
      let b = await start(dirB);
      await store.addTenantIpEntry(tenantId, { value: '127.0.0.5', name: 'five' }, ACTOR);
      for (const node of [a, b])
        await until(
          'enforced',
          () => allow(node, '127.0.0.5'),
          (s) => s === 200,
        );
      await copyCaughtUp(dirA);
      await copyCaughtUp(dirB);
      await stop(a);
      await stop(b);

      await relay.cut();
      a = await start(dirA);
      b = await start(dirB);
      for (const node of [a, b]) {
        expect((await readyz(node)).body['rules']).toMatchObject({ source: 'last-good-copy' });
        expect(await allow(node, '127.0.0.5', '/two-cut')).toBe(200);
        expect(await allow(node, '127.0.0.6', '/two-cut')).toBe(403);
      }
      await store.addTenantIpEntry(tenantId, { value: '127.0.0.6', name: 'six' }, ACTOR);

      await relay.restore();
      for (const node of [a, b]) {
        await until(
          'ready',
          () => readyz(node).then((r) => r.status),
          (s) => s === 200,
        );
        await until(
          'caught up',
          () => allow(node, '127.0.0.6', '/two-after'),
          (s) => s === 200,
        );
      }
      await until(
        'both nodes flushed',
        () => loggedPaths(store),
        (p) => p.filter((x) => x === '/two-cut').length === 4,
      );
      await stop(a);
      await stop(b);
    });
  },
);
