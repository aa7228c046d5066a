/**
 * Bad input on every write route: 400 with the offending field and a message that says what is valid,
 * and nothing in the store changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRules } from '../store/all-rules.test-support.js';
import { sqliteFactory } from '../store/test-stores.test-support.js';
import { type AdminFixture, bearer, openAdminFixture } from './admin-fixture.test-support.js';
import { fillPath, ROUTES } from './route-table.test-support.js';

const writes = ROUTES.filter((r) => r.method !== 'GET' && r.role !== 'public');

describe('bad input on every write route', () => {
  let f: AdminFixture;
  beforeAll(async () => {
    f = await openAdminFixture(sqliteFactory());
  });
  afterAll(async () => f?.close());

  const snapshot = async () => ({
    rules: await allRules(f.store),
    principals: await f.store.listPrincipals({ limit: 500 }),
    version: await f.store.currentVersion(),
  });
  const url = (path: string) =>
    fillPath(path, f.a, { apiId: f.apiId, apiEntryId: f.apiEntryId, tokenId: f.bTokenId });

  it.each(writes.filter((r) => r.body !== undefined).map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: an unknown field and a wrong type are 400 with the field, and change nothing',
    async (_, row) => {
      const before = await snapshot();
      const unknown = await f.app.inject({
        method: row.method,
        url: url(row.path),
        headers: bearer(f.tokens.all.owner),
        payload: { ...row.body, bogusField: 1 },
      });
      expect(unknown.statusCode, unknown.body).toBe(400);
      expect(unknown.json().error).toMatchObject({ code: 'IPG_VALIDATION_FAILED', field: 'bogusField' });
      expect(unknown.json().error.message).toMatch(/not a field.*Valid fields: /);

      const [field] = Object.keys(row.body ?? {});
      if (field !== undefined) {
        const wrong = await f.app.inject({
          method: row.method,
          url: url(row.path),
          headers: bearer(f.tokens.all.owner),
          payload: { ...row.body, [field]: { not: 'valid' } },
        });
        expect(wrong.statusCode, wrong.body).toBe(400);
        expect(wrong.json().error).toMatchObject({ code: 'IPG_VALIDATION_FAILED', field });
        expect(wrong.json().error.message).toContain(field);
      }
      expect(await snapshot()).toEqual(before);
    },
  );

  it.each(writes.filter((r) => r.path.includes(':')).map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: a malformed id in the path is 400 and changes nothing',
    async (_, row) => {
      const before = await snapshot();
      // The last id in the path becomes one no id pattern allows.
      const real = url(row.path);
      const ids = real.match(/[a-z]+_[A-Za-z0-9]+/g) ?? [];
      const last = ids[ids.length - 1] ?? '';
      const path =
        real.slice(0, real.lastIndexOf(last)) + 'bad id!' + real.slice(real.lastIndexOf(last) + last.length);
      const res = await f.app.inject({
        method: row.method,
        url: path.replace(' ', '%20'),
        headers: bearer(f.tokens.all.owner),
        ...(row.body === undefined ? {} : { payload: row.body }),
      });
      expect(res.statusCode, `${path} ${res.body}`).toBe(400);
      expect(res.json().error.field).toBeTruthy();
      expect(await snapshot()).toEqual(before);
    },
  );

  it.each([
    ['10.0.0.1/8', 'IPG_ENTRY_HOST_BITS', /10\.0\.0\.0\/8/],
    ['127.1', 'IPG_ADDRESS_AMBIGUOUS_IPV4', /./],
    ['a, b', 'IPG_ENTRY_LIST', /./],
  ])('an entry %s is 400 %s on value, with a hint', async (value, code, hint) => {
    const before = await snapshot();
    const res = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.a.tenantId}/ip-restriction/entries`,
      headers: bearer(f.tokens.all.owner),
      payload: { value },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code, field: 'value' });
    expect(`${res.json().error.message} ${res.json().error.hint ?? ''}`).toMatch(hint);
    expect(await snapshot()).toEqual(before);
  });

  it('an enum says which values are valid; a missing body says it must be an object', async () => {
    const mode = await f.app.inject({
      method: 'PATCH',
      url: `/v1/tenants/${f.a.tenantId}/ip-restriction`,
      headers: bearer(f.tokens.all.owner),
      payload: { mode: 'strict' },
    });
    expect(mode.json().error).toEqual({
      code: 'IPG_VALIDATION_FAILED',
      message: 'mode must be one of: off, manual, auto.',
      field: 'mode',
    });
    const none = await f.app.inject({ method: 'POST', url: '/v1/apis', headers: bearer(f.tokens.all.owner) });
    expect(none.statusCode).toBe(400);
    expect(none.json().error.message).toMatch(/JSON object/);
  });

  it('unknown routes are 404 in the error body; a bad page size is 400 on limit', async () => {
    const res = await f.app.inject({ url: '/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('IPG_NOT_FOUND');
    const page = await f.app.inject({ url: '/v1/tenants?limit=0', headers: bearer(f.tokens.all.viewer) });
    expect(page.statusCode).toBe(400);
    expect(page.json().error).toMatchObject({ field: 'limit', message: 'limit must be >= 1.' });
  });
});
