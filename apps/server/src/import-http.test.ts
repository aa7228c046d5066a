import { readFileSync } from 'node:fs';
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
      // A whole server with its recorder; on a loaded machine that takes a while.
    }, 60_000);
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

    it('the example files of docs/operations.md import as the page says', async () => {
      const doc = (name: string) => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');
      const api = await demo.admin('POST', '/v1/apis', {
        name: 'docs example',
        pathPrefix: '/docs-example',
        upstreamUrl: 'http://127.0.0.1:9',
      });
      const url = `/v1/apis/${(api.json as { id: string }).id}/allowlist/entries`;
      // The loopback admin caller is not on the new list, and an empty allowlist allows everyone.
      const text = { format: 'text', content: doc('import-offices.txt'), confirmLockout: true };
      const preview = await demo.admin('POST', `${url}/import`, { ...text, preview: true });
      expect(preview.json).toMatchObject({
        summary: { add: 3, update: 0, unchanged: 0, remove: 0, invalid: 0 },
        problems: [],
      });
      const lines = (preview.json as { lines: { line: number; canonical: string }[] }).lines;
      expect(lines.map((l) => [l.line, l.canonical])).toEqual([
        [2, '203.0.113.0/24'],
        [3, '198.51.100.0/24'],
        [4, '192.0.2.10-192.0.2.20'],
      ]);
      const applied = await demo.admin('POST', `${url}/import`, text);
      expect(applied.json).toMatchObject({ preview: false, summary: { add: 3 }, count: 3 });

      const csv = { format: 'csv', content: doc('import-offices.csv'), confirmLockout: true };
      const second = await demo.admin('POST', `${url}/import`, { ...csv, preview: true });
      expect(second.json).toMatchObject({
        summary: { add: 0, update: 1, unchanged: 1, invalid: 0 },
        problems: [],
      });
      const update = (second.json as { lines: { action: string; changes: string[] }[] }).lines[1];
      expect(update).toMatchObject({ action: 'update', changes: ['value', 'name', 'enabled', 'expiresAt'] });
      expect((await demo.admin('POST', `${url}/import`, csv)).status).toBe(200);
      const exported = await demo.admin('GET', `${url}/export?format=csv`);
      expect((exported.json as { content: string }).content).toBe(
        'value,name,expiresAt,enabled\n' +
          '192.0.2.10 - 192.0.2.20,branch office,,true\n' +
          '198.51.100.0/24,"partner VPN, until the move",2099-01-01T00:00:00.000Z,false\n' +
          '203.0.113.0/24,head office,,true\n',
      );
    });
  });
}
