import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SuiteResources } from '@ipgate/test-support/suite-resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../cli.test-support.js';
import { type ManagedServer, startManagedServer } from './managed-server.test-support.js';

// Each test runs the real binary several times; on a loaded machine one start takes seconds.
let s: ManagedServer;
let dir: string;

/** Closed by afterAll, also when beforeAll outlasts its timeout under load. */
const started = new SuiteResources();

beforeAll(async () => {
  await ensureBuilt();
  s = await started.add(startManagedServer(), (server) => server.close(), 'ipgate');
  dir = mkdtempSync(join(tmpdir(), 'ipgate-cli-import-'));
}, 180_000);

afterAll(async () => {
  try {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  } finally {
    await started.closeAll();
  }
});

const tenant = async (ipEntryLimit = 100) =>
  (await s.api<{ id: string }>('POST', '/v1/tenants', { name: 'Acme', ipMode: 'manual', ipEntryLimit })).id;
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const values = async (t: string) =>
  (
    await s.api<{ items: { canonical: string; name: string }[] }>(
      'GET',
      `/v1/tenants/${t}/ip-restriction/entries`,
    )
  ).items.map((e) => `${e.canonical} ${e.name}`.trim());

describe('ipgate entries import and export', { timeout: 120_000 }, () => {
  it('imports a text file as one change and says what it did', async () => {
    const t = await tenant();
    const path = file('offices.txt', '# offices\n203.0.113.0/24  office\n198.51.100.7   vpn gateway\n');
    const r = await s.ipgate(['entries', 'import', path, '--tenant', t]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^imported into the IP list of tenant ten_\S+: 2 added, 0 updated, 0 removed, 0 unchanged; 2 entries \(change \d+\)\n$/,
    );
    expect(await values(t)).toEqual(['203.0.113.0/24 office', '198.51.100.7 vpn gateway']);
  });

  it('--preview shows each line and changes nothing; its exit code says whether the import would apply', async () => {
    const t = await tenant();
    await s.api('POST', `/v1/tenants/${t}/ip-restriction/entries`, { value: '10.0.0.0/8', name: 'old' });
    const bad = file('bad.txt', '10.0.0.0/8 vpn\n10.0.0.1/8 typo\n192.168.0.0/16 lab\n');
    const r = await s.ipgate(['entries', 'import', bad, '--tenant', t, '--preview', '--mode', 'replace']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(
      /1 to add, 1 to update, 0 unchanged, 0 to remove, 1 invalid; 2 entries afterwards of at most 100/,
    );
    expect(r.stdout).toMatch(/^LINE +ACTION +ENTRY +DETAIL$/m);
    expect(r.stdout).toMatch(/^1 +update +10\.0\.0\.0\/8 +changes name/m);
    expect(r.stdout).toMatch(/^2 +invalid +10\.0\.0\.1\/8 +.*host bits.*\(IPG_ENTRY_HOST_BITS\)$/m);
    expect(r.stdout).toMatch(/it would be refused as it is/);
    expect(r.stderr).toMatch(/warning: 1 line of the file is not valid: line 2: /);
    expect(await values(t)).toEqual(['10.0.0.0/8 old']);

    const good = file('good.txt', '10.0.0.0/8 vpn\n');
    const ok = await s.json<{ preview: boolean; problems: unknown[]; basis: string }>([
      'entries',
      'import',
      good,
      '--tenant',
      t,
      '--preview',
    ]);
    expect(ok.code).toBe(0);
    expect(ok.body).toMatchObject({ preview: true, problems: [] });

    const limited = await tenant(1);
    const full = await s.ipgate([
      'entries',
      'import',
      file('two.txt', '10.0.0.1\n10.0.0.2\n'),
      '--tenant',
      limited,
      '--preview',
    ]);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/2 entries, 1 over its limit of 1\. \(IPG_LIMIT_REACHED\)/);
  });

  it('reads CSV from standard input with --format csv, and --json prints the API answer', async () => {
    const t = await tenant();
    const r = await runCli(
      ['entries', 'import', '-', '--tenant', t, '--format', 'csv', '--json'],
      'value,name,expiresAt,enabled\n203.0.113.9,"desk, 2nd floor",2999-01-01T00:00:00Z,false\n',
      { IPGATE_TOKEN: s.ownerToken, IPGATE_SERVER: s.adminUrl },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      preview: false,
      mode: 'merge',
      format: 'csv',
      summary: { add: 1 },
    });
    expect(await values(t)).toEqual(['203.0.113.9 desk, 2nd floor']);
  });

  it('refuses a file with bad lines, a full list and a stale basis, with the exit codes of the conventions', async () => {
    const t = await tenant(2);
    const bad = await s.ipgate(['entries', 'import', file('bad2.txt', '10.0.0.1/8\n'), '--tenant', t]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: 1 line of the file is not valid: line 1: /);
    expect(bad.stderr).toMatch(/field: content \(<file>\)/);
    expect(bad.stderr).toMatch(/\(IPG_IMPORT_INVALID, HTTP 400\)/);

    const over = await s.ipgate([
      'entries',
      'import',
      file('three.txt', '10.0.0.1\n10.0.0.2\n10.0.0.3\n'),
      '--tenant',
      t,
    ]);
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(/3 entries, 1 over its limit of 2/);

    const exported = await s.json<{ basis: string }>(['entries', 'export', '--tenant', t]);
    await s.api('POST', `/v1/tenants/${t}/ip-restriction/entries`, { value: '10.9.9.9' });
    const stale = await s.ipgate([
      'entries',
      'import',
      file('one.txt', '10.0.0.1\n'),
      '--tenant',
      t,
      '--basis',
      exported.body.basis,
    ]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/changed since the basis .*\n {2}field: basis \(--basis\)/);
    expect(await values(t)).toEqual(['10.9.9.9']);

    const key = await s.ipgate([
      'entries',
      'import',
      file('k.txt', '10.0.0.1\n'),
      '--tenant',
      t,
      '--key',
      'key_x',
    ]);
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/no import or export/);
  });

  it('export prints the file; importing it with --mode replace into another list gives the same bytes', async () => {
    const a = await tenant();
    await s.ipgate([
      'entries',
      'import',
      file('a.txt', '2001:db8::/48 v6\n203.0.113.0/24 office\n10.0.0.0/8\n'),
      '--tenant',
      a,
    ]);
    const text = await s.ipgate(['entries', 'export', '--tenant', a]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe('10.0.0.0/8\n203.0.113.0/24  office\n2001:db8::/48   v6\n');
    expect(text.stderr).toMatch(/^3 entries of the IP list of tenant ten_\S+; basis b_[0-9a-f]+\n$/);

    const csv = await s.ipgate(['entries', 'export', '--tenant', a, '--format', 'csv']);
    const b = await tenant();
    await s.api('POST', `/v1/tenants/${b}/ip-restriction/entries`, { value: '192.0.2.1', name: 'only in b' });
    const path = file('a.csv', csv.stdout);
    const replaced = await s.ipgate(['entries', 'import', path, '--tenant', b, '--mode', 'replace']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toMatch(/3 added, 0 updated, 1 removed/);
    expect((await s.ipgate(['entries', 'export', '--tenant', b, '--format', 'csv'])).stdout).toBe(csv.stdout);
  });
});
