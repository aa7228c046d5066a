/**
 * Importing and exporting network lists over the management API: preview, all-or-nothing apply,
 * limits, the lockout guard, the basis against concurrent edits, roles, and the exact round trip.
 */
import { isIpGateError } from '@ipgate/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnapshotEngine } from '../snapshot/snapshot-engine.js';
import type { Store } from '../store/store.js';
import { sqliteFactory, storeFactories } from '../store/test-stores.test-support.js';
import { type AdminFixture, bearer, openAdminFixture } from './admin-fixture.test-support.js';
import { buildAdminApp } from './app.js';

const as = { actor: 'test:import' };

for (const factory of await storeFactories()) {
  describe.skipIf(factory.skip)(`list import and export over HTTP on ${factory.name}`, () => {
    let f: AdminFixture;
    beforeAll(async () => {
      f = await openAdminFixture(factory);
    });
    afterAll(async () => f?.close());
    const owner = () => bearer(f.tokens.all.owner);
    const newTenant = async (ipEntryLimit = 100) =>
      (await f.store.createTenant({ name: 'imp', ipMode: 'manual', ipEntryLimit }, as)).id;
    const entriesUrl = (t: string) => `/v1/tenants/${t}/ip-restriction/entries`;
    const post = (t: string, payload: object, headers = owner(), remoteAddress = '192.0.2.250') =>
      f.app.inject({ method: 'POST', url: `${entriesUrl(t)}/import`, headers, payload, remoteAddress });
    const exported = async (url: string, format: 'text' | 'csv') => {
      const r = await f.app.inject({ url: `${url}/export?format=${format}`, headers: owner() });
      expect(r.statusCode).toBe(200);
      return r.json() as { format: string; count: number; content: string; basis: string };
    };

    it('previews every line: canonical form, action, warnings, errors with line numbers; writes nothing', async () => {
      const t = await newTenant();
      await f.store.addTenantIpEntry(t, { value: '203.0.113.0/24', name: 'office' }, as);
      await f.store.addTenantIpEntry(t, { value: '198.51.100.1', name: 'gone' }, as);
      const content = [
        '# offices',
        '203.0.113.0/255.255.255.0  office',
        '10.0.0.1/8                 bad',
        '192.168.1.0/24             lab',
        '',
        '203.0.113.7                inside',
        '192.168.1.0/255.255.255.0  again',
      ].join('\n');
      const r = await post(t, { format: 'text', content, mode: 'replace', preview: true });
      expect(r.statusCode).toBe(200);
      const body = r.json();
      expect(body.summary).toEqual({ add: 2, update: 1, unchanged: 0, remove: 1, invalid: 2 });
      expect(
        body.lines.map((l: { line: number; action: string; canonical: string | null }) => [
          l.line,
          l.action,
          l.canonical,
        ]),
      ).toEqual([
        [2, 'update', '203.0.113.0/24'],
        [3, 'invalid', null],
        [4, 'add', '192.168.1.0/24'],
        [6, 'add', '203.0.113.7'],
        [7, 'invalid', null],
      ]);
      expect(body.lines[0].changes).toEqual(['value']);
      expect(body.lines[1].error).toMatchObject({
        code: 'IPG_ENTRY_HOST_BITS',
        message: expect.stringMatching(/^line 3: /),
      });
      expect(body.lines[4].error).toMatchObject({
        code: 'IPG_IMPORT_DUPLICATE',
        message: 'line 7: 192.168.1.0/24 is on line 4 already.',
      });
      const codes = (l: { warnings: { code: string }[] }) => l.warnings.map((w) => w.code);
      expect(codes(body.lines[2])).toContain('IPG_WARN_NON_PUBLIC');
      expect(codes(body.lines[3])).toContain('IPG_WARN_COVERED_BY');
      expect(body.removed.map((e: { value: string }) => e.value)).toEqual(['198.51.100.1']);
      expect(body.problems.map((p: { code: string }) => p.code)).toEqual(['IPG_IMPORT_INVALID']);
      expect(body.limit).toBe(100);
      expect(body.count).toBe(3);
      expect((await f.store.listTenantIpEntries(t)).map((e) => e.value)).toEqual([
        '203.0.113.0/24',
        '198.51.100.1',
      ]);
    });

    it('refuses a file with bad lines as a whole, naming the lines', async () => {
      const t = await newTenant();
      const r = await post(t, { content: '10.0.0.1\n10.0.0.1/8\n300.0.0.1\n' });
      expect(r.statusCode).toBe(400);
      expect(r.json().error).toMatchObject({ code: 'IPG_IMPORT_INVALID', field: 'content' });
      expect(r.json().error.message).toMatch(/^2 lines of the file are not valid: line 2: .*; line 3: /);
      const csv = await post(t, { format: 'csv', content: 'value,name,enabled\n10.0.0.1,a,perhaps\n' });
      expect(csv.json().error.message).toMatch(/line 2: enabled "perhaps"/);
      expect(await f.store.listTenantIpEntries(t)).toEqual([]);
    });

    it('applies a merge as one change and answers the counts; the next read sees it', async () => {
      const t = await newTenant();
      await f.store.addTenantIpEntry(t, { value: '203.0.113.0/24', name: 'office' }, as);
      const version = await f.store.currentVersion();
      const content =
        'value,name,expiresAt,enabled\n203.0.113.0/24,office,,false\n"198.51.100.7","vpn, old",2999-01-01T00:00:00.000Z,\n';
      const r = await post(t, { format: 'csv', content });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({
        preview: false,
        mode: 'merge',
        summary: { add: 1, update: 1, unchanged: 0, remove: 0 },
        count: 2,
      });
      expect(await f.store.changesSince(version)).toHaveLength(1);
      expect(r.json().changeVersion).toBe(await f.store.currentVersion());
      const listed = await f.store.listTenantIpEntries(t);
      expect(listed.map((e) => [e.value, e.name, e.enabled, e.expiresAt?.toISOString() ?? null])).toEqual([
        ['203.0.113.0/24', 'office', false, null],
        ['198.51.100.7', 'vpn, old', true, '2999-01-01T00:00:00.000Z'],
      ]);
    });

    it('refuses a passed expiry, unless the line leaves an entry exactly as it is', async () => {
      const t = await newTenant();
      const past = '2001-01-01T00:00:00.000Z';
      const r = await post(t, { format: 'csv', content: `10.0.0.1,,${past},true\n` });
      expect(r.statusCode).toBe(400);
      expect(r.json().error.message).toMatch(/line 1: expiresAt 2001-01-01T00:00:00.000Z has passed/);
      // An expired entry already listed (it was set while still to come) re-imports unchanged.
      await f.store.addTenantIpEntry(t, { value: '10.0.0.2', expiresAt: new Date(past) }, as);
      const again = await post(t, { format: 'csv', content: `10.0.0.2,,${past},true\n` });
      expect(again.statusCode).toBe(200);
      expect(again.json().summary.unchanged).toBe(1);
    });

    it('refuses more than 1,000 entries before judging any line', async () => {
      const t = await newTenant(5000);
      const lines = Array.from({ length: 1001 }, (_, i) => `10.${i >> 8}.${i & 255}.1`);
      const r = await post(t, { content: `# many\n${lines.join('\n')}\n`, preview: true });
      expect(r.statusCode).toBe(400);
      expect(r.json().error).toMatchObject({
        code: 'IPG_IMPORT_TOO_LARGE',
        message: expect.stringMatching(/1001 entries; one import takes at most 1000/),
      });
      const ok = await post(t, { content: lines.slice(0, 1000).join('\n') });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().count).toBe(1000);
    });

    it('refuses going over the limit with how many too many; preview says so first', async () => {
      const t = await newTenant(3);
      await f.store.addTenantIpEntry(t, { value: '10.0.0.1' }, as);
      const content = '10.0.0.2\n10.0.0.3\n10.0.0.4\n';
      const preview = await post(t, { content, preview: true });
      expect(preview.json().problems).toEqual([
        expect.objectContaining({
          code: 'IPG_LIMIT_REACHED',
          message: expect.stringMatching(/4 entries, 1 over its limit of 3/),
        }),
      ]);
      const r = await post(t, { content });
      expect(r.statusCode).toBe(409);
      expect(r.json().error.code).toBe('IPG_LIMIT_REACHED');
      expect(await f.store.listTenantIpEntries(t)).toHaveLength(1);
      expect((await post(t, { content, mode: 'replace' })).statusCode).toBe(200);
    });

    it('guards against locking the caller out, as single writes do', async () => {
      const me = '203.0.113.200';
      const t = await newTenant();
      await f.store.addTenantIpEntry(t, { value: me, name: 'me' }, as);
      const content = '198.51.100.0/24 office\n';
      const refused = await post(t, { content, mode: 'replace' }, owner(), me);
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error).toMatchObject({ code: 'IPG_SELF_LOCKOUT', field: 'confirmLockout' });
      const preview = await post(t, { content, mode: 'replace', preview: true }, owner(), me);
      expect(preview.json().problems.map((p: { code: string }) => p.code)).toEqual(['IPG_SELF_LOCKOUT']);
      // Merge keeps the caller's entry: nothing to guard.
      expect((await post(t, { content }, owner(), me)).statusCode).toBe(200);
      const confirmed = await post(t, { content, mode: 'replace', confirmLockout: true }, owner(), me);
      expect(confirmed.statusCode).toBe(200);
      expect((await f.store.listTenantIpEntries(t)).map((e) => e.value)).toEqual(['198.51.100.0/24']);
    });

    it("applies on a preview's basis only while nobody edited the list; without one it takes the list as it is", async () => {
      const t = await newTenant();
      const entry = await f.store.addTenantIpEntry(t, { value: '10.0.0.1', name: 'a' }, as);
      const content = '10.0.0.1 a\n10.0.0.2 b\n';
      const { basis } = (await post(t, { content, mode: 'replace', preview: true })).json();
      // Someone edits the list between the preview and the apply.
      const edit = await f.app.inject({
        method: 'POST',
        url: entriesUrl(t),
        headers: bearer(f.tokens.all.editor),
        payload: { value: '10.0.0.9', name: 'meanwhile' },
      });
      expect(edit.statusCode).toBe(201);
      const stale = await post(t, { content, mode: 'replace', basis });
      expect(stale.statusCode).toBe(412);
      expect(stale.json().error).toMatchObject({ code: 'IPG_VERSION_CONFLICT', field: 'basis' });
      expect((await f.store.listTenantIpEntries(t)).map((e) => e.value)).toEqual(['10.0.0.1', '10.0.0.9']);
      const fresh = (await post(t, { content, mode: 'replace', preview: true })).json();
      expect(fresh.removed.map((e: { name: string }) => e.name)).toEqual(['meanwhile']);
      const ok = await post(t, { content, mode: 'replace', basis: fresh.basis });
      expect(ok.statusCode).toBe(200);
      expect((await f.store.listTenantIpEntries(t)).map((e) => e.id)[0]).toBe(entry.id);
    });

    it('lets viewers export but not import, and keeps tenants apart', async () => {
      const t = f.a.tenantId;
      const viewer = await post(t, { content: '10.0.0.1\n', preview: true }, bearer(f.tokens.a.viewer));
      expect(viewer.statusCode).toBe(403);
      expect(viewer.json().error.code).toBe('IPG_ROLE_FORBIDDEN');
      const other = await post(t, { content: '10.0.0.1\n' }, bearer(f.tokens.b.editor));
      expect([403, 404]).toContain(other.statusCode);
      const read = await f.app.inject({ url: `${entriesUrl(t)}/export`, headers: bearer(f.tokens.a.viewer) });
      expect(read.statusCode).toBe(200);
      expect(read.json().content).toBe('203.0.113.1  office\n');
      expect((await f.store.listTenantIpEntries(t)).map((e) => e.value)).toEqual(['203.0.113.1']);
    });

    it('refuses a text export of a name the text format cannot hold, and CSV holds it', async () => {
      const t = await newTenant();
      await f.store.addTenantIpEntry(t, { value: '10.0.0.1', name: '#tag' }, as);
      const text = await f.app.inject({ url: `${entriesUrl(t)}/export?format=text`, headers: owner() });
      expect(text.statusCode).toBe(409);
      expect(text.json().error.code).toBe('IPG_EXPORT_TEXT_UNSAFE');
      expect((await exported(entriesUrl(t), 'csv')).content).toBe(
        'value,name,expiresAt,enabled\n10.0.0.1,"#tag",,true\n',
      );
    });

    it('imports into an API allowlist too', async () => {
      const url = `/v1/apis/${f.apiId}/allowlist/entries`;
      const r = await f.app.inject({
        method: 'POST',
        url: `${url}/import`,
        headers: owner(),
        payload: { content: '127.0.0.0/8 local\n198.51.100.0/24 partners\n', mode: 'replace' },
      });
      expect(r.statusCode).toBe(200);
      expect(r.json().summary).toMatchObject({ add: 1, update: 1 });
      expect((await exported(url, 'text')).content).toBe(
        '127.0.0.0/8      local\n198.51.100.0/24  partners\n',
      );
    });
  });
}

describe.skipIf((await storeFactories())[0]?.skip)('export round trip on sqlite', () => {
  let f: AdminFixture;
  beforeAll(async () => {
    f = await openAdminFixture((await storeFactories())[0] as never);
  });
  afterAll(async () => f?.close());
  const owner = () => bearer(f.tokens.all.owner);

  const value = fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.tuple(fc.ipV4(), fc.integer({ min: 8, max: 32 })).map(([a, n]) => `${a}/${n}`),
    fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 255 })).map(([a, n]) => `${a}-${n}`),
  );
  const textName = fc.oneof(
    fc.constant(''),
    fc.constantFrom('office', 'vpn gateway', 'büro 2', 'a,b', 'say "hi"'),
  );
  const csvName = fc.oneof(textName, fc.constantFrom('#tag', '- dash', '10.0.0.1 twin', ' x # y'));
  const entry = (name: fc.Arbitrary<string>) =>
    fc.record({
      value,
      name,
      enabled: fc.boolean(),
      expiresAt: fc.option(
        fc.integer({ min: 0, max: 10_000 }).map((d) => new Date(Date.UTC(2100, 0, 1) + d * 3_600_000)),
        { nil: null },
      ),
    });

  /** A list filled with what a single add accepts. */
  const fill = async (
    tenantId: string,
    entries: readonly { value: string; name: string; enabled: boolean; expiresAt: Date | null }[],
  ) => {
    for (const e of entries) {
      try {
        await f.store.addTenantIpEntry(tenantId, e, as);
      } catch (error) {
        // Host bits, reversed ranges, repeats: the generator writes what people write; skip those.
        if (!isIpGateError(error)) throw error;
      }
    }
  };

  for (const format of ['csv', 'text'] as const) {
    it(`${format}: export → import (replace) into any list → export gives the same bytes`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(entry(format === 'csv' ? csvName : textName), { maxLength: 12 }),
          fc.array(entry(csvName), { maxLength: 6 }),
          async (a, b) => {
            const ta = (await f.store.createTenant({ name: 'a' }, as)).id;
            const tb = (await f.store.createTenant({ name: 'b' }, as)).id;
            await fill(ta, a);
            // B has entries of its own, and some of A's — in another order, under other names and states.
            const shared = [...a].reverse().slice(0, 3);
            await fill(tb, [...b, ...shared.map((e) => ({ ...e, name: 'other', enabled: !e.enabled }))]);
            const url = (t: string) => `/v1/tenants/${t}/ip-restriction/entries`;
            const first = await f.app.inject({ url: `${url(ta)}/export?format=${format}`, headers: owner() });
            expect(first.statusCode).toBe(200);
            const { content } = first.json();
            for (const target of [tb, ta]) {
              const imported = await f.app.inject({
                method: 'POST',
                url: `${url(target)}/import`,
                headers: owner(),
                payload: { format, content, mode: 'replace', confirmLockout: true },
              });
              expect(imported.statusCode, imported.body).toBe(200);
              const again = await f.app.inject({
                url: `${url(target)}/export?format=${format}`,
                headers: owner(),
              });
              expect(again.json().content).toBe(content);
            }
          },
        ),
        { numRuns: 25 },
      );
    });
  }
});

describe('an import racing a single write', () => {
  it('without a basis, is judged again against the list as it is and applies; with one, is refused', async () => {
    const real = await sqliteFactory().open();
    const engine = createSnapshotEngine({ store: real });
    let edits = 0;
    let racing = 0;
    // Someone adds an entry between the route's read and the import's transaction, `racing` times.
    const store: Store = {
      ...real,
      importTenantIpEntries: async (t, input, o) => {
        if (racing > 0) {
          racing--;
          await real.addTenantIpEntry(t, { value: `192.0.2.${++edits}`, name: 'meanwhile' }, as);
        }
        return real.importTenantIpEntries(t, input, o);
      },
    };
    const app = await buildAdminApp({ store, engine, authBackoff: { sleep: async () => undefined } });
    try {
      const { secret } = await real.createToken({ name: 'o', role: 'owner', tenantId: null }, as);
      const t = (await real.createTenant({ name: 'race' }, as)).id;
      const post = (payload: object) =>
        app.inject({
          method: 'POST',
          url: `/v1/tenants/${t}/ip-restriction/entries/import`,
          headers: bearer(secret),
          payload,
        });
      racing = 2;
      const ok = await post({ content: '10.0.0.1 a\n', mode: 'replace', confirmLockout: true });
      expect(ok.statusCode, ok.body).toBe(200);
      // Two attempts lost to the racing adds; the third judged the list with both — and, replacing,
      // removed them, as a preview of the list as it then was would have shown.
      expect(ok.json().summary).toEqual({ add: 1, update: 0, unchanged: 0, remove: 2 });
      expect((await real.listTenantIpEntries(t)).map((e) => e.name)).toEqual(['a']);
      // A list that keeps moving: after three attempts the conflict is answered.
      racing = 3;
      const busy = await post({ content: '10.0.0.2 b\n' });
      expect(busy.statusCode).toBe(412);
      // With a basis of the caller's own, the first conflict is answered: the caller decides again.
      const basis = (await post({ content: '10.0.0.3 c\n', preview: true })).json().basis;
      racing = 1;
      const refused = await post({ content: '10.0.0.3 c\n', basis });
      expect(refused.statusCode).toBe(412);
      expect(refused.json().error).toMatchObject({ code: 'IPG_VERSION_CONFLICT', field: 'basis' });
      expect(racing).toBe(0);
      expect((await real.listTenantIpEntries(t)).map((e) => e.canonical)).not.toContain('10.0.0.3');
    } finally {
      await app.close();
      engine.close();
      await real.close();
    }
  });
});
