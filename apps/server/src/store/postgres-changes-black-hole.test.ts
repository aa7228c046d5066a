import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { changeNotice, changeWatchName, watchPostgresChanges } from './postgres-changes.js';
import { POSTGRES_TEST_URL, storeFactories } from './test-stores.test-support.js';

const postgres = (await storeFactories()).find((f) => f.name === 'postgres');

/**
 * A relay whose open connections can fall into a black hole: nothing they send arrives, not even the
 * end of the connection (a firewall or NAT that forgot them, a failover without a reset). New
 * connections go through.
 */
async function blackHoleRelay() {
  const frozen = new Set<Socket>();
  const open = new Set<Socket>();
  const relay = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = createConnection({
      port: Number(new URL(POSTGRES_TEST_URL).port || 5432),
      host: '127.0.0.1',
      allowHalfOpen: true,
    });
    open.add(client).add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    const pass = (from: Socket, to: Socket): void => {
      from
        .on('data', (d) => frozen.has(from) || to.write(d))
        .on('end', () => frozen.has(from) || to.end())
        .on('error', end)
        .on('close', () => frozen.has(from) || end());
    };
    pass(client, upstream);
    pass(upstream, client);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const url = new URL(POSTGRES_TEST_URL);
  url.port = String((relay.address() as AddressInfo).port);
  return {
    url: url.toString(),
    /** The connections open now fall silent, both ways. */
    swallowOpen: () => {
      for (const s of open) frozen.add(s);
    },
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise((r) => relay.close(r));
    },
  };
}

describe.skipIf(postgres?.skip !== false)('a watch whose connection falls into a black hole', () => {
  it('gives the connection up after the LISTEN timeout and reconnects, without a reset from the path', async () => {
    const relay = await blackHoleRelay();
    const schema = `ipg_hole_${process.pid}`;
    let calls = 0;
    let listen: (() => Promise<void>) | undefined;
    const watch = watchPostgresChanges({ connectionString: relay.url, schema, listenTimeoutMs: 300 }, (l) => {
      calls++;
      listen = l;
    });
    const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    await admin.connect();
    const waitCalls = (n: number, timeout = 3000) =>
      vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(n), { timeout, interval: 10 });
    try {
      await waitCalls(1);
      await admin.query(`select pg_notify('ipgate_changes', $1)`, [changeNotice(schema, 1)]);
      await waitCalls(2); // deaf from here: UNLISTEN sent
      await vi.waitFor(
        async () => {
          const { rows } = await admin.query<{ query: string }>(
            'select query from pg_stat_activity where application_name = $1',
            [changeWatchName(schema)],
          );
          expect(rows.map((r) => r.query)).toEqual(['unlisten ipgate_changes']);
        },
        { timeout: 3000, interval: 10 },
      );
      relay.swallowOpen();
      await (listen as () => Promise<void>)(); // given up after 300 ms: the read goes on
      // Reconnected (through the relay, on a new connection) and resynced: the call after it.
      await waitCalls(3, 5000);
      await admin.query(`select pg_notify('ipgate_changes', $1)`, [changeNotice(schema, 2)]);
      await waitCalls(4);
    } finally {
      await admin.end();
      await watch.close();
      await relay.close();
    }
  });
});
