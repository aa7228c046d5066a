/**
 * What the management API says of a key's two restriction switches (docs/architecture/domains.md#browser-keys-and-server-keys):
 * the kind they make, and a warning — on create, edit, get and list — when both are on, because an
 * `Origin` is chosen by the caller and proves nothing against a server that holds the key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteFactory } from '../store/test-stores.test-support.js';
import { type AdminFixture, bearer, openAdminFixture } from './admin-fixture.test-support.js';

interface KeyAnswer {
  id: string;
  kind: string;
  warnings?: { code: string; message: string }[];
}

describe('key kinds and the both-lists warning', () => {
  let f: AdminFixture;
  beforeAll(async () => {
    f = await openAdminFixture(sqliteFactory());
  });
  afterAll(async () => f?.close());

  const call = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
    const res = await f.app.inject({
      method,
      url,
      headers: bearer(f.tokens.all.owner),
      ...(payload === undefined ? {} : { payload }),
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json();
  };
  const keys = () => `/v1/tenants/${f.a.tenantId}/keys`;
  const warningCodes = (k: KeyAnswer) => (k.warnings ?? []).map((w) => w.code);

  it('a key with both lists is "both" and warns that Origin is chosen by the caller, everywhere it is shown', async () => {
    const created = (await call('POST', keys(), {
      name: 'mixed',
      ipRestrictionEnabled: true,
      domainRestrictionEnabled: true,
    })) as KeyAnswer;
    expect(created.kind).toBe('both');
    expect(warningCodes(created)).toEqual(['IPG_WARN_KEY_ORIGIN_CHOSEN_BY_CALLER']);
    expect(created.warnings?.[0]?.message).toMatch(/Origin is chosen by the caller/);

    const got = (await call('GET', `${keys()}/${created.id}`)) as KeyAnswer;
    expect(warningCodes(got)).toEqual(['IPG_WARN_KEY_ORIGIN_CHOSEN_BY_CALLER']);
    const listed = ((await call('GET', keys())) as { items: KeyAnswer[] }).items.find(
      (k) => k.id === created.id,
    );
    expect(listed && warningCodes(listed)).toEqual(['IPG_WARN_KEY_ORIGIN_CHOSEN_BY_CALLER']);

    // Split into a browser key: the warning goes.
    const browser = (await call('PATCH', `${keys()}/${created.id}`, {
      ipRestrictionEnabled: false,
    })) as KeyAnswer;
    expect(browser.kind).toBe('browser');
    expect(warningCodes(browser)).toEqual([]);
  });

  it('a server key, a browser key and a plain key carry no warning', async () => {
    for (const [body, kind] of [
      [{ ipRestrictionEnabled: true }, 'server'],
      [{ domainRestrictionEnabled: true }, 'browser'],
      [{}, 'any'],
    ] as const) {
      const k = (await call('POST', keys(), { name: `k-${kind}`, ...body })) as KeyAnswer;
      expect(k.kind).toBe(kind);
      expect(warningCodes(k)).toEqual([]);
    }
  });
});
