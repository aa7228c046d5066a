import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, eventually, startDemoServer } from './demo-server.test-support.js';
import { storeFactories } from './store/test-stores.test-support.js';

/**
 * Report-only (docs/architecture/pipeline.md#report-only) end to end, over real HTTP on both stores:
 * a tenant or an API with `enforce: false` lets denied requests through the gateway and the decision
 * endpoint, and the request log and the metrics show them as would-deny.
 */
interface LoggedRequest {
  requestId: string;
  decision: string;
  stage: string | null;
  reason: string | null;
  client: string | null;
  status: number;
  origin: string | null;
}

for (const factory of await storeFactories()) {
  describe.skipIf(factory.skip)(`report-only on ${factory.name}`, () => {
    let demo: DemoServer;
    const hello = () => `${demo.server.gatewayUrl}/hello`;

    beforeAll(async () => {
      // 127.0.0.1 is the proxy that may ask the decision endpoint; everyone else is a direct client.
      demo = await startDemoServer(factory, { trustProxy: '127.0.0.1' });
    });
    afterAll(async () => {
      await demo?.close();
    });

    async function logged(query: string): Promise<LoggedRequest[]> {
      const r = await demo.admin('GET', `/v1/tenants/${demo.tenantId}/requests?${query}`);
      expect(r.status).toBe(200);
      return (r.json as { items: LoggedRequest[] }).items;
    }

    it('enforce: false on the tenant lets an unlisted address through, logged and counted as would-deny', async () => {
      // Enforcing: the demo tenant lists only 127.0.0.1.
      expect((await demo.call(hello(), { from: '127.0.0.2', headers: demo.key })).status).toBe(403);

      const patched = await demo.admin('PATCH', `/v1/tenants/${demo.tenantId}/ip-restriction`, {
        enforce: false,
      });
      expect(patched.status).toBe(200);
      expect(patched.json).toMatchObject({ enforce: false, mode: 'manual' });
      const tenant = await demo.admin('GET', `/v1/tenants/${demo.tenantId}`);
      expect(tenant.json).toMatchObject({ enforce: false });

      const passed = await demo.call(hello(), {
        from: '127.0.0.3',
        headers: { ...demo.key, origin: 'https://app.example.com' },
      });
      expect(passed.status).toBe(200);
      // A listed address is plainly allowed.
      expect((await demo.call(hello(), { from: '127.0.0.1', headers: demo.key })).status).toBe(200);

      const wouldDeny = await eventually(async () => {
        const items = await logged('decision=would-deny');
        return items.length > 0 ? items : undefined;
      });
      expect(wouldDeny).toHaveLength(1);
      expect(wouldDeny[0]).toMatchObject({
        decision: 'would-deny',
        stage: 'tenant-restriction',
        reason: 'tenant-ip-not-listed',
        client: '127.0.0.3',
        status: 200,
        origin: 'https://app.example.com',
      });
      const allowed = await eventually(async () => {
        const items = await logged('decision=allow');
        return items.length > 0 ? items : undefined;
      });
      expect(allowed.map((r) => r.client)).toEqual(['127.0.0.1']);
      expect((await logged('decision=deny')).map((r) => r.client)).toContain('127.0.0.2');

      const metrics = await demo.call(`${demo.server.adminUrl}/metrics`);
      expect(metrics.text).toMatch(
        /ipgate_gateway_requests_total\{decision="would-deny",stage="tenant-restriction",reason="tenant-ip-not-listed"\} 1/,
      );

      // The unlisted address is still offered for review.
      const observed = await demo.admin('GET', `/v1/tenants/${demo.tenantId}/observed-ips?status=pending`);
      expect((observed.json as { items: { address: string }[] }).items.map((o) => o.address)).toContain(
        '127.0.0.3',
      );

      // The switch is audited.
      const audit = await demo.admin('GET', `/v1/tenants/${demo.tenantId}/audit-events`);
      const event = (audit.json as { items: { action: string; before: unknown; after: unknown }[] }).items[0];
      expect(event).toMatchObject({
        action: 'tenant.updated',
        before: { enforce: true },
        after: { enforce: false },
      });
    });

    it('the decision endpoint answers a report-only denial with allowed, and records it as would-deny', async () => {
      const ask = (from: string) =>
        demo.call(`${demo.server.adminUrl}/v1/decide/nginx`, {
          headers: { ...demo.key, 'x-original-uri': '/hello', 'x-forwarded-for': from },
        });
      expect((await ask('127.0.0.77')).status).toBe(204);
      const rows = await eventually(async () => {
        const items = (await logged('decision=would-deny')).filter((r) => r.client === '127.0.0.77');
        return items.length > 0 ? items : undefined;
      });
      expect(rows[0]).toMatchObject({ stage: 'tenant-restriction', reason: 'tenant-ip-not-listed' });

      expect(
        (await demo.admin('PATCH', `/v1/tenants/${demo.tenantId}/ip-restriction`, { enforce: true })).status,
      ).toBe(200);
      expect((await ask('127.0.0.77')).status).toBe(403);
      expect((await demo.call(hello(), { from: '127.0.0.3', headers: demo.key })).status).toBe(403);
    });

    it("enforce: false on an API lets requests its allowlist denies go on to the tenant's rules", async () => {
      const entry = await demo.admin('POST', `/v1/apis/${demo.apiId}/allowlist/entries`, {
        value: '127.0.0.50',
        confirmLockout: true,
      });
      expect(entry.status).toBe(201);
      // The allowlist denies 127.0.0.1 now, before its key is even read.
      expect((await demo.call(hello(), { from: '127.0.0.1', headers: demo.key })).status).toBe(403);

      const api = await demo.admin('PATCH', `/v1/apis/${demo.apiId}`, { enforce: false });
      expect(api.status).toBe(200);
      expect(api.json).toMatchObject({ enforce: false });
      // Listed on the tenant: passes, would have been denied by the API's allowlist.
      expect((await demo.call(hello(), { from: '127.0.0.1', headers: demo.key })).status).toBe(200);
      // Not listed on the (enforcing) tenant: still denied, by the tenant.
      expect((await demo.call(hello(), { from: '127.0.0.4', headers: demo.key })).status).toBe(403);
      // Authentication is never report-only.
      expect((await demo.call(hello(), { from: '127.0.0.1' })).status).toBe(401);

      const rows = await eventually(async () => {
        const items = (await logged('decision=would-deny')).filter((r) => r.stage === 'api-allowlist');
        return items.length > 0 ? items : undefined;
      });
      expect(rows[0]).toMatchObject({ client: '127.0.0.1', reason: 'api-allowlist-not-listed', status: 200 });
      const denied = await eventually(async () => {
        const items = await logged('decision=deny&client=127.0.0.4');
        return items.length > 0 ? items : undefined;
      });
      expect(denied[0]).toMatchObject({ stage: 'tenant-restriction' });

      const audit = await demo.admin('GET', '/v1/audit-events');
      const actions = (audit.json as { items: { action: string; after: { enforce?: boolean } | null }[] })
        .items;
      expect(actions.find((e) => e.action === 'api.updated')?.after).toMatchObject({ enforce: false });
    });

    it('rejects an enforce that is not a boolean, naming the field', async () => {
      const r = await demo.admin('PATCH', `/v1/apis/${demo.apiId}`, { enforce: 'no' });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ error: { code: 'IPG_VALIDATION_FAILED', field: 'enforce' } });
    });
  });
}
