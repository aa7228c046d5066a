import { SuiteResources } from '@ipgate/test-support/suite-resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli.test-support.js';
import { type ManagedServer, startManagedServer } from './managed-server.test-support.js';

// Each test runs the real binary several times; on a loaded machine one start takes seconds.
let s: ManagedServer;
let tenant: string;

/** Closed by afterAll, also when beforeAll outlasts its timeout under load. */
const started = new SuiteResources();

beforeAll(async () => {
  await ensureBuilt();
  s = await started.add(startManagedServer(), (server) => server.close(), 'ipgate');
  tenant = (await s.api<{ id: string }>('POST', '/v1/tenants', { name: 'Acme', ipMode: 'manual' })).id;
}, 180_000);

afterAll(() => started.closeAll());

interface Key {
  id: string;
  name: string;
  prefix: string;
  status: string;
  secret?: string;
  version: number;
}

interface Entry {
  id: string;
  name: string;
  canonical: string;
  enabled?: boolean;
  expiresAt?: string | null;
  version: number;
  warnings?: { code: string; message: string }[];
}

describe('ipgate keys', { timeout: 120_000 }, () => {
  it('create prints the secret once, set apart; list and get never show it', async () => {
    const r = await s.ipgate(['keys', 'create', 'ci', '--tenant', tenant, '--ip-restriction', 'on']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Created key key_\S+ "ci" of tenant ten_\S+\.\n/);
    expect(r.stdout).toContain(
      'Secret (shown this once; ipgate keeps only its hash — store it now):\n\n  ipg_live_',
    );
    const secret = /^ {2}(ipg_live_\S+)$/m.exec(r.stdout)?.[1] as string;
    expect(secret).toMatch(/^ipg_live_[A-Za-z0-9_-]{20,}$/);

    const list = await s.ipgate(['keys', 'list', '--tenant', tenant]);
    expect(list.stdout).toMatch(/^ID +NAME +PREFIX +STATUS +OWN RULES +ROTATED +VERSION$/m);
    expect(list.stdout).toMatch(/ ci +ipg_live_\S+ +active +ip +- +1$/m);
    expect(list.stdout).not.toContain(secret);
    const id = (await s.json<{ items: Key[] }>(['keys', 'list', '--tenant', tenant])).body.items[0]
      ?.id as string;
    const get = await s.json<Key>(['keys', 'get', id, '--tenant', tenant]);
    expect(get.body).not.toHaveProperty('secret');
    expect(secret.startsWith(get.body.prefix)).toBe(true);
  });

  it('create --json carries the secret for scripts', async () => {
    const r = await s.json<Key>(['keys', 'create', 'deploy', '--tenant', tenant]);
    expect(r.code).toBe(0);
    expect(r.body.secret).toMatch(/^ipg_live_/);
    expect(r.stderr).toBe('');
  });

  it('rotate prints a new secret and says the old one stopped; revoke ends the key', async () => {
    const created = await s.json<Key>(['keys', 'create', 'rotating', '--tenant', tenant]);
    const rotated = await s.ipgate(['keys', 'rotate', created.body.id, '--tenant', tenant]);
    expect(rotated.code, rotated.stderr).toBe(0);
    const secret = /^ {2}(ipg_live_\S+)$/m.exec(rotated.stdout)?.[1];
    expect(secret).toMatch(/^ipg_live_/);
    expect(secret).not.toBe(created.body.secret);
    expect(rotated.stdout).toContain('The old secret stopped working.');

    const revoked = await s.ipgate(['keys', 'revoke', created.body.id, '--tenant', tenant]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toBe(`revoked key ${created.body.id} (rotating): it stops working for good.\n`);
    const after = await s.json<Key>(['keys', 'get', created.body.id, '--tenant', tenant]);
    expect(after.body.status).toBe('revoked');
  });

  it('update switches restrictions with If-Match; --tenant is required', async () => {
    const { body } = await s.json<Key>(['keys', 'create', 'switchy', '--tenant', tenant]);
    const r = await s.json<Key & { domainRestrictionEnabled: boolean }>([
      'keys',
      'update',
      body.id,
      '--tenant',
      tenant,
      '--domain-restriction',
      'on',
    ]);
    expect(r.body).toMatchObject({ domainRestrictionEnabled: true, version: 2 });
    const stale = await s.ipgate([
      'keys',
      'update',
      body.id,
      '--tenant',
      tenant,
      '--name',
      'x',
      '--expect-version',
      '1',
    ]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('IPG_VERSION_CONFLICT');
    const noTenant = await s.ipgate(['keys', 'list']);
    expect(noTenant.code).toBe(2);
    expect(noTenant.stderr).toContain("required option '--tenant <tenantId>' not specified");
    const badSwitch = await s.ipgate([
      'keys',
      'update',
      body.id,
      '--tenant',
      tenant,
      '--ip-restriction',
      'yes',
    ]);
    expect(badSwitch.code).toBe(2);
    expect(badSwitch.stderr).toContain('expected on or off');
  });
});

describe("ipgate entries on a tenant's IP list", { timeout: 120_000 }, () => {
  it('add shows the entry and the server warnings; list shows it in a table', async () => {
    const r = await s.ipgate([
      'entries',
      'add',
      '10.0.0.0/8',
      '--tenant',
      tenant,
      '--name',
      'vpn',
      '--expires',
      '30d',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^added 10\.0\.0\.0\/8 "vpn" \(ent_\S+, version 1\) to the IP list of tenant ten_\S+\n$/,
    );
    expect(r.stderr).toMatch(/^warning: .*non-public.*\(IPG_WARN_NON_PUBLIC\)$/m);
    const list = await s.ipgate(['entries', 'list', '--tenant', tenant]);
    expect(list.stdout).toMatch(/^ID +VALUE +NAME +STATE +EXPIRES +SOURCE +VERSION$/m);
    expect(list.stdout).toMatch(/^ent_\S+ +10\.0\.0\.0\/8 +vpn +active +20\d\d-\S+Z +manual +1$/m);
    const json = await s.json<Entry>(['entries', 'add', '10.1.2.3', '--tenant', tenant]);
    expect(json.body.warnings?.map((w) => w.code)).toContain('IPG_WARN_COVERED_BY');
  });

  it("a bad entry is the server's error with the argument named, exit 2", async () => {
    const r = await s.ipgate(['entries', 'add', '10.0.0.1/8', '--tenant', tenant]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: "10.0.0.1/8" has host bits set after /8.');
    expect(r.stderr).toContain('field: value (<value>)');
    expect(r.stderr).toContain('hint:');
    expect(r.stderr).toContain('(IPG_ENTRY_HOST_BITS, HTTP 400)');
    const json = await s.json(['entries', 'add', '10.0.0.1/8', '--tenant', tenant]);
    expect(json.body).toMatchObject({ error: { code: 'IPG_ENTRY_HOST_BITS', field: 'value', status: 400 } });
  });

  it('edit shows what changed; --expires never clears the expiry', async () => {
    const e = await s.api<Entry>('POST', `/v1/tenants/${tenant}/ip-restriction/entries`, {
      value: '198.51.100.0/24',
      name: 'partner',
      expiresAt: '2099-01-01T00:00:00.000Z',
    });
    const r = await s.ipgate([
      'entries',
      'edit',
      e.id,
      '--tenant',
      tenant,
      '--name',
      'partner B',
      '--disable',
      '--expires',
      'never',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `changed 198.51.100.0/24 "partner B" (${e.id}, version 2) on the IP list of tenant ${tenant}`,
    );
    expect(r.stdout).toMatch(/^ {2}name: +partner → partner B$/m);
    expect(r.stdout).toMatch(/^ {2}enabled: +yes → no$/m);
    expect(r.stdout).toMatch(/^ {2}expiresAt: +2099-01-01T00:00:00.000Z → none$/m);
  });

  it('an edit after a concurrent change is refused, exit 1', async () => {
    const e = await s.api<Entry>('POST', `/v1/tenants/${tenant}/ip-restriction/entries`, {
      value: '192.0.2.1',
    });
    await s.api('PATCH', `/v1/tenants/${tenant}/ip-restriction/entries/${e.id}`, { name: 'someone else' });
    const r = await s.ipgate([
      'entries',
      'edit',
      e.id,
      '--tenant',
      tenant,
      '--name',
      'me',
      '--expect-version',
      '1',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is at version 2, not 1');
    expect((await s.api<Entry>('GET', `/v1/tenants/${tenant}/ip-restriction/entries/${e.id}`)).name).toBe(
      'someone else',
    );
  });

  it('removing the entry that admits your own address is refused until --confirm-lockout', async () => {
    const own = await s.api<Entry>('POST', `/v1/tenants/${tenant}/ip-restriction/entries`, {
      value: '127.0.0.1',
      name: 'this machine',
    });
    const refused = await s.ipgate(['entries', 'remove', own.id, '--tenant', tenant]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('deny your own address 127.0.0.1');
    expect(refused.stderr).toContain('field: confirmLockout (--confirm-lockout)');
    expect(refused.stderr).toContain('hint: If you mean it, repeat the command with --confirm-lockout.');
    const confirmed = await s.ipgate(['entries', 'remove', own.id, '--tenant', tenant, '--confirm-lockout']);
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect(confirmed.stdout).toBe(
      `removed 127.0.0.1 "this machine" (${own.id}, version 1) from the IP list of tenant ${tenant}\n`,
    );
  });
});

describe("ipgate entries on an API's allowlist and a key's rules", { timeout: 120_000 }, () => {
  it("adds, lists and removes on an API's allowlist", async () => {
    const api = await s.api<{ id: string }>('POST', '/v1/apis', {
      name: 'orders',
      upstreamUrl: 'http://127.0.0.1:9',
    });
    const empty = await s.ipgate(['entries', 'list', '--api', api.id]);
    expect(empty.stdout).toBe(`no entries on the allowlist of API ${api.id}\n`);
    // An empty allowlist admits everyone, this machine too: a first entry that leaves it out is guarded.
    const guarded = await s.ipgate(['entries', 'add', '203.0.113.0/24', '--api', api.id]);
    expect(guarded.code).toBe(1);
    expect(guarded.stderr).toContain("the API's network allowlist deny your own address 127.0.0.1");
    await s.ipgate(['entries', 'add', '127.0.0.0/8', '--api', api.id, '--name', 'loopback']);
    const added = await s.json<Entry>([
      'entries',
      'add',
      '203.0.113.0/24',
      '--api',
      api.id,
      '--name',
      'office',
    ]);
    expect(added.code, JSON.stringify(added.body)).toBe(0);
    const list = await s.json<{ items: Entry[] }>(['entries', 'list', '--api', api.id]);
    expect(list.body.items.map((e) => e.canonical)).toEqual(['127.0.0.0/8', '203.0.113.0/24']);
    const removed = await s.ipgate(['entries', 'remove', added.body.id, '--api', api.id]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(`removed 203.0.113.0/24 "office" (${added.body.id}, version 1)`);
  });

  it("manages a key's IP rules and domain rules (read through their list for If-Match)", async () => {
    const key = await s.api<Key>('POST', `/v1/tenants/${tenant}/keys`, { name: 'browser' });
    const target = ['--tenant', tenant, '--key', key.id];
    const ip = await s.json<Entry>(['entries', 'add', '203.0.113.7', ...target, '--name', 'partner']);
    expect(ip.code, ip.stderr).toBe(0);
    const domain = await s.json<Entry>(['entries', 'add', '*.Example.com', ...target, '--domains']);
    expect(domain.body.canonical).toBe('*.example.com');
    const domains = await s.ipgate(['entries', 'list', ...target, '--domains']);
    expect(domains.stdout).toMatch(/^ID +VALUE +NAME +VERSION$/m);
    expect(domains.stdout).toMatch(/^kde_\S+ +\*\.example\.com +1$/m);

    const edited = await s.ipgate(['entries', 'edit', ip.body.id, ...target, '--value', '203.0.113.8']);
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).toMatch(/^ {2}value: +203\.0\.113\.7 → 203\.0\.113\.8$/m);
    const removed = await s.ipgate(['entries', 'remove', domain.body.id, ...target, '--domains']);
    expect(removed.code, removed.stderr).toBe(0);
    const missing = await s.ipgate(['entries', 'remove', domain.body.id, ...target, '--domains']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`No entry "${domain.body.id}" on the domain rules of key ${key.id}.`);
    const badDomain = await s.ipgate(['entries', 'add', 'https://example.com/path', ...target, '--domains']);
    expect(badDomain.code).toBe(2);
    expect(badDomain.stderr).toContain('IPG_DOMAIN_HAS_PATH');
  });

  it.each([
    [['entries', 'list'], 'say which list: --tenant <tenantId>'],
    [
      ['entries', 'list', '--api', 'api_1', '--tenant', 'ten_1'],
      "--api names an API's allowlist; it does not go with --tenant",
    ],
    [['entries', 'list', '--key', 'key_1'], '--key needs --tenant'],
    [['entries', 'list', '--tenant', 'ten_1', '--domains'], "--domains is for a key's domain rules"],
    [
      ['entries', 'add', '10.0.0.1', '--tenant', 'ten_1', '--key', 'key_1', '--expires', '1d'],
      '--expires: the IP rules of key key_1 hold a value and a name only.',
    ],
    [
      ['entries', 'remove', 'kie_1', '--tenant', 'ten_1', '--key', 'key_1', '--confirm-lockout'],
      'are never guarded',
    ],
    [['entries', 'edit', 'ent_1', '--tenant', 'ten_1'], 'nothing to change'],
    [
      ['entries', 'edit', 'ent_1', '--tenant', 'ten_1', '--enable', '--disable'],
      'give --enable or --disable, not both',
    ],
    [
      ['entries', 'add', '10.0.0.1', '--tenant', 'ten_1', '--expires', 'tomorrow'],
      'expected a time with a zone',
    ],
    [
      ['entries', 'add', '10.0.0.1', '--tenant', 'ten_1', '--expires', '2030-01-01T00:00:00'],
      'expected a time with a zone',
    ],
  ])('%j is a usage error before any request, exit 2', async (args, message) => {
    const r = await s.ipgate(args, { IPGATE_SERVER: 'http://127.0.0.1:1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('connect');
  });
});
