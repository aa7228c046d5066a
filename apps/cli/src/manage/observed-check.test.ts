import { SuiteResources } from '@ipgate/test-support/suite-resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli.test-support.js';
import { type ManagedServer, startManagedServer } from './managed-server.test-support.js';

/**
 * The demo world (`ipgate serve --demo`): a tenant that lists only 127.0.0.1, its key, and an API on
 * `/`. Calls through the gateway from 127.0.0.2 and 127.0.0.3 are denied and recorded as pending
 * observed addresses, which the commands then review.
 */
// Each test runs the real binary several times; on a loaded machine one start takes seconds.
let s: ManagedServer;
let tenant: string;
let key: string;

/** Closed by afterAll, also when beforeAll outlasts its timeout under load. */
const started = new SuiteResources();

beforeAll(async () => {
  await ensureBuilt();
  s = await started.add(startManagedServer({ demo: true }), (server) => server.close(), 'ipgate');
  tenant = s.demoTenantId as string;
  key = (await s.api<{ items: { id: string }[] }>('GET', `/v1/tenants/${tenant}/keys`)).items[0]
    ?.id as string;
}, 180_000);

afterAll(() => started.closeAll());

interface Observed {
  id: string;
  address: string;
  status: string;
  keyId: string;
}

/** Calls the gateway from `address` with the demo key; returns the status. */
async function callFrom(address: string): Promise<number> {
  return (await s.callGateway(address)).status;
}

/** Waits until the recorder has written the observed address. */
async function observed(address: string): Promise<Observed> {
  for (let i = 0; i < 100; i++) {
    const page = await s.api<{ items: Observed[] }>('GET', `/v1/tenants/${tenant}/observed-ips`);
    const found = page.items.find((o) => o.address === address);
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${address} was never observed`);
}

describe('ipgate observed', { timeout: 120_000 }, () => {
  it('lists pending addresses, authorizes one into the IP list, and rejects another with a new key secret', async () => {
    expect(await callFrom('127.0.0.2')).toBe(403);
    expect(await callFrom('127.0.0.3')).toBe(403);
    const two = await observed('127.0.0.2');
    const three = await observed('127.0.0.3');

    const list = await s.ipgate(['observed', 'list', '--tenant', tenant, '--status', 'pending']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^ID +ADDRESS +KEY +STATUS +COUNT +LAST SEEN +REASONS$/m);
    expect(list.stdout).toMatch(new RegExp(`^${two.id} +127\\.0\\.0\\.2 +${key} +pending +1 `, 'm'));
    const byKey = await s.json<{ items: Observed[] }>(['observed', 'list', '--tenant', tenant, '--key', key]);
    expect(byKey.body.items.map((o) => o.address).sort()).toEqual(['127.0.0.2', '127.0.0.3']);

    const authorized = await s.ipgate([
      'observed',
      'authorize',
      two.id,
      '--tenant',
      tenant,
      '--name',
      'branch',
    ]);
    expect(authorized.code, authorized.stderr).toBe(0);
    expect(authorized.stdout).toMatch(
      /^authorized 127\.0\.0\.2 \(obs_\S+\)\n {2}added 127\.0\.0\.2 \(ent_\S+\) to the tenant's IP list\n$/,
    );
    expect(await callFrom('127.0.0.2')).toBe(200);

    const rejected = await s.ipgate(['observed', 'reject', three.id, '--tenant', tenant, '--rotate-key']);
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toContain(`rejected 127.0.0.3 (${three.id})`);
    expect(rejected.stdout).toContain('Secret (shown this once; ipgate keeps only its hash — store it now):');
    expect(rejected.stdout).toContain('The old secret stopped working.');
    // The old secret no longer opens anything, even from the authorized address.
    expect(await callFrom('127.0.0.2')).toBe(401);

    const again = await s.ipgate([
      'observed',
      'authorize',
      three.id,
      '--tenant',
      tenant,
      '--expect-version',
      '1',
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('IPG_VERSION_CONFLICT');
    const unknown = await s.ipgate(['observed', 'list', '--tenant', tenant, '--status', 'maybe']);
    expect(unknown.code).toBe(2);
  });
});

describe('ipgate check --tenant', { timeout: 120_000 }, () => {
  it('explains an allow (exit 0) and a deny (exit 1) from the rules the server enforces', async () => {
    const allowed = await s.ipgate(['check', '127.0.0.1', '--tenant', tenant, '--key', key]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(
      new RegExp(`^allowed 127\\.0\\.0\\.1 \\(tenant ${tenant}, key ${key}\\)$`, 'm'),
    );
    expect(allowed.stdout).toMatch(
      /^ {2}matched: tenant-restriction: 127\.0\.0\.1 "this machine \(demo\)" \(ent_\S+\)/m,
    );
    expect(allowed.stdout).toMatch(/^ {2}rules: +version \d+$/m);

    const denied = await s.ipgate(['check', '198.51.100.7', '--tenant', tenant, '--key', key]);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/^denied 198\.51\.100\.7 /);
    expect(denied.stdout).toMatch(/^ {2}stage: +tenant-restriction \(HTTP 403\)$/m);
    expect(denied.stdout).toMatch(
      /^ {2}reason: +tenant-ip-not-listed: The client address is not on the tenant's IP list\.$/m,
    );

    const json = await s.json<{ allow: boolean; reason: string }>([
      'check',
      '198.51.100.7',
      '--tenant',
      tenant,
    ]);
    expect(json.code).toBe(1);
    expect(json.body).toMatchObject({ allow: false, reason: 'tenant-ip-not-listed' });
  });

  it("a bad address is the server's 400 with <address> named (exit 2); mixing modes is a usage error", async () => {
    const bad = await s.ipgate(['check', '127.1', '--tenant', tenant]);
    expect(bad.code).toBe(2);
    // The server parses as strictly as every other door: the ambiguous form is named, with its fix.
    expect(bad.stderr).toContain('error: "127.1" is a shortened, integer, hex or octal IPv4 form');
    expect(bad.stderr).toContain('Write all four parts in plain decimal');
    expect(bad.stderr).toContain('field: address (<address>)');
    expect(bad.stderr).toContain('HTTP 400');
    const mixed = await s.ipgate(['check', '127.0.0.1', '--tenant', tenant, '--allow', '10/8']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--tenant asks the server, --allow and --allow-file check a list here');
    const keyOnly = await s.ipgate(['check', '127.0.0.1', '--key', key]);
    expect(keyOnly.code).toBe(2);
    expect(keyOnly.stderr).toContain('--key asks a running server and needs --tenant <tenantId>.');
    const unreachable = await s.ipgate([
      'check',
      '127.0.0.1',
      '--tenant',
      tenant,
      '--server',
      'http://127.0.0.1:1',
    ]);
    expect(unreachable.code).toBe(3);
  });
});
