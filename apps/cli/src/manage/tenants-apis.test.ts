import { SuiteResources } from '@ipgate/test-support/suite-resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli.test-support.js';
import { type ManagedServer, startManagedServer } from './managed-server.test-support.js';

// Each test runs the real binary several times; on a loaded machine one start takes seconds.
let s: ManagedServer;

/** Closed by afterAll, also when beforeAll outlasts its timeout under load. */
const started = new SuiteResources();

beforeAll(async () => {
  await ensureBuilt();
  s = await started.add(startManagedServer(), (server) => server.close(), 'ipgate');
}, 180_000);

afterAll(() => started.closeAll());

interface Tenant {
  id: string;
  name: string;
  ipMode: string;
  ipEntryLimit: number;
  version: number;
}

describe('ipgate tenants', { timeout: 120_000 }, () => {
  it('creates a tenant and shows it as text, exit 0', async () => {
    const r = await s.ipgate(['tenants', 'create', 'Acme', '--mode', 'off', '--ip-entry-limit', '20']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^created tenant ten_\S+\n/);
    expect(r.stdout).toMatch(/^name {14}Acme$/m);
    expect(r.stdout).toMatch(/^mode {14}off$/m);
    expect(r.stdout).toMatch(/^ip entry limit {4}20$/m);
  });

  it('lists tenants as an aligned table, and as one JSON document with --json', async () => {
    await s.ipgate(['tenants', 'create', 'Globex Corporation']);
    const text = await s.ipgate(['tenants', 'list']);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +NAME +MODE +IP ENTRY LIMIT +KEY IP LIMIT +KEY DOMAIN LIMIT +VERSION$/);
    // Aligned: every row's second column starts where the heading's does.
    const nameAt = (lines[0] ?? '').indexOf('NAME');
    for (const line of lines.slice(1)) expect(line.slice(nameAt)).toMatch(/^(Acme|Globex Corporation) /);
    const json = await s.json<{ items: Tenant[] }>(['tenants', 'list']);
    expect(json.code).toBe(0);
    expect(json.body.items.map((t) => t.name)).toEqual(
      expect.arrayContaining(['Acme', 'Globex Corporation']),
    );
    expect(json.body.items[0]).toHaveProperty('version');
  });

  it('follows every page, and --limit stops with the cursor to go on from', async () => {
    for (const name of ['p1', 'p2', 'p3']) await s.api('POST', '/v1/tenants', { name });
    const all = await s.json<{ items: Tenant[] }>(['tenants', 'list']);
    const limited = await s.ipgate(['tenants', 'list', '--limit', '2']);
    expect(limited.code).toBe(0);
    expect(limited.stdout.trimEnd().split('\n')).toHaveLength(3);
    const cursor = /more: add --cursor (\S+)/.exec(limited.stderr)?.[1];
    expect(cursor).toBeDefined();
    const rest = await s.json<{ items: Tenant[] }>(['tenants', 'list', '--cursor', cursor as string]);
    expect(rest.body.items).toHaveLength(all.body.items.length - 2);
  });

  it('update renames and changes the mode with the version just read; get shows the result', async () => {
    const created = await s.json<Tenant>(['tenants', 'create', 'Initech']);
    const id = created.body.id;
    const r = await s.ipgate(['tenants', 'update', id, '--name', 'Initech Ltd', '--mode', 'off']);
    expect(r.code, r.stderr).toBe(0);
    const got = await s.json<Tenant>(['tenants', 'get', id]);
    expect(got.body).toMatchObject({ id, name: 'Initech Ltd', ipMode: 'off', version: 3 });
  });

  it('a stale --expect-version is refused with the conflict explained, exit 1, and nothing changes', async () => {
    const { body } = await s.json<Tenant>(['tenants', 'create', 'Umbrella']);
    await s.api('PATCH', `/v1/tenants/${body.id}`, { name: 'Umbrella (changed elsewhere)' });
    const r = await s.ipgate([
      'tenants',
      'update',
      body.id,
      '--name',
      'Umbrella Corp',
      '--expect-version',
      '1',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('is at version 2, not 1: it changed since it was read.');
    expect(r.stderr).toContain('field: version (--expect-version)');
    expect(r.stderr).toContain('hint: Someone else changed it since it was read');
    expect(r.stderr).toContain('(IPG_VERSION_CONFLICT, HTTP 412)');
    const json = await s.json([
      'tenants',
      'update',
      body.id,
      '--name',
      'Umbrella Corp',
      '--expect-version',
      '1',
    ]);
    expect(json.code).toBe(1);
    expect(json.body).toMatchObject({
      error: { code: 'IPG_VERSION_CONFLICT', field: 'version', option: '--expect-version', status: 412 },
    });
    const now = await s.api<Tenant>('GET', `/v1/tenants/${body.id}`);
    expect(now.name).toBe('Umbrella (changed elsewhere)');
  });

  it('delete removes the tenant and says so; a second delete is not found, exit 1', async () => {
    const { body } = await s.json<Tenant>(['tenants', 'create', 'Doomed']);
    const r = await s.ipgate(['tenants', 'delete', body.id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`deleted tenant ${body.id} (Doomed) with its keys and lists\n`);
    const again = await s.ipgate(['tenants', 'delete', body.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`error: No tenant "${body.id}".`);
    expect(again.stderr).toContain('(IPG_NOT_FOUND, HTTP 404)');
  });

  it('a field the server refuses is named with the option that sets it, exit 2', async () => {
    const r = await s.ipgate(['tenants', 'create', 'x'.repeat(201)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: .*name/);
    expect(r.stderr).toContain('field: name (<name>)');
    expect(r.stderr).toContain('HTTP 400');
  });

  it('usage mistakes are caught before any request, exit 2', async () => {
    const nothing = await s.ipgate(['tenants', 'update', 'ten_x']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('nothing to change: give --name, --mode or a limit');
    const mode = await s.ipgate(['tenants', 'create', 'A', '--mode', 'sometimes']);
    expect(mode.code).toBe(2);
    expect(mode.stderr).toContain("option '--mode <mode>' argument 'sometimes' is invalid");
    const limit = await s.ipgate(['tenants', 'create', 'A', '--ip-entry-limit', '-1']);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('expected a whole number of at least 0');
  });

  it('an id with slashes stays one path segment and cannot reach another route', async () => {
    // Sent as ..%2Fapis: the server refuses it as an id instead of serving GET /v1/apis.
    const r = await s.ipgate(['tenants', 'get', '../apis']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('field: tenantId');
    expect(r.stderr).toContain('IPG_VALIDATION_FAILED');
    expect(r.stdout).toBe('');
  });

  it('a name with control sequences is refused by the server, and the refusal says why', async () => {
    // Names stored before the server refused them are still printed escaped (terminal-text.test.ts).
    const r = await s.ipgate(['tenants', 'create', 'evil\u001b]0;pwned\u0007\u001b[2J']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('IPG_TEXT_INVALID');
    expect(r.stderr).toContain('field: name');
    expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});

interface Api {
  id: string;
  name: string;
  host: string | null;
  pathPrefix: string;
  stripPrefix: boolean;
  upstreamUrl: string;
  authHeader: string;
  version: number;
}

describe('ipgate apis', { timeout: 120_000 }, () => {
  it('create, list, update (host, then any host), get and delete', async () => {
    const created = await s.json<Api>([
      'apis',
      'create',
      'orders',
      '--upstream',
      'http://127.0.0.1:9/',
      '--path-prefix',
      '/orders',
      '--strip-prefix',
      '--key-header',
      'x-api-key',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.body).toMatchObject({
      name: 'orders',
      host: null,
      pathPrefix: '/orders',
      stripPrefix: true,
      authHeader: 'x-api-key',
    });
    const id = created.body.id;

    const list = await s.ipgate(['apis', 'list']);
    expect(list.stdout).toMatch(/^ID +NAME +HOST +PATH PREFIX +STRIP +KEY HEADER +UPSTREAM +VERSION$/m);
    expect(list.stdout).toMatch(
      new RegExp(`^${id} +orders +\\* +/orders +yes +x-api-key +http://127.0.0.1:9/ +1$`, 'm'),
    );

    const hosted = await s.json<Api>([
      'apis',
      'update',
      id,
      '--host',
      'api.example.com',
      '--no-strip-prefix',
    ]);
    expect(hosted.body).toMatchObject({ host: 'api.example.com', stripPrefix: false, version: 2 });
    const anyHost = await s.ipgate(['apis', 'update', id, '--any-host']);
    expect(anyHost.code).toBe(0);
    expect(anyHost.stdout).toMatch(/^host +\* \(any\)$/m);

    const removed = await s.ipgate(['apis', 'delete', id]);
    expect(removed.stdout).toBe(`deleted API ${id} (orders) and its allowlist\n`);
    expect((await s.ipgate(['apis', 'get', id])).code).toBe(1);
  });

  it("create without --upstream is a usage error; a bad upstream is the server's 400 with the option named", async () => {
    const missing = await s.ipgate(['apis', 'create', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--upstream <url>' not specified");
    const bad = await s.ipgate(['apis', 'create', 'x', '--upstream', 'ftp://example.com']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('(--upstream)');
  });
});
