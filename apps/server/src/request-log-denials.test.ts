import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, eventually, startDemoServer } from './demo-server.test-support.js';
import { storeFactories } from './store/test-stores.test-support.js';

/**
 * `--request-log=denials` end to end over real HTTP on both stores
 * (docs/architecture/storage.md#counted-requests): a denial is a record the admin API finds by its
 * id; an allowed request is no record, and is counted once.
 */
for (const factory of await storeFactories()) {
  describe.skipIf(factory.skip)(`the request log keeping denials on ${factory.name}`, () => {
    let demo: DemoServer;
    const hello = () => `${demo.server.gatewayUrl}/hello`;

    beforeAll(async () => {
      demo = await startDemoServer(factory, { requestLog: 'denials' });
    });
    afterAll(async () => {
      await demo?.close();
    });

    it('logs denials by id and counts allowed requests, in one minute row per group', async () => {
      const allowed = 5;
      for (let i = 0; i < allowed; i++) {
        expect((await demo.call(hello(), { from: '127.0.0.1', headers: demo.key })).status).toBe(200);
      }
      // The demo tenant lists this machine's 127.0.0.1 only.
      const denied = await demo.call(hello(), { from: '127.0.0.2', headers: demo.key });
      expect(denied.status).toBe(403);
      const deniedId = (denied.json as { requestId: string }).requestId;
      const one = await eventually(async () => {
        const r = await demo.admin('GET', `/v1/tenants/${demo.tenantId}/requests/${deniedId}`);
        return r.status === 200 ? (r.json as { decision: string; client: string }) : undefined;
      });
      expect(one).toMatchObject({ decision: 'deny', client: '127.0.0.2' });
      const store = await demo.openStore();
      try {
        const counts = await eventually(async () => {
          const page = await store.listRequestCounts({ tenantId: demo.tenantId });
          const total = page.items.reduce((n, c) => n + c.count, 0);
          return total >= allowed ? page.items : undefined;
        });
        expect(counts.reduce((n, c) => n + c.count, 0)).toBe(allowed);
        expect(counts[0]).toMatchObject({ client: '127.0.0.1', status: 200, apiId: demo.apiId });
        const logged = await demo.admin('GET', `/v1/tenants/${demo.tenantId}/requests`);
        const items = (logged.json as { items: { decision: string }[] }).items;
        expect(items.map((r) => r.decision)).toEqual(['deny']);
      } finally {
        await store.close();
      }
    });
  });
}
