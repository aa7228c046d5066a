import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, eventually, startDemoServer } from './demo-server.test-support.js';
import { storeFactories } from './store/test-stores.test-support.js';

/**
 * Simulations and dry-run writes over the management API of a whole server, on traffic recorded by
 * its gateway (docs/architecture/pipeline.md#simulating-a-change), on both stores.
 */
interface Flip {
  requests: number;
  addresses: number;
  keys: number;
  topAddresses: { address: string; requests: number }[];
}
interface Impact {
  requests: { examined: number; decided: number };
  allowedToDenied: Flip;
  deniedToAllowed: Flip;
  unmatchedEntries: { id: string | null; value: string }[];
  truncated: boolean;
}

for (const factory of await storeFactories()) {
  describe.skipIf(factory.skip)(`simulation over HTTP on ${factory.name}`, () => {
    let demo: DemoServer;
    let entryId: string;
    let keyId: string;
    const tenantPath = () => `/v1/tenants/${demo.tenantId}`;

    beforeAll(async () => {
      demo = await startDemoServer(factory);
      const hello = `${demo.server.gatewayUrl}/hello`;
      for (let i = 0; i < 4; i++) await demo.call(hello, { from: '127.0.0.1', headers: demo.key });
      for (let i = 0; i < 3; i++) await demo.call(hello, { from: '127.0.0.2', headers: demo.key });
      await eventually(async () => {
        const r = await demo.admin('GET', `${tenantPath()}/requests?limit=10`);
        return (r.json as { items: unknown[] }).items.length === 7 ? true : undefined;
      });
      const entries = await demo.admin('GET', `${tenantPath()}/ip-restriction/entries`);
      entryId = (entries.json as { items: { id: string }[] }).items[0]?.id as string;
      const keys = await demo.admin('GET', `${tenantPath()}/keys`);
      keyId = (keys.json as { items: { id: string }[] }).items[0]?.id as string;
    });
    afterAll(async () => {
      await demo?.close();
    });

    async function auditCount(): Promise<number> {
      const r = await demo.admin('GET', `${tenantPath()}/audit-events?limit=500`);
      return (r.json as { items: unknown[] }).items.length;
    }

    it('simulates adding an address: its denied requests would pass, and nothing is written', async () => {
      const before = await auditCount();
      const r = await demo.admin('POST', `${tenantPath()}/ip-restriction/simulate`, {
        draft: {
          add: [
            { value: '127.0.0.2', name: 'second' },
            { value: '192.0.2.0/24', name: 'unused' },
          ],
        },
      });
      expect(r.status).toBe(200);
      const impact = r.json as Impact;
      expect(impact.requests).toMatchObject({ examined: 7, decided: 7 });
      expect(impact.deniedToAllowed).toMatchObject({
        requests: 3,
        addresses: 1,
        keys: 1,
        topAddresses: [{ address: '127.0.0.2', requests: 3 }],
      });
      expect(impact.allowedToDenied.requests).toBe(0);
      expect(impact.unmatchedEntries).toEqual([{ id: null, value: '192.0.2.0/24', name: 'unused' }]);
      expect(await auditCount()).toBe(before);
    });

    it('dryRun on add, edit and remove answers the impact instead of writing', async () => {
      const before = await auditCount();
      const list = `${tenantPath()}/ip-restriction/entries`;
      const add = await demo.admin('POST', list, { value: '127.0.0.2', dryRun: true });
      expect(add.status).toBe(200);
      expect(add.json).toMatchObject({ dryRun: true, impact: { deniedToAllowed: { requests: 3 } } });

      const edit = await demo.admin('PATCH', `${list}/${entryId}`, { value: '127.0.0.2', dryRun: true });
      expect(edit.status).toBe(200);
      expect(edit.json).toMatchObject({
        dryRun: true,
        impact: { allowedToDenied: { requests: 4 }, deniedToAllowed: { requests: 3 } },
      });

      const remove = await demo.admin('DELETE', `${list}/${entryId}?dryRun=true`);
      expect(remove.status).toBe(200);
      expect(remove.json).toMatchObject({
        dryRun: true,
        impact: { allowedToDenied: { requests: 4, topAddresses: [{ address: '127.0.0.1', requests: 4 }] } },
      });

      const keyIps = `${tenantPath()}/keys/${keyId}/restrictions/ips`;
      const keyAdd = await demo.admin('POST', keyIps, { value: '127.0.0.9', dryRun: true });
      // The key's IP restriction is off: its list decides nothing.
      expect(keyAdd.json).toMatchObject({ dryRun: true, impact: { allowedToDenied: { requests: 0 } } });

      // Nothing was written: the list, the audit trail and the gateway are as before.
      const entries = await demo.admin('GET', list);
      expect((entries.json as { items: unknown[] }).items).toHaveLength(1);
      expect(await auditCount()).toBe(before);
      const hello = `${demo.server.gatewayUrl}/hello`;
      expect((await demo.call(hello, { from: '127.0.0.2', headers: demo.key })).status).toBe(403);
    });

    it('simulates a key restriction switched on, and an API allowlist', async () => {
      const key = await demo.admin('POST', `${tenantPath()}/keys/${keyId}/restrictions/ips/simulate`, {
        draft: { add: [{ value: '127.0.0.1' }] },
        restrictionEnabled: true,
      });
      // Only requests the tenant allowed can flip; all were from 127.0.0.1, which stays allowed.
      expect(key.json).toMatchObject({ allowedToDenied: { requests: 0 }, unmatchedEntries: [] });
      const api = await demo.admin('POST', `/v1/apis/${demo.apiId}/allowlist/simulate`, {
        draft: { replace: [{ value: '10.0.0.0/8' }] },
      });
      expect(api.status).toBe(200);
      expect(api.json).toMatchObject({
        allowedToDenied: { requests: 4, addresses: 1 },
        unmatchedEntries: [{ id: null, value: '10.0.0.0/8' }],
      });
    });

    it('dryRun on an API allowlist: the first entry denies every other address, a removal or disabling its own', async () => {
      const list = `/v1/apis/${demo.apiId}/allowlist/entries`;
      const lost = (requests: number) => ({
        dryRun: true,
        impact: {
          allowedToDenied: { requests, addresses: 1, topAddresses: [{ address: '127.0.0.1', requests }] },
        },
      });
      // Empty, the allowlist lets every source in: 127.0.0.2 alone would deny 127.0.0.1's four calls
      // (127.0.0.2's own three stay denied by the tenant's list).
      const first = await demo.admin('POST', list, { value: '127.0.0.2', dryRun: true });
      expect(first.status).toBe(200);
      expect(first.json).toMatchObject(lost(4));
      expect(first.json).toMatchObject({ impact: { deniedToAllowed: { requests: 0 } } });
      const disabled = await demo.admin('POST', list, { value: '127.0.0.2', enabled: false, dryRun: true });
      expect(disabled.json).toMatchObject({ dryRun: true, impact: { allowedToDenied: { requests: 0 } } });
      expect((await demo.admin('GET', list)).json).toMatchObject({ items: [] });

      const both = await demo.admin('POST', list, { value: '127.0.0.0/30', name: 'both' });
      const other = await demo.admin('POST', list, { value: '198.51.100.7', name: 'other' });
      expect([both.status, other.status]).toEqual([201, 201]);
      const bothId = (both.json as { id: string }).id;
      const otherId = (other.json as { id: string }).id;
      try {
        const narrowed = await demo.admin('PATCH', `${list}/${bothId}`, { value: '127.0.0.2', dryRun: true });
        expect(narrowed.status).toBe(200);
        expect(narrowed.json).toMatchObject(lost(4));
        const off = await demo.admin('PATCH', `${list}/${bothId}`, { enabled: false, dryRun: true });
        expect(off.json).toMatchObject(lost(4));
        const removed = await demo.admin('DELETE', `${list}/${bothId}?dryRun=true`);
        expect(removed.status).toBe(200);
        expect(removed.json).toMatchObject(lost(4));
        // Widening denies no one.
        const widened = await demo.admin('PATCH', `${list}/${bothId}`, {
          value: '127.0.0.0/24',
          dryRun: true,
        });
        expect(widened.json).toMatchObject({ dryRun: true, impact: { allowedToDenied: { requests: 0 } } });
        // Nothing was written.
        const entries = (await demo.admin('GET', `${list}/${bothId}`)).json;
        expect(entries).toMatchObject({ value: '127.0.0.0/30', enabled: true });
      } finally {
        // "other" first: without "both" it would shut the test's own 127.0.0.1 out.
        expect((await demo.admin('DELETE', `${list}/${otherId}`)).status).toBe(204);
        expect((await demo.admin('DELETE', `${list}/${bothId}`)).status).toBe(204);
      }
    });

    it('docs/simulate-draft.json, the example of docs/operations.md, is a body that works as it is', async () => {
      const body = JSON.parse(
        readFileSync(new URL('../../../docs/simulate-draft.json', import.meta.url), 'utf8'),
      );
      const r = await demo.admin('POST', `${tenantPath()}/ip-restriction/simulate`, body);
      expect(r.status).toBe(200);
      // 127.0.0.2's denied calls (three, and one more from the dry-run test once it is written).
      const impact = r.json as Impact;
      expect(impact.deniedToAllowed.topAddresses.map((t) => t.address)).toEqual(['127.0.0.2']);
      expect(impact.deniedToAllowed.requests).toBeGreaterThanOrEqual(3);
      expect(impact.unmatchedEntries).toEqual([{ id: null, value: '198.51.100.0/24', name: 'new VPN' }]);
    });

    it('an empty window examines nothing; a bad draft is 400 with its field', async () => {
      const empty = await demo.admin('POST', `${tenantPath()}/ip-restriction/simulate`, {
        draft: { replace: [] },
        since: '2020-01-01T00:00:00Z',
        until: '2020-01-02T00:00:00Z',
      });
      expect(empty.json).toMatchObject({ requests: { examined: 0 }, truncated: false });
      const bad = await demo.admin('POST', `${tenantPath()}/ip-restriction/simulate`, {
        draft: { add: [{ value: '10.0.0.1/8' }] },
      });
      expect(bad.status).toBe(400);
      expect(bad.json).toMatchObject({ error: { code: 'IPG_ENTRY_HOST_BITS', field: 'draft.add[0].value' } });
      const mixed = await demo.admin('POST', `${tenantPath()}/ip-restriction/simulate`, {
        draft: { replace: [], remove: [entryId] },
      });
      expect(mixed.json).toMatchObject({ error: { field: 'draft.replace' } });
      const unknown = await demo.admin('POST', `${tenantPath()}/ip-restriction/entries`, {
        value: 'nonsense',
        dryRun: true,
      });
      expect(unknown.status).toBe(400);
      expect(unknown.json).toMatchObject({ error: { field: 'value' } });
    });
  });
}
