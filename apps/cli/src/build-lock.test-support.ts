/**
 * A lock directory held by a live process: the build that `ensureBuilt` runs for a test file holds it
 * while the other test files wait. It is taken over only when the process that made it is gone (a
 * killed run), never for being old: a build on a loaded machine may take minutes, and a second build
 * started beside it would write the same files.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * How long a lock may be without its owner's process id: the moment between making the directory
 * and writing the id, which only a process killed right then leaves behind.
 */
const UNOWNED_GRACE_MS = 10_000;

/**
 * Waits until the lock at `path` is this process's, and returns the function that releases it.
 *
 * @example
 * const release = await acquireBuildLock(join(tmpdir(), 'ipgate-build.lock'));
 * try { await build(); } finally { release(); }
 */
export async function acquireBuildLock(path: string, pollMs = 100): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      return () => rmSync(path, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (abandoned(path)) rmSync(path, { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** True when the lock's owner is no longer running (or never wrote its id, long ago). */
function abandoned(path: string): boolean {
  let text: string;
  try {
    text = readFileSync(join(path, 'pid'), 'utf8');
  } catch {
    text = '';
  }
  // No id yet: not written, or read between writeFileSync's open (which leaves the file empty) and
  // its write. Only the lock's age says whether its maker is gone.
  if (text.trim() === '') {
    try {
      return Date.now() - statSync(path).mtimeMs > UNOWNED_GRACE_MS;
    } catch {
      return false; // released meanwhile: the next attempt takes it
    }
  }
  const owner = Number(text);
  if (!Number.isSafeInteger(owner) || owner <= 0) return true;
  return !running(owner);
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, someone else's
  }
}
