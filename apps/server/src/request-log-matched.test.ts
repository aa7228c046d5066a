import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, eventually, startDemoServer } from './demo-server.test-support.js';
import { storeFactories } from './store/test-stores.test-support.js';

/**
 * The request log says which entries let a request through (docs/architecture/pipeline.md#8-record),
 * end to end over real HTTP on both stores: through the gateway and the decision endpoint, for allowed
 * and report-only requests, with the entries' names as they are when the log is read.
 */
interface Matched {
  list: string;
  entryId: string;
  name: string | null;
}
interface LoggedRequest {
  requestId: string;
  decision: string;
  client: string | null;
  matched: Matched[];
}

for (const factory of await storeFactories()) {
  describe.skipIf(factory.skip)(`matched entries in the request log on ${factory.name}`, () => {
    let demo: DemoServer;
    let tenantEntryId: string;
    let apiEntryId: string;
    const hello = () => `${demo.server.gatewayUrl}/hello`;

    beforeAll(async () => {
      // 127.0.0.1 is the proxy that may ask the decision endpoint.
      demo = await startDemoServer(factory, { trustProxy: '127.0.0.1' });
      const entries = await demo.admin('GET', `/v1/tenants/${demo.tenantId}/ip-restriction/entries`);
      tenantEntryId = (entries.json as { items: { id: string }[] }).items[0]?.id as string;
      const added = await demo.admin('POST', `/v1/apis/${demo.apiId}/allowlist/entries`, {
        value: '127.0.0.0/24',
        name: 'loopback',
      });
      expect(added.status).toBe(201);
      apiEntryId = (added.json as { id: string }).id;
    });
    afterAll(async () => {
      await demo?.close();
    });

    /** The logged requests from one client, once there are `count` of them. */
    async function loggedFrom(client: string, count = 1, token?: string): Promise<LoggedRequest[]> {
      return eventually(async () => {
        const path = `/v1/tenants/${demo.tenantId}/requests?client=${client}`;
        const r =
          token === undefined
            ? await demo.admin('GET', path)
            : await demo.call(`${demo.server.adminUrl}${path}`, {
                headers: { authorization: `Bearer ${token}` },
              });
        expect(r.status).toBe(200);
        const items = (r.json as { items: LoggedRequest[] }).items;
        return items.length >= count ? items : undefined;
      });
    }

    it('an allowed request through the gateway names the allowlist and tenant entries it matched', async () => {
      expect((await demo.call(hello(), { from: '127.0.0.1', headers: demo.key })).status).toBe(200);
      const [logged] = await loggedFrom('127.0.0.1');
      expect(logged?.decision).toBe('allow');
      expect(logged?.matched).toEqual([
        { list: 'api-allowlist', entryId: apiEntryId, name: 'loopback' },
        { list: 'tenant', entryId: tenantEntryId, name: 'this machine (demo)' },
      ]);
      // Names are read when the log is shown: a rename shows at once, and one request reads the same.
      const renamed = await demo.admin(
        'PATCH',
        `/v1/tenants/${demo.tenantId}/ip-restriction/entries/${tenantEntryId}`,
        { name: 'build host' },
      );
      expect(renamed.status).toBe(200);
      const one = await demo.admin('GET', `/v1/tenants/${demo.tenantId}/requests/${logged?.requestId}`);
      expect((one.json as LoggedRequest).matched[1]).toEqual({
        list: 'tenant',
        entryId: tenantEntryId,
        name: 'build host',
      });
    });

    it('a denied request names only the entries of the stages it passed', async () => {
      expect((await demo.call(hello(), { from: '127.0.0.6', headers: demo.key })).status).toBe(403);
      const [denied] = await loggedFrom('127.0.0.6');
      expect(denied).toMatchObject({ decision: 'deny' });
      // The allowlist let it through its stage; the tenant list denied it.
      expect(denied?.matched.map((m) => m.list)).toEqual(['api-allowlist']);
    });

    it('the decision endpoint records the entries its allowed answers matched', async () => {
      const ask = await demo.call(`${demo.server.adminUrl}/v1/decide/nginx`, {
        headers: { ...demo.key, 'x-original-uri': '/hello', 'x-forwarded-for': '127.0.0.1' },
      });
      expect(ask.status).toBe(204);
      const rows = await loggedFrom('127.0.0.1', 2);
      // Newest first: the decision endpoint's record.
      expect(rows[0]?.matched.map((m) => [m.list, m.entryId])).toEqual([
        ['api-allowlist', apiEntryId],
        ['tenant', tenantEntryId],
      ]);
    });

    it('a report-only pass names the entries of the stages before the one that would have denied', async () => {
      expect(
        (await demo.admin('PATCH', `/v1/tenants/${demo.tenantId}/ip-restriction`, { enforce: false })).status,
      ).toBe(200);
      try {
        expect((await demo.call(hello(), { from: '127.0.0.9', headers: demo.key })).status).toBe(200);
        const [logged] = await loggedFrom('127.0.0.9');
        expect(logged).toMatchObject({ decision: 'would-deny' });
        expect(logged?.matched).toEqual([{ list: 'api-allowlist', entryId: apiEntryId, name: 'loopback' }]);
      } finally {
        await demo.admin('PATCH', `/v1/tenants/${demo.tenantId}/ip-restriction`, { enforce: true });
      }
    });

    it("a browser key's call names the domain rule it matched; a one-tenant token sees no allowlist names", async () => {
      const keyId = (await demo.admin('GET', `/v1/tenants/${demo.tenantId}/keys`)).json as {
        items: { id: string }[];
      };
      const key = `/v1/tenants/${demo.tenantId}/keys/${keyId.items[0]?.id}`;
      const rule = await demo.admin('POST', `${key}/restrictions/domains`, {
        value: 'app.example.com',
        name: 'portal',
      });
      expect(rule.status).toBe(201);
      const ruleId = (rule.json as { id: string }).id;
      expect((await demo.admin('PATCH', key, { domainRestrictionEnabled: true })).status).toBe(200);
      try {
        const call = await demo.call(hello(), {
          from: '127.0.0.20',
          headers: { ...demo.key, origin: 'https://app.example.com' },
        });
        expect(call.status).toBe(200);
        const [logged] = await loggedFrom('127.0.0.20');
        // A browser key is judged by its domain rules instead of the tenant's address list.
        expect(logged?.matched).toEqual([
          { list: 'api-allowlist', entryId: apiEntryId, name: 'loopback' },
          { list: 'key-domains', entryId: ruleId, name: 'portal' },
        ]);

        const token = await demo.admin('POST', '/v1/tokens', {
          name: 'tenant viewer',
          role: 'viewer',
          tenantId: demo.tenantId,
        });
        expect(token.status).toBe(201);
        const secret = (token.json as { secret: string }).secret;
        const [seen] = await loggedFrom('127.0.0.20', 1, secret);
        // The API's allowlist is the operator's: its entry is named by id only.
        expect(seen?.matched).toEqual([
          { list: 'api-allowlist', entryId: apiEntryId, name: null },
          { list: 'key-domains', entryId: ruleId, name: 'portal' },
        ]);
      } finally {
        await demo.admin('PATCH', key, { domainRestrictionEnabled: false });
      }
    });
  });
}
