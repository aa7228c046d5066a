import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireBuildLock } from './build-lock.test-support.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A lock directory as another process left it: its id, and a last change long ago. */
function heldLock(pid: number, ageMs: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'ipgate-build-lock-'));
  dirs.push(dir);
  const lock = join(dir, 'build.lock');
  mkdirSync(lock);
  writeFileSync(join(lock, 'pid'), String(pid));
  const then = new Date(Date.now() - ageMs);
  utimesSync(lock, then, then);
  return lock;
}

/** Whether the lock is taken within `ms`. */
async function takenWithin(lock: string, ms: number): Promise<boolean> {
  let release: (() => void) | undefined;
  const attempt = acquireBuildLock(lock, 10).then((r) => {
    release = r;
  });
  await Promise.race([attempt, new Promise((resolve) => setTimeout(resolve, ms))]);
  release?.();
  return release !== undefined;
}

describe('acquireBuildLock', () => {
  it('waits for a build that runs long (on a loaded machine), however old its lock', async () => {
    // The parent of this worker stands for a build still running: alive, its lock 10 minutes old.
    const lock = heldLock(process.ppid, 600_000);
    expect(await takenWithin(lock, 300)).toBe(false);
  });

  it('takes over a lock whose process is gone (a killed run), however new', async () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const lock = heldLock(gone, 0);
    expect(await takenWithin(lock, 2_000)).toBe(true);
  });

  it('waits for a lock whose maker has made its id file but not written it yet', async () => {
    // Between writeFileSync's open (which makes the file empty) and its write, another process reads ''.
    const lock = heldLock(process.ppid, 0);
    writeFileSync(join(lock, 'pid'), '');
    expect(await takenWithin(lock, 300)).toBe(false);
  });

  it('is released and taken again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipgate-build-lock-'));
    dirs.push(dir);
    const lock = join(dir, 'build.lock');
    const release = await acquireBuildLock(lock);
    expect(await takenWithin(lock, 200)).toBe(false);
    release();
    expect(await takenWithin(lock, 2_000)).toBe(true);
  });
});
