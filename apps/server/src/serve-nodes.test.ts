import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from './config/load-settings.js';
import { type RunningServer, startServer } from './serve.js';
import { freshPostgresDatabase, storeFactories } from './store/test-stores.test-support.js';

/**
 * Two gateway nodes on one PostgreSQL database
 * (docs/architecture/storage.md#how-a-change-reaches-the-request-path): a change made through one node's
 * management API is enforced by the other within one second, without restarting anything.
 */
const postgres = (await storeFactories()).find((f) => f.name === 'postgres');

async function call(url: string, from: string, headers: Record<string, string>) {
  const dispatcher = new Agent({ localAddress: from });
  try {
    const r = await request(url, { headers, dispatcher });
    await r.body.dump();
    return r.statusCode;
  } finally {
    await dispatcher.close();
  }
}

// 250 ms: the default, where polling alone would meet the second; 60 s: polling effectively off, so
// only PostgreSQL's NOTIFY can bring the change to node B in time.
for (const syncInterval of ['250ms', '60s'])
  describe.skipIf(postgres?.skip !== false)(
    `two nodes sharing PostgreSQL (sync interval ${syncInterval})`,
    () => {
      let dropSchema: (() => Promise<void>) | undefined;
      let a: RunningServer;
      let b: RunningServer;

      beforeAll(async () => {
        // The schema travels in the connection string, as an operator would put it in DATABASE_URL.
        const { databaseUrl, drop } = await freshPostgresDatabase('ipgate_nodes');
        dropSchema = drop;
        const flags = {
          listen: '127.0.0.1:0',
          adminListen: '127.0.0.1:0',
          databaseUrl,
          logLevel: 'silent',
          syncIntervalMs: syncInterval,
          // One process: rulesVersion() reads this process's engine, which is the gateway's only then.
          workers: '1',
        } as const;
        const io = { out: () => {}, flush: async () => {} };
        a = await startServer(loadSettings({ flags: { ...flags, demo: true, demoUpstreamPort: '0' } }), io);
        b = await startServer(loadSettings({ flags }), io);
      });

      afterAll(async () => {
        await b?.close();
        await a?.close();
        await dropSchema?.();
      });

      it('the second node starts from the rules the first one wrote, and makes no second owner token', async () => {
        expect(a.ownerToken).toBeTruthy();
        expect(b.ownerToken).toBeUndefined();
        const key = { authorization: `Bearer ${a.demoKeySecret}` };
        expect(await call(`${b.gatewayUrl}/hello`, '127.0.0.1', key)).toBe(200);
        expect(await call(`${b.gatewayUrl}/hello`, '127.0.0.2', key)).toBe(403);
      });

      it('an entry added through node A is enforced by node B within one second', async () => {
        const owner = { authorization: `Bearer ${a.ownerToken}`, 'content-type': 'application/json' };
        const tenants = await request(`${a.adminUrl}/v1/tenants`, { headers: owner });
        const tenantId = ((await tenants.body.json()) as { items: { id: string }[] }).items[0]?.id;
        // When node B's rules reach each version, read in-process every few milliseconds from before
        // the write on: the change's own propagation, with no request's round trip in the measure (on
        // a loaded machine one proxied request can take longer than the propagation itself).
        const before = b.rulesVersion();
        const seenOnB: { version: number; at: number }[] = [];
        let watching = true;
        const watch = (async () => {
          while (watching) {
            const version = b.rulesVersion();
            if (version !== seenOnB.at(-1)?.version) seenOnB.push({ version, at: performance.now() });
            await new Promise((r) => setTimeout(r, 5));
          }
        })();
        const sent = performance.now();
        const added = await request(`${a.adminUrl}/v1/tenants/${tenantId}/ip-restriction/entries`, {
          method: 'POST',
          headers: owner,
          body: JSON.stringify({ value: '127.0.0.2', name: 'second loopback' }),
        });
        expect(added.statusCode).toBe(201);
        await added.body.dump();
        const committed = performance.now();

        const key = { authorization: `Bearer ${a.demoKeySecret}` };
        // Node A made the change: its very next request sees it.
        expect(await call(`${a.gatewayUrl}/hello`, '127.0.0.2', key)).toBe(200);
        // Node B learns of it from the store, within one second of the commit: the first moment its
        // rules were at least as new as node A's right after the write.
        const target = a.rulesVersion();
        expect(target).toBeGreaterThan(before);
        const deadline = committed + 3000;
        while (!seenOnB.some((s) => s.version >= target) && performance.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        watching = false;
        await watch;
        const reached = seenOnB.find((s) => s.version >= target)?.at ?? Number.POSITIVE_INFINITY;
        // From node A's answer, as the acceptance counts it: the commit lies between the write's sending
        // and that answer, so node B may have the change before the answer reaches the test (< 0).
        const elapsed = reached - committed;
        console.log(
          `node B enforced the change ${elapsed.toFixed(0)} ms after node A's answer, ${(reached - sent).toFixed(0)} ms after the write was sent (sync interval ${syncInterval})`,
        );
        expect(elapsed).toBeLessThan(1000);
        // And what it enforces now lets the address in.
        expect(await call(`${b.gatewayUrl}/hello`, '127.0.0.2', key)).toBe(200);
      });
    },
  );
