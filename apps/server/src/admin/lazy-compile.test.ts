/**
 * Schemas compiled on first use: every route of the management app still compiles, a route answers
 * through its deferred validator and serializer as before, and a schema that cannot compile is named.
 */

import Fastify from 'fastify';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteFactory } from '../store/test-stores.test-support.js';
import { type AdminFixture, openAdminFixture } from './admin-fixture.test-support.js';
import { lazyCompilers } from './lazy-compile.js';

describe('the management app with schemas compiled on first use', () => {
  const compilers = lazyCompilers();
  let f: AdminFixture;
  beforeAll(async () => {
    f = await openAdminFixture(sqliteFactory(), { app: { compilers } });
  });
  afterAll(async () => f?.close());

  it('compiles every route validator and serializer it deferred', () => {
    expect(() => compilers.compileAll()).not.toThrow();
  });

  it('validates and serializes through the deferred functions', async () => {
    const bad = await f.app.inject({ url: '/v1/tenants?limit=nope', headers: owner(f) });
    expect(bad.statusCode).toBe(400);
    const good = await f.app.inject({ url: '/v1/tenants?limit=1', headers: owner(f) });
    expect(good.statusCode).toBe(200);
    expect((good.json() as { items: unknown[] }).items).toHaveLength(1);
  });
});

describe('lazyCompilers', () => {
  it('starts an app whose schema cannot compile, and compileAll names the route', async () => {
    const compilers = lazyCompilers();
    const app = Fastify({
      schemaController: { compilersFactory: { buildSerializer: compilers.buildSerializer } },
    }).setValidatorCompiler(compilers.validatorCompiler);
    app.get(
      '/broken',
      { schema: { response: { 200: { type: 'object', properties: { a: { $ref: '#/nowhere' } } } } } },
      async () => ({ a: 1 }),
    );
    app.get('/fine', { schema: { querystring: Type.Object({ n: Type.Integer() }) } }, async () => 'ok');
    await app.ready();
    try {
      expect(() => compilers.compileAll()).toThrow(/GET \/broken \(200\)/);
      expect((await app.inject({ url: '/fine?n=x' })).statusCode).toBe(400);
      expect((await app.inject({ url: '/fine?n=2' })).body).toBe('ok');
    } finally {
      await app.close();
    }
  });
});

function owner(f: AdminFixture): Record<string, string> {
  return { authorization: `Bearer ${f.tokens.all.owner}` };
}
