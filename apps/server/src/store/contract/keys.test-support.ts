import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../store.js';
import { as, type ContractContext, collect, contractHelpers } from './context.test-support.js';

/**
 * Keys and their own lists.
 *
 * @example keysContract(context); // inside the describe of storeContract
 */
export function keysContract(context: ContractContext): void {
  const { rejects, changes, tenant } = contractHelpers(context);
  let store: Store;
  beforeAll(() => {
    store = context.store();
  });

  describe('keys', () => {
    it('creates a key whose secret is shown once and found by its hash', async () => {
      const t = await tenant();
      const { key, secret } = await changes(
        'key.created',
        () => store.createKey(t.id, { name: 'ci', ipRestrictionEnabled: true }, as),
        {
          tenantId: t.id,
        },
      );
      expect(secret).toMatch(/^ipg_live_[A-Za-z0-9_-]{43}$/);
      expect(secret.startsWith(key.prefix)).toBe(true);
      expect(key).toMatchObject({
        tenantId: t.id,
        status: 'active',
        ipRestrictionEnabled: true,
        domainRestrictionEnabled: false,
        version: 1,
      });
      expect(await store.findKeyBySecret(secret)).toEqual(key);
      expect(await store.findKeyBySecret(`${secret}x`)).toBeUndefined();
      expect(await store.findKeyBySecret('nonsense')).toBeUndefined();
      const event = (await store.listAuditEvents(t.id)).items[0];
      expect(JSON.stringify(event)).not.toContain(secret);
    });

    it('rotates (the old secret stops working) and revokes (once)', async () => {
      const t = await tenant();
      const { key, secret } = await store.createKey(t.id, { name: 'k' }, as);
      const rotated = await changes(
        'key.rotated',
        () => store.rotateKey(t.id, key.id, { ...as, expectedVersion: 1 }),
        { keyId: key.id },
      );
      expect(rotated.secret).not.toBe(secret);
      expect(rotated.key.rotatedAt).toBeInstanceOf(Date);
      expect(await store.findKeyBySecret(secret)).toBeUndefined();
      expect((await store.findKeyBySecret(rotated.secret))?.id).toBe(key.id);
      await rejects(() => store.rotateKey(t.id, key.id, { ...as, expectedVersion: 1 }), {
        code: 'IPG_VERSION_CONFLICT',
      });
      const revoked = await changes('key.revoked', () => store.revokeKey(t.id, key.id, as));
      expect(revoked).toMatchObject({ status: 'revoked', version: 3 });
      expect(await store.findKeyBySecret(rotated.secret)).toBeUndefined();
      const version = await store.currentVersion();
      expect(await store.revokeKey(t.id, key.id, as)).toEqual(revoked);
      expect(await store.currentVersion()).toBe(version);
    });

    it('updates name and switches; refuses bad input and other tenants', async () => {
      const a = await tenant('A');
      const b = await tenant('B');
      const { key } = await store.createKey(a.id, { name: 'k' }, as);
      const u = await changes('key.updated', () =>
        store.updateKey(a.id, key.id, { domainRestrictionEnabled: true }, { ...as, expectedVersion: 1 }),
      );
      expect(u).toMatchObject({ domainRestrictionEnabled: true, version: 2 });
      await rejects(() => store.updateKey(a.id, key.id, { ipRestrictionEnabled: 'on' as never }, as), {
        status: 400,
        field: 'ipRestrictionEnabled',
      });
      await rejects(() => store.createKey(a.id, { name: ' ' }, as), { status: 400, field: 'name' });
      for (const call of [
        () => store.getKey(b.id, key.id),
        () => store.updateKey(b.id, key.id, { name: 'x' }, as),
        () => store.rotateKey(b.id, key.id, as),
        () => store.revokeKey(b.id, key.id, as),
        () => store.listKeyIpEntries(b.id, key.id),
        () => store.createKey('ten_missing', { name: 'k' }, as),
        () => store.listKeys('ten_missing'),
      ]) {
        await rejects(call, { code: 'IPG_NOT_FOUND' });
      }
      expect((await store.listKeys(b.id)).items).toEqual([]);
    });

    it('pages through a tenant’s keys', async () => {
      const t = await tenant();
      for (let i = 0; i < 5; i++) await store.createKey(t.id, { name: `k${i}` }, as);
      const paged = await collect((cursor) => store.listKeys(t.id, { limit: 2, cursor }));
      // Creation time orders the list; keys made within one millisecond order by id.
      expect(paged.map((k) => k.id)).toEqual(
        (await store.listKeys(t.id, { limit: 500 })).items.map((k) => k.id),
      );
      expect(paged.map((k) => k.name).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    });
  });

  describe.each([
    {
      list: 'IP',
      values: ['198.51.100.0/24', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5', '203.0.113.6'],
      bad: '203.0.113.1/8',
      same: '198.51.100.0/255.255.255.0',
    },
    {
      list: 'domain',
      values: [
        'a.example.com',
        'b.example.com',
        'c.example.com',
        'd.example.com',
        'e.example.com',
        'f.example.com',
      ],
      bad: 'https://x.example.com/path',
      same: 'A.EXAMPLE.COM',
    },
  ])('key $list entries', ({ list, values, bad, same }) => {
    const ops = (s: Store) =>
      list === 'IP'
        ? {
            add: s.addKeyIpEntry.bind(s),
            update: s.updateKeyIpEntry.bind(s),
            remove: s.removeKeyIpEntry.bind(s),
            list: s.listKeyIpEntries.bind(s),
            action: 'key.ip_entry',
          }
        : {
            add: s.addKeyDomainEntry.bind(s),
            update: s.updateKeyDomainEntry.bind(s),
            remove: s.removeKeyDomainEntry.bind(s),
            list: s.listKeyDomainEntries.bind(s),
            action: 'key.domain_entry',
          };

    it('adds up to the per-key limit of 5, then refuses', async () => {
      const o = ops(store);
      const t = await tenant();
      const { key } = await store.createKey(t.id, { name: 'k' }, as);
      const first = await changes(
        `${o.action}.added`,
        () => o.add(t.id, key.id, { value: values[0] as string, name: 'first' }, as),
        {
          tenantId: t.id,
          keyId: key.id,
        },
      );
      expect(first).toMatchObject({ keyId: key.id, name: 'first', version: 1 });
      for (const value of values.slice(1, 5)) await o.add(t.id, key.id, { value }, as);
      await rejects(() => o.add(t.id, key.id, { value: values[5] as string }, as), {
        code: 'IPG_LIMIT_REACHED',
      });
      expect(await o.list(t.id, key.id)).toHaveLength(5);
    });

    it('refuses duplicates and bad values, and keeps tenants apart', async () => {
      const o = ops(store);
      const a = await tenant('A');
      const b = await tenant('B');
      const { key } = await store.createKey(a.id, { name: 'k' }, as);
      const e = await o.add(a.id, key.id, { value: values[0] as string }, as);
      await rejects(() => o.add(a.id, key.id, { value: same }, as), {
        code: 'IPG_ALREADY_EXISTS',
        field: 'value',
      });
      await rejects(() => o.add(a.id, key.id, { value: bad }, as), { status: 400, field: 'value' });
      await rejects(() => o.add(b.id, key.id, { value: values[1] as string }, as), {
        code: 'IPG_NOT_FOUND',
      });
      await rejects(() => o.update(b.id, key.id, e.id, { name: 'x' }, as), { code: 'IPG_NOT_FOUND' });
      await rejects(() => o.remove(b.id, key.id, e.id, as), { code: 'IPG_NOT_FOUND' });
      await rejects(() => o.remove(a.id, key.id, 'kie_missing', as), { code: 'IPG_NOT_FOUND' });
      expect(await o.list(a.id, key.id)).toEqual([e]);
    });

    it('updates with version checks and removes', async () => {
      const o = ops(store);
      const t = await tenant();
      const { key } = await store.createKey(t.id, { name: 'k' }, as);
      const e = await o.add(t.id, key.id, { value: values[0] as string }, as);
      const u = await changes(`${o.action}.updated`, () =>
        o.update(t.id, key.id, e.id, { value: values[1] as string }, { ...as, expectedVersion: 1 }),
      );
      expect(u).toMatchObject({ value: values[1], version: 2 });
      await rejects(() => o.update(t.id, key.id, e.id, { name: 'x' }, { ...as, expectedVersion: 1 }), {
        code: 'IPG_VERSION_CONFLICT',
      });
      await rejects(() => o.update(t.id, key.id, e.id, { value: bad }, as), {
        status: 400,
        field: 'value',
      });
      await changes(`${o.action}.removed`, () => o.remove(t.id, key.id, e.id, { ...as, expectedVersion: 2 }));
      expect(await o.list(t.id, key.id)).toEqual([]);
    });
  });
}
