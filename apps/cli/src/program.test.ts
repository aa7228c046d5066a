import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot, runCli } from './cli.test-support.js';

beforeAll(ensureBuilt, 180_000);

describe('ipgate', () => {
  it.each([['--version'], ['-V']])('%s prints the package version, exit 0', async (flag) => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'apps/cli/package.json'), 'utf8')) as {
      version: string;
    };
    expect(await runCli([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it.each([
    [
      ['--help'],
      ['Commands:', 'parse', 'check', 'client-ip', '$ ipgate check 203.0.113.7 --allow 203.0.113.0/24'],
    ],
    [
      ['parse', '--help'],
      [
        '--type <type>',
        '--json',
        '$ ipgate parse 192.168.0/16',
        '{"input","error":{"code","message","hint"}}',
      ],
    ],
    [
      ['help', 'parse'],
      ['Usage: ipgate parse [options] <entry...>', 'Examples:'],
    ],
    [
      ['check', '--help'],
      [
        '--allow <entry>',
        '--allow-file <file>',
        '$ ipgate check 203.0.113.7 --allow 203.0.113.0/24',
        'branch office',
      ],
    ],
    [
      ['client-ip', '--help'],
      [
        '--remote <address>',
        '--trust <cidr>',
        '--hops <n>',
        '--source <header>',
        '--header <line>',
        '$ ipgate client-ip --remote 198.51.100.7 --trust 10.0.0.0/8',
        '"reason":null',
      ],
    ],
  ])('%j prints help with examples, exit 0', async (args, texts) => {
    const r = await runCli(args);
    expect(r.code).toBe(0);
    for (const text of texts) expect(r.stdout).toContain(text);
  });

  it('--help lists the management commands and documents every exit code; no later command is stubbed', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['tenants', 'apis', 'keys', 'entries', 'observed', 'requests', 'simulate']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    expect(r.stdout).toContain('IPGATE_TOKEN');
    for (const code of ['0 ', '1 ', '2 ', '3 ', '70'])
      expect(r.stdout).toMatch(new RegExp(`^  ${code} `, 'm'));
    expect(r.stdout).not.toMatch(/^ {2}(import|export)\b/m);
  });

  it.each([
    [
      ['tenants', '--help'],
      ['list', 'create', 'update', 'delete', '$ ipgate tenants create Acme'],
    ],
    [
      ['keys', 'create', '--help'],
      ['--tenant <tenantId>', '--ip-restriction <on|off>', '--server <url>', '--json'],
    ],
    [
      ['entries', '--help'],
      ['--confirm-lockout', "$ ipgate entries add '*.example.com'"],
    ],
    [
      ['entries', 'edit', '--help'],
      ['--expect-version <n>', '--expires <time>', '--api <apiId>', '--domains'],
    ],
    [
      ['observed', '--help'],
      ['authorize', 'reject', '--rotate-key'],
    ],
    [
      ['requests', 'list', '--help'],
      ['--decision <decision>', '--since <time>', '--limit <n>', '--tenant <tenantId>'],
    ],
    [
      ['check', '--help'],
      ['--tenant <tenantId>', '--origin <origin>', '3 server unreachable'],
    ],
  ])('%j documents the management options', async (args, texts) => {
    const r = await runCli(args);
    expect(r.code).toBe(0);
    for (const text of texts) expect(r.stdout).toContain(text);
  });

  it.each([
    [[], 'Usage: ipgate'],
    [['proxy'], "error: unknown command 'proxy'"],
    [['--frobnicate'], "error: unknown option '--frobnicate'"],
  ])('%j is a usage error, exit 2', async (args, error) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(error);
  });
});
