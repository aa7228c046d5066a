import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SuiteResources } from '@ipgate/test-support/suite-resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli.test-support.js';
import { type ManagedServer, startManagedServer } from './managed-server.test-support.js';

/**
 * `ipgate simulate` through the real binary against a real server (the demo world: a tenant that lists
 * only 127.0.0.1), on traffic its gateway recorded: 3 allowed calls from 127.0.0.1, 2 denied from
 * 127.0.0.2.
 */
let s: ManagedServer;
let tenant: string;
let entry: string;
let key: string;
let dir: string;

/** Closed by afterAll, also when beforeAll outlasts its timeout under load. */
const started = new SuiteResources();

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ipgate-simulate-'));
  s = await started.add(startManagedServer({ demo: true }), (server) => server.close(), 'ipgate');
  tenant = s.demoTenantId as string;
  entry = (await s.api<{ items: { id: string }[] }>('GET', `/v1/tenants/${tenant}/ip-restriction/entries`))
    .items[0]?.id as string;
  key = (await s.api<{ items: { id: string }[] }>('GET', `/v1/tenants/${tenant}/keys`)).items[0]
    ?.id as string;
  for (let i = 0; i < 3; i++) await s.callGateway('127.0.0.1');
  for (let i = 0; i < 2; i++) await s.callGateway('127.0.0.2');
  for (let i = 0; i < 100; i++) {
    const page = await s.api<{ items: unknown[] }>('GET', `/v1/tenants/${tenant}/requests`);
    if (page.items.length === 5) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}, 180_000);

afterAll(async () => {
  try {
    rmSync(dir, { recursive: true, force: true });
  } finally {
    await started.closeAll();
  }
});

describe('ipgate simulate', () => {
  it('a draft that only lets more in exits 0 and says who would pass (--json: the API answer)', async () => {
    const r = await s.json<{ deniedToAllowed: { requests: number; topAddresses: unknown[] } }>([
      'simulate',
      '--tenant',
      tenant,
      '--add',
      '127.0.0.2',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.body.deniedToAllowed).toMatchObject({
      requests: 2,
      topAddresses: [{ address: '127.0.0.2', requests: 2 }],
    });
  });

  it('a draft that would deny allowed requests exits 1 and names the addresses', async () => {
    const r = await s.ipgate(['simulate', '--tenant', tenant, '--remove', entry, '--since', '1h']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('on 5 recorded requests');
    expect(r.stdout).toContain('allowed → denied: 3 requests from 1 addresses, 1 keys');
    expect(r.stdout).toMatch(/127\.0\.0\.1\s+3/);
    expect(r.stdout).toContain('denied → allowed: none');
  });

  it('--replace-file reads the whole list (entry grammar, names, comments) and reports unmatched entries', async () => {
    const file = join(dir, 'list.txt');
    writeFileSync(file, '# the new list\n127.0.0.0/30  loopbacks\n192.0.2.0/24 never used\n');
    const r = await s.ipgate(['simulate', '--tenant', tenant, '--replace-file', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('denied → allowed: 2 requests');
    expect(r.stdout).toContain('entries no request would match: 1');
    expect(r.stdout).toMatch(/\(added\)\s+192\.0\.2\.0\/24\s+never used/);
  });

  it('simulates a key list and a mode', async () => {
    const keyRun = await s.json<{ allowedToDenied: { requests: number } }>([
      'simulate',
      '--tenant',
      tenant,
      '--key',
      key,
      '--restriction',
      'on',
      '--add',
      '127.0.0.9',
    ]);
    expect(keyRun.code).toBe(1);
    expect(keyRun.body.allowedToDenied.requests).toBe(3);
    const off = await s.json<{ deniedToAllowed: { requests: number } }>([
      'simulate',
      '--tenant',
      tenant,
      '--mode',
      'off',
    ]);
    expect([off.code, off.body.deniedToAllowed.requests]).toEqual([0, 2]);
  });

  it('bad input is exit 2: before sending, or the server naming the field', async () => {
    const nothing = await s.ipgate(['simulate', '--tenant', tenant]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('nothing to simulate');
    const mixed = await s.ipgate(['simulate', '--api', 'api_x', '--mode', 'off']);
    expect(mixed.code).toBe(2);
    const since = await s.ipgate([
      'simulate',
      '--tenant',
      tenant,
      '--add',
      '10.0.0.1',
      '--since',
      'yesterday',
    ]);
    expect(since.code).toBe(2);
    const bad = await s.json<{ error: { code: string; field: string } }>([
      'simulate',
      '--tenant',
      tenant,
      '--add',
      '10.0.0.1/8',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.body.error).toMatchObject({ code: 'IPG_ENTRY_HOST_BITS', field: 'draft.add[0].value' });
    const file = join(dir, 'bad.txt');
    writeFileSync(file, '10.0.0.0/8\nnot-an-entry\n');
    const badFile = await s.ipgate(['simulate', '--tenant', tenant, '--replace-file', file]);
    expect(badFile.code).toBe(2);
    expect(badFile.stderr).toContain(':2:');
  });
});
