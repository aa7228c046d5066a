import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { freshPostgresDatabase, storeFactories } from './store/test-stores.test-support.js';

/**
 * `kill -9` of a running `ipgate serve` in the middle of a stream of writes through the management
 * API: after a restart on the same store, every write the API acknowledged (201) is there.
 */
const bin = fileURLToPath(new URL('../../cli/bin/ipgate.js', import.meta.url));
const postgres = (await storeFactories()).find((f) => f.name === 'postgres');

interface Started {
  readonly child: ChildProcess;
  readonly adminUrl: string;
  readonly ownerToken: string | undefined;
}

function startServe(env: Record<string, string>): Promise<Started> {
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--log-level', 'error'],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in time:\n${out}\n${err}`)), 20_000);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const admin = /admin API: +(http:\/\/\S+)\/v1/.exec(out);
      // The banner ends with the admin line when there is no token, or with the token's curl line.
      const done = admin !== null && (!/Owner admin token/.test(out) || /curl -H/.test(out));
      if (done) {
        clearTimeout(timer);
        const token = /^ {2}(ipg_adm_\S+)$/m.exec(out)?.[1];
        resolve({ child, adminUrl: admin[1] as string, ownerToken: token });
      }
    });
    child.on('exit', (code) => reject(new Error(`ipgate serve exited with ${code}:\n${err}`)));
  });
}

async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function durabilityRun(env: Record<string, string>): Promise<void> {
  const first = await startServe(env);
  const token = first.ownerToken as string;
  expect(token).toBeTruthy();
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await request(`${first.adminUrl}/v1/tenants`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'Durable', ipEntryLimit: 10_000 }),
  });
  expect(created.statusCode).toBe(201);
  const tenantId = ((await created.body.json()) as { id: string }).id;

  // Writers add entries as fast as the API acknowledges them; the server is killed mid-stream.
  const acknowledged: string[] = [];
  let stop = false;
  const writer = async (lane: number): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const value = `10.${lane}.${Math.floor(i / 256) % 256}.${i % 256}`;
      try {
        const r = await request(`${first.adminUrl}/v1/tenants/${tenantId}/ip-restriction/entries`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ value, name: `w${lane}-${i}` }),
        });
        const body = (await r.body.json()) as { id?: string };
        if (r.statusCode === 201 && body.id !== undefined) acknowledged.push(body.id);
      } catch {
        return; // the server is gone
      }
    }
  };
  const writers = [writer(1), writer(2), writer(3)];
  while (acknowledged.length < 60) await new Promise((r) => setTimeout(r, 5));
  await killHard(first.child);
  stop = true;
  await Promise.all(writers);

  const second = await startServe(env);
  try {
    expect(second.ownerToken).toBeUndefined();
    const ids = new Set<string>();
    let cursor: string | undefined;
    do {
      const url = `${second.adminUrl}/v1/tenants/${tenantId}/ip-restriction/entries?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const r = await request(url, { headers });
      expect(r.statusCode).toBe(200);
      const page = (await r.body.json()) as { items: { id: string }[]; nextCursor?: string | null };
      for (const e of page.items) ids.add(e.id);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    const lost = acknowledged.filter((id) => !ids.has(id));
    expect(lost).toEqual([]);
    // At most one write per writer was committed without its answer arriving before the kill.
    expect(ids.size - acknowledged.length).toBeLessThanOrEqual(3);
  } finally {
    await killHard(second.child);
  }
}

describe('kill -9 of ipgate serve during a stream of writes', () => {
  it('loses no acknowledged write on SQLite', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-durable-'));
    try {
      await durabilityRun({ IPGATE_DATA_DIR: dataDir });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it.skipIf(postgres?.skip !== false)(
    'loses no acknowledged write on PostgreSQL',
    async () => {
      const db = await freshPostgresDatabase('ipgate_durable');
      try {
        await durabilityRun({ DATABASE_URL: db.databaseUrl, IPGATE_DATA_DIR: '/nonexistent-unused' });
      } finally {
        await db.drop();
      }
    },
    60_000,
  );
});
