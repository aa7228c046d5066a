/**
 * `GET /v1/rules/…` over a real socket: the document (canonical, enabled, unexpired entries; the
 * tenant's mode), ETag and 304, and the long-poll — woken by a write through the API, by a change
 * another node made (seen when the engine refreshes), by an entry expiring; not woken by another
 * tenant's change; released by close. Core's client-side parser must accept every document.
 */
import { type PublishedRules, parsePublishedRules } from '@ipgate/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteFactory } from '../store/test-stores.test-support.js';
import { type AdminFixture, bearer, openAdminFixture } from './admin-fixture.test-support.js';

let f: AdminFixture;
let base: string;

beforeEach(async () => {
  f = await openAdminFixture(sqliteFactory());
  await f.app.listen({ host: '127.0.0.1', port: 0 });
  const address = f.app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  base = `http://127.0.0.1:${address.port}`;
});
afterEach(async () => f?.close());

const get = (path: string, token: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(`${base}${path}`, { headers: { ...bearer(token), ...headers }, ...(signal ? { signal } : {}) });

const read = (res: Response) => res.json() as Promise<PublishedRules>;
const values = (doc: PublishedRules) => doc.entries.map((e) => e.value);

const tenantPath = () => `/v1/rules/tenants/${f.a.tenantId}`;

describe('published rules', () => {
  it('a tenant viewer gets its tenant document: mode, canonical live entries, ETag', async () => {
    const actor = { actor: 'test' };
    await f.store.addTenantIpEntry(f.a.tenantId, { value: '10.1.2.0/255.255.255.0', name: 'mask' }, actor);
    await f.store.addTenantIpEntry(f.a.tenantId, { value: '10.9.0.1', enabled: false }, actor);
    await f.store.addTenantIpEntry(
      f.a.tenantId,
      { value: '10.8.0.1', expiresAt: new Date(Date.now() - 1000) },
      actor,
    );
    await f.engine.refresh();
    const res = await get(tenantPath(), f.tokens.a.viewer);
    expect(res.status).toBe(200);
    const doc = await read(res);
    expect(doc).toEqual({
      format: 'ipgate.rules/1',
      // The change version, and one entry of that dump expired (the disabled one does not count).
      version: f.engine.version * 1_000_000 + 1,
      scope: { kind: 'tenant', tenantId: f.a.tenantId, mode: 'manual' },
      entries: [
        { id: f.a.entryId, name: 'office', value: '203.0.113.1' },
        { id: expect.any(String), name: 'mask', value: '10.1.2.0/24' },
      ],
    });
    expect(res.headers.get('etag')).toBe(`"${doc.version}"`);
    const compiled = parsePublishedRules(doc);
    expect(compiled.allows('10.1.2.7')).toBe(true);
    expect(compiled.allows('10.9.0.1')).toBe(false);
  });

  it('an API document needs a token for all tenants; a tenant token gets 404', async () => {
    const res = await get(`/v1/rules/apis/${f.apiId}`, f.tokens.all.viewer);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      scope: { kind: 'api', apiId: f.apiId },
      entries: [{ id: f.apiEntryId, name: '', value: '127.0.0.0/8' }],
    });
    expect((await get(`/v1/rules/apis/${f.apiId}`, f.tokens.a.owner)).status).toBe(404);
    expect((await get('/v1/rules/apis/api_missing', f.tokens.all.viewer)).status).toBe(404);
    expect((await get(`/v1/rules/tenants/${f.b.tenantId}`, f.tokens.a.owner)).status).toBe(404);
  });

  it('If-None-Match with the current version: 304 at once without wait; 200 for another version', async () => {
    const doc = await read(await get(tenantPath(), f.tokens.a.viewer));
    const same = await get(tenantPath(), f.tokens.a.viewer, { 'if-none-match': `"${doc.version}"` });
    expect(same.status).toBe(304);
    expect(same.headers.get('etag')).toBe(`"${doc.version}"`);
    const other = await get(tenantPath(), f.tokens.a.viewer, { 'if-none-match': `"${doc.version + 99}"` });
    expect(other.status).toBe(200);
    expect((await get(`${tenantPath()}?wait=61`, f.tokens.a.viewer)).status).toBe(400);
  });

  it('a long-poll answers with the new document as soon as a write through the API commits', async () => {
    const doc = await read(await get(tenantPath(), f.tokens.a.viewer));
    const started = Date.now();
    const waiting = get(`${tenantPath()}?wait=20`, f.tokens.a.viewer, {
      'if-none-match': `"${doc.version}"`,
    });
    await sleep(100);
    const added = await fetch(`${base}/v1/tenants/${f.a.tenantId}/ip-restriction/entries`, {
      method: 'POST',
      headers: { ...bearer(f.tokens.a.editor), 'content-type': 'application/json' },
      body: JSON.stringify({ value: '198.18.0.7', name: 'new', confirmLockout: true }),
    });
    expect(added.status, await added.text()).toBe(201);
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
    const next = await read(res);
    expect(next.version).toBeGreaterThan(doc.version);
    expect(res.headers.get('etag')).toBe(`"${next.version}"`);
    expect(values(next)).toContain('198.18.0.7');
  });

  it("another tenant's change does not wake the wait, and the version stays: 304 when wait passes", async () => {
    const doc = await read(await get(tenantPath(), f.tokens.a.viewer));
    const waiting = get(`${tenantPath()}?wait=1`, f.tokens.a.viewer, { 'if-none-match': `"${doc.version}"` });
    await sleep(100);
    const before = f.engine.version;
    expect(doc.version).toBe(before * 1_000_000);
    await f.store.addTenantIpEntry(f.b.tenantId, { value: '198.18.0.8' }, { actor: 'test' });
    await f.engine.refresh();
    expect(f.engine.version).toBeGreaterThan(before);
    const res = await waiting;
    expect(res.status).toBe(304);
    expect(res.headers.get('etag')).toBe(`"${doc.version}"`);
  });

  it('a change made by another node wakes the wait when the engine picks it up (its polling)', async () => {
    const doc = await read(await get(tenantPath(), f.tokens.a.viewer));
    const waiting = get(`${tenantPath()}?wait=20`, f.tokens.a.viewer, {
      'if-none-match': `"${doc.version}"`,
    });
    await sleep(100);
    // Written straight to the store, as another node would; this node learns of it by refreshing.
    await f.store.updateTenant(f.a.tenantId, { ipMode: 'off' }, { actor: 'test:other-node' });
    await f.engine.refresh();
    const res = await waiting;
    expect(res.status).toBe(200);
    expect((await read(res)).scope).toMatchObject({ mode: 'off' });
  });

  it('an entry expiring wakes the wait with the entry gone', async () => {
    await f.store.addTenantIpEntry(
      f.a.tenantId,
      { value: '198.18.0.9', expiresAt: new Date(Date.now() + 700) },
      { actor: 'test' },
    );
    await f.engine.refresh();
    const doc = await read(await get(tenantPath(), f.tokens.a.viewer));
    expect(values(doc)).toContain('198.18.0.9');
    const res = await get(`${tenantPath()}?wait=10`, f.tokens.a.viewer, {
      'if-none-match': `"${doc.version}"`,
    });
    expect(res.status).toBe(200);
    const next = await read(res);
    expect(values(next)).not.toContain('198.18.0.9');
    expect(next.version).not.toBe(doc.version);
  });

  it('closing the app answers waiting clients 304 instead of holding the shutdown', async () => {
    const doc = await read(await get(tenantPath(), f.tokens.a.viewer));
    const waiting = get(`${tenantPath()}?wait=60`, f.tokens.a.viewer, {
      'if-none-match': `"${doc.version}"`,
    });
    await sleep(100);
    const started = Date.now();
    await f.app.close();
    expect((await waiting).status).toBe(304);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
