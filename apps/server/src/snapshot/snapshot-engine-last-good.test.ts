import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RulesChunk } from '../store/store.js';
import { fakeRulesStore, recordingLogger } from './fake-rules-store.test-support.js';
import { journalPath } from './last-good-journal.js';
import { createLastGoodWriter } from './last-good-writer.js';
import { fixtureRules } from './rules-fixture.test-support.js';
import { createSnapshotEngine } from './snapshot-engine.js';

const dir = mkdtempSync(join(tmpdir(), 'ipgate-engine-last-good-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const LOCATION = 'postgres://db:5432/ipgate';

/** A store that, made to fail, fails as an unreachable PostgreSQL does. */
const fakeStore = (rules: RulesChunk) =>
  fakeRulesStore(rules, { failure: 'connect ECONNREFUSED 127.0.0.1:5432' });

const allowed = (engine: ReturnType<typeof createSnapshotEngine>, address: string) =>
  engine.check({ address, tenantId: 'ten_1', keyId: 'key_1' }).decision.allow;

/** A node that ran with the store up and kept its copy at version 2 (203.0.113.0/24 listed). */
async function nodeWithCopy(): Promise<{ path: string; fake: ReturnType<typeof fakeStore> }> {
  const path = join(dir, `copy-${++n}`);
  const fake = fakeStore(fixtureRules({ version: 1, tenantEntries: [{ value: '198.51.100.0/24' }] }));
  // Changes go to the journal however small the copy (the default compacts a tiny copy at once).
  const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 5, journalShare: 1000 });
  const engine = createSnapshotEngine({
    store: fake.store,
    lastGood: { path, storeLocation: LOCATION, writer },
  });
  await engine.start();
  expect(engine.status.source).toBe('store');
  fake.set({ version: 2, tenantEntries: [{ value: '203.0.113.0/24' }] });
  await engine.refresh();
  await writer.close();
  engine.close();
  expect(writer.stats).toMatchObject({ writes: 2, version: 2 });
  return { path, fake };
}

describe('a node whose store cannot be reached at start', () => {
  it('serves its last good copy, says so, and catches up when the store answers', async () => {
    const { path, fake } = await nodeWithCopy();
    fake.state.failing = true;
    const { lines, logger } = recordingLogger();
    const engine = createSnapshotEngine({
      store: fake.store,
      logger,
      lastGood: { path, storeLocation: LOCATION },
    });
    await engine.start();
    expect(engine.loaded).toBe(true);
    expect(engine.ready).toBe(false);
    expect(engine.status).toMatchObject({ source: 'last-good-copy', version: 2 });
    expect(engine.status.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(engine.status.storeError).toMatch(/ECONNREFUSED/);
    expect(lines.some((l) => l.startsWith('error SERVING LAST GOOD RULES FROM DISK'))).toBe(true);
    expect(allowed(engine, '203.0.113.9')).toBe(true);
    expect(allowed(engine, '198.51.100.9')).toBe(false);

    // Still down: the copy stays in force.
    await expect(engine.refresh()).rejects.toThrow(/ECONNREFUSED/);
    expect(engine.status.source).toBe('last-good-copy');

    // Back, with a change made meanwhile: followed from the copy's version, not reloaded.
    fake.set({ version: 3, tenantEntries: [{ value: '192.0.2.0/24' }] });
    fake.state.failing = false;
    const loads = fake.state.loads;
    await engine.refresh();
    expect(fake.state.loads).toBe(loads);
    expect(engine.status).toMatchObject({ source: 'store', version: 3 });
    expect(engine.ready).toBe(true);
    expect(allowed(engine, '192.0.2.1')).toBe(true);
    expect(allowed(engine, '203.0.113.9')).toBe(false);
    engine.close();
  });

  it('with a copy from another store (its id differs), reloads everything once the store answers', async () => {
    const { path, fake } = await nodeWithCopy();
    fake.state.failing = true;
    const { lines, logger } = recordingLogger();
    const engine = createSnapshotEngine({
      store: fake.store,
      logger,
      lastGood: { path, storeLocation: LOCATION },
    });
    await engine.start();
    expect(engine.status.source).toBe('last-good-copy');
    fake.state.id = 'sto_other';
    fake.set({ version: 9, tenantEntries: [{ value: '192.0.2.0/24' }] });
    fake.state.failing = false;
    const loads = fake.state.loads;
    await engine.refresh();
    expect(fake.state.loads).toBe(loads + 1);
    expect(lines).toContain(
      "error the last good rules on disk came from another store; replacing them with this store's",
    );
    expect(allowed(engine, '192.0.2.1')).toBe(true);
    engine.close();
  });

  it('with no copy, loads nothing (every request refused), says why, and loads when the store answers', async () => {
    const fake = fakeStore(fixtureRules({ version: 4, tenantEntries: [{ value: '203.0.113.0/24' }] }));
    fake.state.failing = true;
    const path = join(dir, 'never-written');
    const { lines, logger } = recordingLogger();
    const writer = createLastGoodWriter({ path, storeLocation: LOCATION, delayMs: 5 });
    const engine = createSnapshotEngine({
      store: fake.store,
      logger,
      lastGood: { path, storeLocation: LOCATION, writer },
    });
    await engine.start();
    expect(engine.loaded).toBe(false);
    expect(engine.status).toMatchObject({ source: 'none', ageSeconds: null });
    expect(engine.status.copyRefused).toMatch(/^missing: there is no copy at /);
    expect(lines.some((l) => l.startsWith('error NO RULES'))).toBe(true);
    fake.state.failing = false;
    await engine.refresh();
    expect(engine.status).toMatchObject({ source: 'store', version: 4 });
    await writer.close();
    expect(writer.stats.version).toBe(4);
    engine.close();
  });

  it('with the journal of its copy cut short, serves the last whole state and says so', async () => {
    const { path, fake } = await nodeWithCopy();
    // Version 2 went to the journal; a crash cut its record short.
    const journal = readFileSync(journalPath(path));
    writeFileSync(journalPath(path), journal.subarray(0, journal.length - 5));
    fake.state.failing = true;
    const { lines, logger } = recordingLogger();
    const engine = createSnapshotEngine({
      store: fake.store,
      logger,
      lastGood: { path, storeLocation: LOCATION },
    });
    await engine.start();
    expect(engine.status).toMatchObject({ source: 'last-good-copy', version: 1 });
    expect(allowed(engine, '198.51.100.9')).toBe(true);
    expect(allowed(engine, '203.0.113.9')).toBe(false);
    expect(
      lines.some((l) => /^error the journal of the last good rules ends in a damaged record/.test(l)),
    ).toBe(true);
    engine.close();
  });

  it('with a damaged copy, loads nothing of it', async () => {
    const { path, fake } = await nodeWithCopy();
    writeFileSync(path, 'not a copy at all\n');
    fake.state.failing = true;
    const engine = createSnapshotEngine({ store: fake.store, lastGood: { path, storeLocation: LOCATION } });
    await engine.start();
    expect(engine.loaded).toBe(false);
    expect(engine.status.copyRefused).toMatch(/^corrupt: /);
    engine.close();
  });

  it('with a copy made for another store location, loads nothing of it', async () => {
    const { path, fake } = await nodeWithCopy();
    fake.state.failing = true;
    const engine = createSnapshotEngine({
      store: fake.store,
      lastGood: { path, storeLocation: 'postgres://elsewhere:5432/ipgate' },
    });
    await engine.start();
    expect(engine.loaded).toBe(false);
    expect(engine.status.copyRefused).toMatch(
      /^foreign: the copy was made for the store at postgres:\/\/db:5432\/ipgate/,
    );
    engine.close();
  });
});
