import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { killHard, startServeProcess, withServeStore } from './serve-process.test-support.js';
import { storeFactories } from './store/test-stores.test-support.js';

/**
 * `kill -9` of a running `ipgate serve` in the middle of a stream of writes through the management
 * API: after a restart on the same store, every write the API acknowledged (201) is there.
 */
const postgres = (await storeFactories()).find((f) => f.name === 'postgres');

// The banner ends with the admin line when there is no token, or with the token's curl line.
const startServe = (env: Record<string, string>) =>
  startServeProcess([], env, { done: (out) => !/Owner admin token/.test(out) || /curl -H/.test(out) });

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
  it(
    'loses no acknowledged write on SQLite',
    () => withServeStore('sqlite', 'ipgate-durable', durabilityRun),
    60_000,
  );

  it.skipIf(postgres?.skip !== false)(
    'loses no acknowledged write on PostgreSQL',
    () => withServeStore('postgres', 'ipgate-durable', durabilityRun),
    60_000,
  );
});
