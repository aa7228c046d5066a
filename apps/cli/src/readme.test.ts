/**
 * The README's promises about the command: its sample banner is what `npm start` (`ipgate serve
 * --demo`) prints, and it names no part that does not exist yet as if it did.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot } from './cli.test-support.js';
import { startServe } from './serve.test-support.js';

beforeAll(ensureBuilt, 180_000);

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** The README's sample banner: the first code block after "`npm start` runs". */
function sampleBanner(): string {
  const from = readme.indexOf('`npm start` runs');
  const block = /```\n([\s\S]*?)\n```/.exec(readme.slice(from));
  if (from < 0 || block === null) throw new Error('README.md has no sample banner after "`npm start` runs"');
  return block[1] as string;
}

describe('README.md', () => {
  it("shows the banner npm start prints (ports, ids, secrets and the data folder's path aside)", async () => {
    const parent = mkdtempSync(join(tmpdir(), 'ipgate-readme-'));
    const dataDir = join(parent, 'ipgate-data');
    try {
      // What npm start runs, on free ports and a fresh data folder.
      const run = await startServe(['--demo', '--demo-upstream-port', '0', '--data-dir', dataDir]);
      await run.stop();
      const printed = run.banner
        .trimEnd()
        .replaceAll(run.gatewayUrl, 'http://127.0.0.1:8080')
        .replaceAll(run.adminUrl, 'http://127.0.0.1:8081')
        .replaceAll(parent, '/…')
        .replace(/\b(ten|key)_[a-z0-9]+/g, '$1_…')
        .replace(/\b(ipg_adm|ipg_live)_[A-Za-z0-9_-]+/g, '$1_…')
        .replace(/(password: )\S+/, '$1…');
      expect(printed).toBe(sampleBanner());
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('names the web console with its page, which exists', () => {
    expect(readme).toContain('[docs/console.md](docs/console.md)');
    expect(readFileSync(join(repoRoot, 'docs/console.md'), 'utf8')).toMatch(/^# The web console/);
  });
});
