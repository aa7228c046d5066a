/**
 * The demo part of the banner describes the demo tenant's list as it is at this start, and prints a
 * curl line as "allowed" or "denied" only when that is what the gateway would answer now.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../config/load-settings.js';
import { type RunningServer, startServer } from '../serve.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { Store } from '../store/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function flagsFor(dataDir: string) {
  return {
    listen: '127.0.0.1:0',
    adminListen: '127.0.0.1:0',
    dataDir,
    demo: true,
    demoUpstreamPort: '0',
    logLevel: 'silent',
  } as const;
}

/** Starts the server, returns what it printed, and stops it. */
async function bannerOf(dataDir: string): Promise<{ banner: string; server: RunningServer }> {
  const lines: string[] = [];
  const server = await startServer(loadSettings({ flags: flagsFor(dataDir) }), {
    out: (l) => lines.push(l),
    flush: async () => {},
  });
  await server.close();
  return { banner: lines.join('\n'), server };
}

/** A first start with the demo, then `change` on the store between that start and the next. */
async function restartAfter(change: (store: Store, tenantId: string) => Promise<void>): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-demo-banner-'));
  dirs.push(dataDir);
  const first = await bannerOf(dataDir);
  expect(first.banner).toContain('allows only 127.0.0.1;');
  const store = await openSqliteStore({ path: join(dataDir, 'ipgate.db') });
  try {
    const tenant = (await store.listTenants()).items.find((t) => t.name === 'Demo Co');
    await change(store, tenant?.id as string);
  } finally {
    await store.close();
  }
  return (await bannerOf(dataDir)).banner;
}

const actor = { actor: 'test:demo-banner' };

describe('the demo banner after a restart', () => {
  it('names the list as it is now and calls both addresses allowed when both are', async () => {
    const banner = await restartAfter(async (store, tenantId) => {
      await store.addTenantIpEntry(tenantId, { value: '127.0.0.2' }, actor);
    });
    expect(banner).not.toContain('allows only 127.0.0.1');
    expect(banner).toMatch(/Demo: tenant ten_\S+ allows 127\.0\.0\.1 and 127\.0\.0\.2; its key key_\S+/);
    expect(banner).toContain('  allowed (from 127.0.0.1):');
    expect(banner).toContain('  allowed (from 127.0.0.2):');
    expect(banner).not.toContain('denied with 403 (from 127.0.0.2');
    expect(banner).toMatch(/ {4}curl -i --interface 127\.0\.0\.2 -H 'Authorization: Bearer <the demo key/);
  });

  it('says when the list is empty and no address is let in', async () => {
    const banner = await restartAfter(async (store, tenantId) => {
      for (const entry of await store.listTenantIpEntries(tenantId)) {
        await store.removeTenantIpEntry(tenantId, entry.id, actor);
      }
    });
    expect(banner).toMatch(/Demo: tenant ten_\S+ allows no address \(its list is empty\)/);
    expect(banner).toContain('  denied with 403 (from 127.0.0.1, not on the list):');
    expect(banner).toContain('  denied with 403 (from 127.0.0.2, not on the list):');
    expect(banner).not.toContain('allowed (from');
  });

  it('says when the restriction is off', async () => {
    const banner = await restartAfter(async (store, tenantId) => {
      await store.updateTenant(tenantId, { ipMode: 'off' }, actor);
    });
    expect(banner).toMatch(/Demo: tenant ten_\S+ has its IP restriction off \(any address may call\)/);
    expect(banner).toContain('  allowed (from 127.0.0.1):');
    expect(banner).toContain('  allowed (from 127.0.0.2):');
  });

  it('leaves a disabled entry out, as the gateway does', async () => {
    const banner = await restartAfter(async (store, tenantId) => {
      const [entry] = await store.listTenantIpEntries(tenantId);
      await store.addTenantIpEntry(tenantId, { value: '10.0.0.0/8' }, actor);
      await store.updateTenantIpEntry(tenantId, entry?.id as string, { enabled: false }, actor);
    });
    expect(banner).toMatch(/Demo: tenant ten_\S+ allows only 10\.0\.0\.0\/8;/);
    expect(banner).toContain('  denied with 403 (from 127.0.0.1, not on the list):');
  });
});
