import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The last good rules file the settings name, its directory created; undefined when turned off
 * (`lastGoodFile: null`). See docs/architecture/storage.md, "Last good rules on disk".
 *
 * @example lastGoodPath(settings); // '/srv/ipgate-data/last-good-rules'
 */
export function lastGoodPath(settings: {
  readonly lastGoodFile: string | null | undefined;
  readonly dataDir: string;
}): string | undefined {
  if (settings.lastGoodFile === null) return undefined;
  const path = resolve(settings.lastGoodFile ?? join(settings.dataDir, 'last-good-rules'));
  mkdirSync(dirname(path), { recursive: true });
  return path;
}
