import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes a file so that a reader (or a process that starts after a crash) sees either the old
 * content or the new, never a torn mix: write a temporary file beside it, then rename over it
 * (rename is atomic within one file system).
 *
 * @example
 * await writeFileAtomic('/var/cache/myapp/rules.json', JSON.stringify({ version: 42 }));
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, content, { mode: 0o600 });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
}
