import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, eventually, startDemoServer } from './demo-server.test-support.js';
import { storeFactories } from './store/test-stores.test-support.js';

/**
 * A list import over a whole server: its dry run judges recorded traffic and writes nothing, and the
 * applied import is in force at the gateway at once, as one change.
 */
for (const factory of await storeFactories()) {
  describe.skipIf(factory.skip)(`list import through a running server on ${factory.name}`, () => {
    let demo: DemoServer;
    const list = () => `/v1/tenants/${demo.tenantId}/ip-restriction/entries`;
    const hello = () => `${demo.server.gatewayUrl}/hello`;

    beforeAll(async () => {
      demo = await startDemoServer(factory);
      for (let i = 0; i < 3; i++) await demo.call(hello(), { from: '127.0.0.2', headers: demo.key });
      await eventually(async () => {
        const r = await demo.admin('GET', `/v1/tenants/${demo.tenantId}/requests?limit=10`);
        return (r.json as { items: unknown[] }).items.length === 3 ? true : undefined;
      });
    });
    afterAll(async () => {
      await demo?.close();
    });

    it('a dry run answers the impact on recorded traffic and writes nothing', async () => {
      const exported = await demo.admin('GET', `${list()}/export?format=csv`);
      const body = { format: 'text', content: '127.0.0.2 second\n', dryRun: true };
      const dry = await demo.admin('POST', `${list()}/import`, body);
      expect(dry.status).toBe(200);
      expect(dry.json).toMatchObject({
        dryRun: true,
        impact: { deniedToAllowed: { requests: 3, addresses: 1 } },
      });
      const preview = await demo.admin('POST', `${list()}/import`, { ...body, preview: true });
      expect(preview.json).toMatchObject({
        preview: true,
        summary: { add: 1 },
        impact: { deniedToAllowed: { requests: 3 } },
      });
      expect((await demo.admin('GET', `${list()}/export?format=csv`)).json).toEqual(exported.json);
      expect((await demo.call(hello(), { from: '127.0.0.2', headers: demo.key })).status).toBe(403);
    });

    it('an applied import is in force at the gateway as soon as it answers', async () => {
      const r = await demo.admin('POST', `${list()}/import`, {
        content: '127.0.0.2 second\n127.0.0.3 third\n',
      });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ preview: false, summary: { add: 2 } });
      expect((await demo.call(hello(), { from: '127.0.0.2', headers: demo.key })).status).toBe(200);
      expect((await demo.call(hello(), { from: '127.0.0.3', headers: demo.key })).status).toBe(200);
    });
  });
}
