import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../store.js';
import { as, type ContractContext, collect, contractHelpers } from './context.test-support.js';

/**
 * APIs and their allowlists.
 *
 * @example apisContract(context); // inside the describe of storeContract
 */
export function apisContract(context: ContractContext): void {
  const { rejects, changes } = contractHelpers(context);
  let store: Store;
  beforeAll(() => {
    store = context.store();
  });

  describe('APIs and their allowlists', () => {
    it('creates, updates and deletes an API, audited without a tenant', async () => {
      const api = await changes(
        'api.created',
        () =>
          store.createApi(
            {
              name: 'orders',
              host: 'API.example.com',
              pathPrefix: '/orders',
              upstreamUrl: 'http://10.0.0.5:8080',
            },
            as,
          ),
        { tenantId: null },
      );
      expect(api).toMatchObject({
        host: 'api.example.com',
        pathPrefix: '/orders',
        stripPrefix: false,
        authHeader: 'authorization',
        version: 1,
      });
      expect(await store.getApi(api.id)).toEqual(api);
      const u = await changes('api.updated', () =>
        store.updateApi(
          api.id,
          { stripPrefix: true, authHeader: 'x-api-key' },
          { ...as, expectedVersion: 1 },
        ),
      );
      expect(u).toMatchObject({ stripPrefix: true, authHeader: 'x-api-key', version: 2 });
      await rejects(() => store.updateApi(api.id, { name: 'x' }, { ...as, expectedVersion: 1 }), {
        code: 'IPG_VERSION_CONFLICT',
      });
      await changes('api.deleted', () => store.deleteApi(api.id, as), { apiId: api.id });
      await rejects(() => store.getApi(api.id), { code: 'IPG_NOT_FOUND' });
      await rejects(() => store.deleteApi(api.id, as), { code: 'IPG_NOT_FOUND' });
    });

    it.each([
      [{ name: 'a', upstreamUrl: 'ftp://x' }, 'upstreamUrl'],
      [{ name: 'a', upstreamUrl: 'http://x', host: 'a b' }, 'host'],
      [{ name: 'a', upstreamUrl: 'http://x', pathPrefix: 'orders' }, 'pathPrefix'],
      [{ name: 'a', upstreamUrl: 'http://x', authHeader: 'cookie' }, 'authHeader'],
      [{ name: '', upstreamUrl: 'http://x' }, 'name'],
    ])('refuses bad API %j on field %s', async (input, field) => {
      await rejects(() => store.createApi(input as never, as), { status: 400, field });
    });

    it('refuses a second API on a route another has (host and prefix as routing compares them)', async () => {
      const first = await store.createApi(
        { name: 'route', host: 'Route.Example', pathPrefix: '/r/', upstreamUrl: 'http://10.0.0.1' },
        as,
      );
      await rejects(
        () =>
          store.createApi(
            { name: 'route2', host: 'route.example', pathPrefix: '/r', upstreamUrl: 'http://10.0.0.1' },
            as,
          ),
        { status: 409, field: 'pathPrefix' },
      );
      const other = await store.createApi(
        { name: 'route3', host: 'route.example', pathPrefix: '/s', upstreamUrl: 'http://10.0.0.1' },
        as,
      );
      await rejects(() => store.updateApi(other.id, { pathPrefix: '/r' }, as), { status: 409 });
      expect((await store.updateApi(first.id, { pathPrefix: '/r' }, as)).pathPrefix).toBe('/r');
      // Concurrent creates of one route: exactly one wins.
      const results = await Promise.allSettled(
        [1, 2, 3, 4].map((i) =>
          store.createApi({ name: `race${i}`, pathPrefix: '/race', upstreamUrl: 'http://10.0.0.1' }, as),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    });

    it('pages through APIs', async () => {
      for (let i = 0; i < 3; i++)
        await store.createApi(
          { name: `p${i}`, pathPrefix: `/pages/${i}`, upstreamUrl: 'http://10.0.0.1' },
          as,
        );
      const all = (await store.listApis({ limit: 500 })).items;
      expect((await collect((cursor) => store.listApis({ limit: 2, cursor }))).map((a) => a.id)).toEqual(
        all.map((a) => a.id),
      );
    });

    it('keeps an allowlist per API, limited when the store says so', async () => {
      const a = await store.createApi({ name: 'a', pathPrefix: '/a', upstreamUrl: 'http://10.0.0.1' }, as);
      const b = await store.createApi({ name: 'b', pathPrefix: '/b', upstreamUrl: 'http://10.0.0.1' }, as);
      const e = await changes(
        'api.allowlist_entry.added',
        () => store.addApiAllowlistEntry(a.id, { value: '2001:db8::/32' }, as),
        {
          apiId: a.id,
          tenantId: null,
        },
      );
      expect(e).toMatchObject({ apiId: a.id, canonical: '2001:db8::/32' });
      await rejects(() => store.getApiAllowlistEntry(b.id, e.id), { code: 'IPG_NOT_FOUND' });
      await rejects(() => store.removeApiAllowlistEntry(b.id, e.id, as), { code: 'IPG_NOT_FOUND' });
      const u = await changes('api.allowlist_entry.updated', () =>
        store.updateApiAllowlistEntry(a.id, e.id, { name: 'v6' }, { ...as, expectedVersion: 1 }),
      );
      expect(u.name).toBe('v6');
      await store.addApiAllowlistEntry(a.id, { value: '192.0.2.1' }, as);
      await store.addApiAllowlistEntry(a.id, { value: '192.0.2.2' }, as);
      await rejects(() => store.addApiAllowlistEntry(a.id, { value: '192.0.2.3' }, as), {
        code: 'IPG_LIMIT_REACHED',
      });
      await changes('api.allowlist_entry.removed', () => store.removeApiAllowlistEntry(a.id, e.id, as));
      expect((await store.listApiAllowlistEntries(a.id)).map((x) => x.value)).toEqual([
        '192.0.2.1',
        '192.0.2.2',
      ]);
      await rejects(() => store.listApiAllowlistEntries('api_missing'), { code: 'IPG_NOT_FOUND' });
    });
  });
}
