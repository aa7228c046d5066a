import { SuiteResources } from '@ipgate/test-support/suite-resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli.test-support.js';
import { type ManagedServer, startManagedServer } from './managed-server.test-support.js';

/**
 * `ipgate requests` against the demo world (`ipgate serve --demo`: a tenant that lists only 127.0.0.1,
 * its key, an API on `/`): the log lists what the gateway decided, and a request shows the entries
 * that let it through, by name.
 */
let s: ManagedServer;
let tenant: string;

/** Closed by afterAll, also when beforeAll outlasts its timeout under load. */
const started = new SuiteResources();

beforeAll(async () => {
  await ensureBuilt();
  s = await started.add(startManagedServer({ demo: true }), (server) => server.close(), 'ipgate');
  tenant = s.demoTenantId as string;
}, 180_000);

afterAll(() => started.closeAll());

/** Calls the gateway from `address` with the demo key; returns the request id the gateway gave. */
function callFrom(address: string): Promise<{ status: number; requestId: string }> {
  return s.callGateway(address);
}

interface Logged {
  requestId: string;
  decision: string;
  matched: { list: string; entryId: string; name: string | null }[];
}

/** Waits until the recorder has written both requests. */
async function logged(ids: readonly string[]): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const page = await s.api<{ items: Logged[] }>('GET', `/v1/tenants/${tenant}/requests`);
    if (ids.every((id) => page.items.some((r) => r.requestId === id))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${ids.join(', ')} were never logged`);
}

describe('ipgate requests', { timeout: 120_000 }, () => {
  it('lists the log with the entries each request matched, and shows one request', async () => {
    const allowed = await callFrom('127.0.0.1');
    const denied = await callFrom('127.0.0.2');
    expect([allowed.status, denied.status]).toEqual([200, 403]);
    await logged([allowed.requestId, denied.requestId]);

    const list = await s.ipgate(['requests', 'list', '--tenant', tenant]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^ID +TIME +METHOD +PATH +STATUS +CLIENT +DECISION +REASON +MATCHED$/m);
    expect(list.stdout).toMatch(
      new RegExp(
        `^${allowed.requestId} +\\S+ +GET +/hello +200 +127\\.0\\.0\\.1 +allow +allowed +tenant "this machine \\(demo\\)"$`,
        'm',
      ),
    );
    expect(list.stdout).toMatch(
      new RegExp(
        `^${denied.requestId} +\\S+ +GET +/hello +403 +127\\.0\\.0\\.2 +deny +tenant-ip-not-listed +-$`,
        'm',
      ),
    );

    const denials = await s.json<{ items: Logged[] }>([
      'requests',
      'list',
      '--tenant',
      tenant,
      '--decision',
      'deny',
      '--since',
      '1h',
    ]);
    expect(denials.body.items.map((r) => r.requestId)).toEqual([denied.requestId]);

    const show = await s.ipgate(['requests', 'show', allowed.requestId, '--tenant', tenant]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^allow GET /hello → 200 \\(${allowed.requestId}\\)$`, 'm'));
    expect(show.stdout).toMatch(/^stage +complete$/m);
    expect(show.stdout).toMatch(/^matched +tenant: "this machine \(demo\)" \(ent_\S+\)$/m);

    const one = await s.ipgate(['requests', 'list', '--tenant', tenant, '--limit', '1']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toContain('more: add --cursor ');

    const missing = await s.ipgate(['requests', 'show', 'req_missing', '--tenant', tenant]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('IPG_NOT_FOUND');
    const bad = await s.ipgate(['requests', 'list', '--tenant', tenant, '--decision', 'maybe']);
    expect(bad.code).toBe(2);
  });
});
