/**
 * The OpenAPI document (3.1, every route with summary, tags and responses), `/docs` over a real
 * socket, the probes, and the backoff of repeated authentication failures.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteFactory } from '../store/test-stores.test-support.js';
import { type AdminFixture, openAdminFixture } from './admin-fixture.test-support.js';
import { buildAdminApp } from './app.js';

describe('docs and probes', () => {
  let f: AdminFixture;
  let base: string;
  beforeAll(async () => {
    f = await openAdminFixture(sqliteFactory());
    base = await f.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => f?.close());

  it('serves an OpenAPI 3.1 document in which every operation has a summary, tags and responses', async () => {
    const res = await request(`${base}/openapi.json`);
    expect(res.statusCode).toBe(200);
    const doc = (await res.body.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { summary?: string; tags?: string[]; responses?: object }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths).flatMap(([p, o]) =>
      Object.entries(o).map(([m, op]) => ({ p, m, op })),
    );
    expect(ops.length).toBeGreaterThan(50);
    for (const { p, m, op } of ops) {
      expect(op.summary, `${m} ${p}`).toBeTruthy();
      expect(op.tags?.length, `${m} ${p}`).toBeGreaterThan(0);
      expect(Object.keys(op.responses ?? {}).length, `${m} ${p}`).toBeGreaterThan(0);
    }
  });

  it('every response of every operation has a real description, never "Default Response"', async () => {
    const doc = (await (await request(`${base}/openapi.json`)).body.json()) as {
      paths: Record<string, Record<string, { responses?: Record<string, { description?: string }> }>>;
    };
    const bare: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(op.responses ?? {})) {
          const d = response.description ?? '';
          if (d === '' || d === 'Default Response') bare.push(`${method} ${path} ${status}`);
        }
      }
    }
    expect(bare).toEqual([]);
    const post = doc.paths['/v1/tenants']?.['post']?.responses ?? {};
    expect(post['409']?.description).toContain('IPG_ALREADY_EXISTS');
    expect(post['201']?.description).toBe('Created: create a tenant.');
  });

  it('serves browsable docs at /docs from local files', async () => {
    const res = await request(`${base}/docs/`);
    const html = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(html).toContain('<title>Swagger UI</title>');
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg)/);
    const css = await request(`${base}/docs/static/swagger-ui.css`);
    expect(css.statusCode).toBe(200);
    await css.body.dump();
  });

  it('healthz, readyz and metrics answer without a token', async () => {
    expect((await request(`${base}/healthz`)).statusCode).toBe(200);
    expect((await request(`${base}/readyz`)).statusCode).toBe(200);
    const metrics = await request(`${base}/metrics`);
    expect(await metrics.body.text()).toContain('ipgate_admin_requests_total');
  });

  it('readyz is 503 when the ready callback says no or throws', async () => {
    for (const ready of [() => false, () => Promise.reject(new Error('down'))]) {
      const app = await buildAdminApp({ store: f.store, engine: f.engine, ready });
      const res = await app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('IPG_STORE_UNAVAILABLE');
      await app.close();
    }
  });
});

describe('authentication backoff', () => {
  it('the app waits before answering a fourth bad token from one address', async () => {
    const waits: number[] = [];
    let now = 0;
    const f = await openAdminFixture(sqliteFactory(), {
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
      now: () => now,
    });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await f.app.inject({ url: '/v1/apis', headers: { authorization: 'Bearer nope' } });
        expect(res.statusCode).toBe(401);
      }
      expect(waits).toEqual([100, 200]);
    } finally {
      await f.close();
    }
  });
});
