/**
 * The isolation matrix, generated from the route table: for every route, no token → 401, a token of
 * tenant A against tenant B's resources (or top-level ones it may not see) → 404, a role one below
 * the one needed → 403; and the table lists exactly the routes the app has. Runs on SQLite and, when
 * it is reachable, PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../store/store.js';
import { storeFactories } from '../store/test-stores.test-support.js';
import { type AdminFixture, bearer, openAdminFixture } from './admin-fixture.test-support.js';
import { fillPath, ROUTES, type RouteRow, routePattern } from './route-table.test-support.js';

const BELOW: Record<Role, Role | undefined> = { viewer: undefined, editor: 'viewer', owner: 'editor' };
const guarded = ROUTES.filter((r): r is RouteRow & { role: Role } => r.role !== 'public');
const label = (r: RouteRow) => `${r.method} ${r.path}`;

for (const factory of await storeFactories()) {
  describe.skipIf(factory.skip)(`access matrix on ${factory.name}`, () => {
    let f: AdminFixture;
    beforeAll(async () => {
      f = await openAdminFixture(factory);
    });
    afterAll(async () => f?.close());

    const call = (row: RouteRow, secret: string | undefined, tenant: 'a' | 'b') =>
      f.app.inject({
        method: row.method,
        url: fillPath(row.path, f[tenant], { apiId: f.apiId, apiEntryId: f.apiEntryId, tokenId: f.bTokenId }),
        headers: secret === undefined ? {} : bearer(secret),
        ...(row.body === undefined ? {} : { payload: row.body }),
      });

    it('the table lists every route in the OpenAPI document, and each row is a registered route', async () => {
      const doc = (await f.app.inject({ url: '/openapi.json' })).json() as {
        paths: Record<string, Record<string, unknown>>;
      };
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      );
      const tabled = ROUTES.filter((r) => r.path !== '/openapi.json').map(
        (r) => `${r.method} ${routePattern(r.path)}`,
      );
      expect(new Set(tabled).size).toBe(tabled.length);
      expect([...documented].sort()).toEqual([...tabled].sort());
      for (const r of ROUTES) {
        expect(f.app.hasRoute({ method: r.method, url: routePattern(r.path) }), label(r)).toBe(true);
      }
    });

    it.each(guarded.map((r) => [label(r), r] as const))(
      '%s: no token → 401, bad token → 401',
      async (_, row) => {
        for (const secret of [undefined, 'ipg_adm_not-a-token']) {
          const res = await call(row, secret, 'a');
          expect(res.statusCode).toBe(401);
          expect(res.json().error.code).toBe('IPG_AUTH_REQUIRED');
        }
      },
    );

    it.each(guarded.filter((r) => r.scope !== 'any').map((r) => [label(r), r] as const))(
      "%s: tenant A's owner against tenant B (or a top-level resource) → 404",
      async (_, row) => {
        const res = await call(row, f.tokens.a.owner, 'b');
        expect(res.statusCode).toBe(404);
        expect(res.json().error.code).toBe('IPG_NOT_FOUND');
      },
    );

    it.each(guarded.filter((r) => BELOW[r.role] !== undefined).map((r) => [label(r), r] as const))(
      '%s: the role below the one needed → 403',
      async (_, row) => {
        const below = BELOW[row.role] as Role;
        const secret = row.scope === 'global' ? f.tokens.all[below] : f.tokens.b[below];
        const res = await call(row, secret, 'b');
        expect(res.statusCode).toBe(403);
        expect(res.json().error.code).toBe('IPG_ROLE_FORBIDDEN');
      },
    );

    it.each(guarded.filter((r) => r.method === 'GET').map((r) => [label(r), r] as const))(
      '%s: the role needed, in scope → 200',
      async (_, row) => {
        const secret = row.scope === 'global' ? f.tokens.all[row.role] : f.tokens.b[row.role];
        const res = await call(row, secret, 'b');
        expect(res.statusCode, res.body).toBe(200);
      },
    );

    it("a tenant's own owner token cannot delete its tenant (the platform's to delete); it is still there", async () => {
      const del = await f.app.inject({
        method: 'DELETE',
        url: `/v1/tenants/${f.b.tenantId}`,
        headers: bearer(f.tokens.b.owner),
      });
      expect(del.statusCode).toBe(404);
      const still = await f.app.inject({
        url: `/v1/tenants/${f.b.tenantId}`,
        headers: bearer(f.tokens.b.viewer),
      });
      expect(still.statusCode).toBe(200);
    });

    it("a tenant's token lists only its own tenant and its own tenant's tokens, and cannot delete another's", async () => {
      const tenants = await f.app.inject({ url: '/v1/tenants', headers: bearer(f.tokens.a.viewer) });
      expect(tenants.json().items.map((t: { id: string }) => t.id)).toEqual([f.a.tenantId]);
      const tokens = await f.app.inject({ url: '/v1/tokens', headers: bearer(f.tokens.a.owner) });
      const scopes = new Set(tokens.json().items.map((t: { tenantId: string }) => t.tenantId));
      expect([...scopes]).toEqual([f.a.tenantId]);
      const del = await f.app.inject({
        method: 'DELETE',
        url: `/v1/tokens/${f.bTokenId}`,
        headers: bearer(f.tokens.a.owner),
      });
      expect(del.statusCode).toBe(404);
      const mint = await f.app.inject({
        method: 'POST',
        url: '/v1/tokens',
        headers: bearer(f.tokens.a.owner),
        payload: { name: 'x', role: 'owner', tenantId: f.b.tenantId },
      });
      expect(mint.statusCode).toBe(404);
      const all = await f.app.inject({
        method: 'POST',
        url: '/v1/tokens',
        headers: bearer(f.tokens.a.owner),
        payload: { name: 'x', role: 'owner', tenantId: null },
      });
      expect(all.statusCode).toBe(403);
    });
  });
}
