/**
 * Entry usage end to end, over real HTTP: requests through two gateways ("nodes", each with its own
 * counter and flusher) sharing one store, then the management API's entry routes.
 */
import { socketPeer } from '@ipgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminApp } from '../admin/app.js';
import type { AdminApp } from '../admin/routes/context.js';
import { send, startEcho } from '../gateway/gateway.test-support.js';
import { type Gateway, startGateway } from '../gateway/start-gateway.js';
import { createSnapshotEngine, type SnapshotEngine } from '../snapshot/snapshot-engine.js';
import type { Store } from '../store/store.js';
import { storeFactories } from '../store/test-stores.test-support.js';
import { UsageCounter } from './usage-counter.js';
import { startUsageFlusher, type UsageFlusher } from './usage-flusher.js';

const actor = { actor: 'test' };
const recorder = { record() {} };

for (const factory of await storeFactories()) {
  describe.skipIf(factory.skip)(`entry usage through the gateway on ${factory.name}`, () => {
    let echo: Awaited<ReturnType<typeof startEcho>>;
    let store: Store;
    let engine: SnapshotEngine;
    let admin: AdminApp;
    let adminUrl: string;
    let token: string;
    const nodes: { gateway: Gateway; counter: UsageCounter; flusher: UsageFlusher }[] = [];
    const ids: Record<string, string> = {};
    let secret: string;

    const get = async (path: string) => {
      const res = await fetch(`${adminUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const call = (node: number, from: string) =>
      send(Number(new URL(nodes[node]?.gateway.url ?? '').port), {
        path: '/v1/x',
        from,
        headers: { authorization: `Bearer ${secret}` },
      });

    beforeAll(async () => {
      echo = await startEcho();
      store = await factory.open();
      const api = await store.createApi({ name: 'main', pathPrefix: '/v1', upstreamUrl: echo.url }, actor);
      ids['api'] = api.id;
      ids['apiWide'] = (await store.addApiAllowlistEntry(api.id, { value: '127.0.0.0/8' }, actor)).id;
      const tenant = await store.createTenant({ name: 'acme', ipMode: 'manual' }, actor);
      ids['tenant'] = tenant.id;
      // Overlapping entries: the /30 is more specific than the /8 for 127.0.0.2, so it alone counts.
      ids['wide'] = (
        await store.addTenantIpEntry(tenant.id, { value: '127.0.0.0/8', name: 'wide' }, actor)
      ).id;
      ids['narrow'] = (
        await store.addTenantIpEntry(tenant.id, { value: '127.0.0.0/30', name: 'narrow' }, actor)
      ).id;
      ids['unused'] = (
        await store.addTenantIpEntry(tenant.id, { value: '198.51.100.7', name: 'unused' }, actor)
      ).id;
      const created = await store.createKey(tenant.id, { name: 'ci', ipRestrictionEnabled: true }, actor);
      ids['key'] = created.key.id;
      secret = created.secret;
      ids['keyIp'] = (
        await store.addKeyIpEntry(tenant.id, created.key.id, { value: '127.0.0.0/29' }, actor)
      ).id;
      ids['keyUnused'] = (
        await store.addKeyIpEntry(tenant.id, created.key.id, { value: '192.0.2.1' }, actor)
      ).id;
      token = (await store.createToken({ name: 'ops', role: 'viewer' }, actor)).secret;

      engine = createSnapshotEngine({ store });
      await engine.refresh();
      for (let i = 0; i < 2; i++) {
        const counter = new UsageCounter();
        const gateway = await startGateway({
          engine,
          clientAddress: socketPeer(),
          recorder,
          usage: counter,
          host: '127.0.0.1',
          port: 0,
          upstreamTimeoutMs: 2000,
        });
        nodes.push({
          gateway,
          counter,
          flusher: startUsageFlusher({ counter, store, intervalMs: 3_600_000 }),
        });
      }
      admin = await buildAdminApp({ store, engine });
      await admin.listen({ host: '127.0.0.1', port: 0 });
      const address = admin.server.address();
      adminUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    });

    afterAll(async () => {
      for (const n of nodes) {
        await n.gateway.close();
        await n.flusher.close();
      }
      await admin?.close();
      engine?.close();
      await store?.close();
      await echo?.close();
    });

    it('counts the matched entry of every list, adds up both nodes, and shows it on GET', async () => {
      const before = Date.now();
      for (let i = 0; i < 3; i++) expect((await call(0, '127.0.0.2')).status).toBe(200);
      for (let i = 0; i < 2; i++) expect((await call(1, '127.0.0.2')).status).toBe(200);
      // Denied at the key stage (127.0.0.9 is outside the key's /29): the API and tenant entries
      // still let it through their stages and count; the key's entries do not.
      expect((await call(1, '127.0.0.9')).status).toBe(403);
      await Promise.all(nodes.map((n) => n.flusher.flush()));

      const entry = await get(`/v1/tenants/${ids['tenant']}/ip-restriction/entries/${ids['narrow']}`);
      expect(entry.status).toBe(200);
      const usage = entry.body['usage'] as { hits: number; lastMatchedAt: string };
      expect(usage.hits).toBe(5);
      expect(Date.parse(usage.lastMatchedAt)).toBeGreaterThanOrEqual(before - 1000);

      const list = await get(`/v1/tenants/${ids['tenant']}/ip-restriction/entries`);
      const byId = new Map(
        (list.body['items'] as { id: string; usage: unknown }[]).map((e) => [e.id, e.usage]),
      );
      // The wider entry counts only the address the narrow one does not cover.
      expect(byId.get(ids['wide'] as string)).toMatchObject({ hits: 1 });
      expect(byId.get(ids['unused'] as string)).toEqual({ hits: 0, lastMatchedAt: null });

      const api = await get(`/v1/apis/${ids['api']}/allowlist/entries/${ids['apiWide']}`);
      expect(api.body['usage']).toMatchObject({ hits: 6 });

      const keyIps = await get(`/v1/tenants/${ids['tenant']}/keys/${ids['key']}/restrictions/ips`);
      const keyUsage = new Map(
        (keyIps.body['items'] as { id: string; usage: unknown }[]).map((e) => [e.id, e.usage]),
      );
      expect(keyUsage.get(ids['keyIp'] as string)).toMatchObject({ hits: 5 });
      expect(keyUsage.get(ids['keyUnused'] as string)).toEqual({ hits: 0, lastMatchedAt: null });
    });

    it('lists entries not matched for N days', async () => {
      // Entries made just now are not stale after a day, matched or not.
      const fresh = await get(`/v1/tenants/${ids['tenant']}/ip-restriction/entries?notMatchedForDays=1`);
      expect(fresh.body['items']).toEqual([]);
      // A match long ago, written as another node's flush would: stale after 30 days.
      const old = new Date(Date.now() - 40 * 86_400_000);
      await store.recordEntryUsage([{ entryId: ids['keyUnused'] as string, hits: 1, lastMatchedAt: old }]);
      const keyStale = await get(
        `/v1/tenants/${ids['tenant']}/keys/${ids['key']}/restrictions/ips?notMatchedForDays=30`,
      );
      expect((keyStale.body['items'] as { id: string }[]).map((e) => e.id)).toEqual([ids['keyUnused']]);
      const bad = await get(`/v1/tenants/${ids['tenant']}/ip-restriction/entries?notMatchedForDays=0`);
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ error: { field: 'notMatchedForDays' } });
    });
  });
}
