import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../store.js';
import { as, type ContractContext, collect, contractHelpers } from './context.test-support.js';

/**
 * Admin tokens.
 *
 * @example tokensContract(context); // inside the describe of storeContract
 */
export function tokensContract(context: ContractContext): void {
  const { rejects, changes, tenant } = contractHelpers(context);
  let store: Store;
  beforeAll(() => {
    store = context.store();
  });

  describe('admin tokens', () => {
    it('creates a token whose secret is shown once and found by its hash', async () => {
      const count = await store.countPrincipals();
      const { principal, secret } = await changes(
        'principal.created',
        () => store.createToken({ name: `ops ${Math.random()}`, role: 'owner' }, as),
        {
          tenantId: null,
        },
      );
      expect(secret).toMatch(/^ipg_adm_[A-Za-z0-9_-]{43}$/);
      expect(principal).toMatchObject({ kind: 'token', role: 'owner', tenantId: null, version: 1 });
      expect(await store.findTokenBySecret(secret)).toEqual(principal);
      // One character changed (never to itself: a secret ending in "A" once made this test fail).
      const other = secret.endsWith('A') ? 'B' : 'A';
      expect(await store.findTokenBySecret(`${secret.slice(0, -1)}${other}`)).toBeUndefined();
      expect(await store.countPrincipals()).toBe(count + 1);
      expect(JSON.stringify((await store.listAllAuditEvents({ limit: 1 })).items)).not.toContain(secret);
    });

    it('never takes a key secret for a token or a token secret for a key', async () => {
      const t = await tenant();
      const key = await store.createKey(t.id, { name: 'k' }, as);
      const token = await store.createToken(
        { name: `t ${Math.random()}`, role: 'viewer', tenantId: t.id },
        as,
      );
      expect(token.principal.tenantId).toBe(t.id);
      expect(await store.findTokenBySecret(key.secret)).toBeUndefined();
      expect(await store.findKeyBySecret(token.secret)).toBeUndefined();
      expect(await store.findTokenBySecret('ipg_adm_x'.repeat(40))).toBeUndefined();
    });

    it.each([
      [{ name: '', role: 'owner' }, 'name'],
      [{ name: 'x', role: 'admin' }, 'role'],
      [{ name: 'x', role: 'owner', tenantId: 7 }, 'tenantId'],
    ])('refuses bad input %j on field %s', async (input, field) => {
      await rejects(() => store.createToken(input as never, as), { status: 400, field });
    });

    it('refuses a duplicate name and an unknown tenant', async () => {
      const name = `dup ${Math.random()}`;
      await store.createToken({ name, role: 'editor' }, as);
      await rejects(() => store.createToken({ name, role: 'viewer' }, as), {
        code: 'IPG_ALREADY_EXISTS',
        field: 'name',
      });
      await rejects(() => store.createToken({ name: 'x', role: 'viewer', tenantId: 'ten_missing' }, as), {
        code: 'IPG_NOT_FOUND',
      });
    });

    it('lists and deletes; a deleted token stops working', async () => {
      const made = [];
      for (let i = 0; i < 3; i++)
        made.push(await store.createToken({ name: `list ${i} ${Math.random()}`, role: 'viewer' }, as));
      const paged = await collect((cursor) => store.listPrincipals({ limit: 2, cursor }));
      expect(paged.map((p) => p.id)).toEqual(
        (await store.listPrincipals({ limit: 500 })).items.map((p) => p.id),
      );
      expect(paged.map((p) => p.id)).toEqual(expect.arrayContaining(made.map((m) => m.principal.id)));
      const [victim] = made;
      if (victim === undefined) throw new Error('unreachable');
      await rejects(() => store.deletePrincipal(victim.principal.id, { ...as, expectedVersion: 2 }), {
        code: 'IPG_VERSION_CONFLICT',
      });
      const count = await store.countPrincipals();
      await changes('principal.deleted', () =>
        store.deletePrincipal(victim.principal.id, { ...as, expectedVersion: 1 }),
      );
      expect(await store.findTokenBySecret(victim.secret)).toBeUndefined();
      expect(await store.countPrincipals()).toBe(count - 1);
      await rejects(() => store.deletePrincipal(victim.principal.id, as), { code: 'IPG_NOT_FOUND' });
      await rejects(() => store.getPrincipal(victim.principal.id), { code: 'IPG_NOT_FOUND', status: 404 });
    });

    it('lists one tenant’s principals by tenant, and gets one by id', async () => {
      const a = await tenant('tokens a');
      const b = await tenant('tokens b');
      const ofA = [];
      for (let i = 0; i < 3; i++)
        ofA.push(
          (await store.createToken({ name: `a ${i} ${a.id}`, role: 'viewer', tenantId: a.id }, as)).principal,
        );
      await store.createToken({ name: `b ${b.id}`, role: 'editor', tenantId: b.id }, as);
      const paged = await collect((cursor) => store.listPrincipals({ limit: 2, cursor }, { tenantId: a.id }));
      expect(paged.map((p) => p.id)).toEqual(ofA.map((p) => p.id));
      expect(await store.getPrincipal(ofA[1]?.id as string)).toEqual(ofA[1]);
    });
  });
}
