import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, startCli } from './cli.test-support.js';

const dir = mkdtempSync(join(tmpdir(), 'ipgate-check-'));
const allowFile = join(dir, 'allow.txt');
const badFile = join(dir, 'bad.txt');
const emptyFile = join(dir, 'empty.txt');

beforeAll(async () => {
  writeFileSync(
    allowFile,
    '\uFEFF# office and branch\r\n' +
      '203.0.113.0/24          office        # since 2024\r\n' +
      '203.0.113.5 - 203.0.113.9   branch office\r\n' +
      '\r\n' +
      '   # IPv6\r\n' +
      '2001:db8::/48\r\n',
  );
  writeFileSync(badFile, '# two mistakes\n10.0.0.1/8 vpn\n198.51.100.0/24 partner\n127.1\n');
  writeFileSync(emptyFile, '# nothing yet\n\n');
  await ensureBuilt();
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ipgate check', () => {
  it.each([
    [['203.0.113.7', '--allow', '203.0.113.0/24'], 0, 'allowed 203.0.113.7 (matched 203.0.113.0/24)\n'],
    [['198.51.100.1', '--allow', '203.0.113.0/24'], 1, 'denied 198.51.100.1\n'],
    [
      ['2001:db8::1', '--allow', '10/8', '--allow', '2001:DB8::/32'],
      0,
      'allowed 2001:db8::1 (matched 2001:db8::/32)\n',
    ],
    [['::ffff:10.1.2.3', '--allow', '10.0.0.0/8'], 0, 'allowed ::ffff:10.1.2.3 (matched 10.0.0.0/8)\n'],
    [
      ['10.0.0.15', '--allow', '10.0.0.10 - 10.0.0.20'],
      0,
      'allowed 10.0.0.15 (matched 10.0.0.10-10.0.0.20)\n',
    ],
    [['10.0.0.21', '--allow', '10.0.0.10-20'], 1, 'denied 10.0.0.21\n'],
    [
      ['203.0.113.1', '--allow-file', allowFile],
      0,
      'allowed 203.0.113.1 (matched 203.0.113.0/24 "office")\n',
    ],
    [
      ['203.0.113.7', '--allow-file', allowFile],
      0,
      'allowed 203.0.113.7 (matched 203.0.113.5-203.0.113.9 "branch office")\n',
    ],
    [['2001:db8:0:1::9', '--allow-file', allowFile], 0, 'allowed 2001:db8:0:1::9 (matched 2001:db8::/48)\n'],
    [['2001:db9::1', '--allow-file', allowFile], 1, 'denied 2001:db9::1\n'],
    [
      ['198.51.100.9', '--allow-file', allowFile, '--allow', '198.51.100.0/24'],
      0,
      'allowed 198.51.100.9 (matched 198.51.100.0/24)\n',
    ],
  ])('check %j exits %i', async (args, code, stdout) => {
    const r = await runCli(['check', ...args]);
    expect(r).toEqual({ code, stdout, stderr: '' });
  });

  it.each([
    [
      ['203.0.113.7', '--allow-file', allowFile],
      0,
      {
        address: '203.0.113.7',
        allowed: true,
        matched: {
          input: '203.0.113.5 - 203.0.113.9',
          canonical: '203.0.113.5-203.0.113.9',
          name: 'branch office',
        },
      },
    ],
    [
      ['10.9.9.9', '--allow', '10/8'],
      0,
      { address: '10.9.9.9', allowed: true, matched: { input: '10/8', canonical: '10.0.0.0/8' } },
    ],
    [['198.51.100.1', '--allow', '10/8'], 1, { address: '198.51.100.1', allowed: false, matched: null }],
  ])('check --json %j exits %i', async (args, code, json) => {
    const r = await runCli(['check', '--json', ...args]);
    expect(r.code).toBe(code);
    expect(JSON.parse(r.stdout)).toEqual(json);
  });

  it.each([
    [['127.1', '--allow', '10/8'], 'error: "127.1" is a shortened, integer, hex or octal IPv4 form'],
    [['10.0.0.1 ', '--allow', '10/8'], 'error: "10.0.0.1 " has spaces around the address.'],
    [['fe80::1%eth0', '--allow', 'fe80::/10'], 'error: "fe80::1%eth0" carries the zone identifier %eth0.'],
    [
      ['1.2.3.4'],
      'error: no rules: give --allow <entry> or --allow-file <file>, or --tenant <tenantId> to ask a running server.',
    ],
    [['1.2.3.4', '--allow', '10.0.0.1/8'], 'error: --allow: "10.0.0.1/8" has host bits set after /8.'],
    [
      ['1.2.3.4', '--allow-file', join(dir, 'missing.txt')],
      `error: cannot read the allow file ${JSON.stringify(join(dir, 'missing.txt'))} (ENOENT).`,
    ],
    [
      ['1.2.3.4', '--allow-file', emptyFile],
      `error: the allow file ${JSON.stringify(emptyFile)} holds no entries.`,
    ],
    [['1.2.3.4', '--allow-file', dir], `error: cannot read the allow file ${JSON.stringify(dir)} (EISDIR).`],
    [['1.2.3.4', '--allow', '10/8', '--deny', '1.2.3.4'], "error: unknown option '--deny'"],
    [['--allow', '10/8'], "error: missing required argument 'address'"],
  ])('check %j is bad input, exit 2', async (args, error) => {
    const r = await runCli(['check', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(error);
  });

  it('an invalid address is an error even with --json, never a deny', async () => {
    const r = await runCli(['check', '--json', '0x7f.0.0.1', '--allow', '0.0.0.0/0']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      address: '0x7f.0.0.1',
      error: {
        code: 'IPG_ADDRESS_AMBIGUOUS_IPV4',
        message: expect.stringContaining('"0x7f.0.0.1"'),
        hint: expect.any(String),
      },
    });
  });

  it('reports every bad line of an allow file with file and line, and no result', async () => {
    const r = await runCli(['check', '198.51.100.7', '--allow-file', badFile, '--allow', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors).toEqual([
      'error: --allow: "nope" is not an IPv4 or IPv6 address.',
      `error: ${badFile}:2: "10.0.0.1/8" has host bits set after /8.`,
      `error: ${badFile}:4: "127.1" is a shortened, integer, hex or octal IPv4 form; other software reads it as a different address than it seems.`,
    ]);
  });

  it('check - answers one line per address and exits 1 when any is denied', async () => {
    const r = await runCli(
      ['check', '-', '--allow-file', allowFile],
      '203.0.113.1\r\n\n198.51.100.1\n  2001:db8::5  \n',
    );
    expect(r).toEqual({
      code: 1,
      stdout:
        'allowed 203.0.113.1 (matched 203.0.113.0/24 "office")\n' +
        'denied 198.51.100.1\n' +
        'allowed 2001:db8::5 (matched 2001:db8::/48)\n',
      stderr: '',
    });
  });

  it('check - exits 0 when every address is allowed', async () => {
    const r = await runCli(['check', '-', '--allow', '10/8'], '10.0.0.1\n10.255.255.255');
    expect(r).toEqual({
      code: 0,
      stdout: 'allowed 10.0.0.1 (matched 10.0.0.0/8)\nallowed 10.255.255.255 (matched 10.0.0.0/8)\n',
      stderr: '',
    });
  });

  it('check - prints an error for a bad line, goes on, and exits 2', async () => {
    const r = await runCli(['check', '-', '--allow', '10/8'], '10.0.0.1\n010.0.0.1\n192.0.2.1\n');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('allowed 10.0.0.1 (matched 10.0.0.0/8)\ndenied 192.0.2.1\n');
    expect(r.stderr).toContain('error: "010.0.0.1" has a leading zero');
  });

  it('check --json - prints one object per line, errors included', async () => {
    const r = await runCli(
      ['check', '--json', '-', '--allow-file', allowFile],
      '203.0.113.9\nbogus\n8.8.8.8\n',
    );
    expect(r.code).toBe(2);
    expect(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      {
        address: '203.0.113.9',
        allowed: true,
        matched: {
          input: '203.0.113.5 - 203.0.113.9',
          canonical: '203.0.113.5-203.0.113.9',
          name: 'branch office',
        },
      },
      {
        address: 'bogus',
        error: {
          code: 'IPG_ADDRESS_INVALID',
          message: '"bogus" is not an IPv4 or IPv6 address.',
          hint: expect.any(String),
        },
      },
      { address: '8.8.8.8', allowed: false, matched: null },
    ]);
  });

  it('check - with empty standard input is bad input', async () => {
    const r = await runCli(['check', '-', '--allow', '10/8'], '\n\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: standard input held no addresses.');
  });

  it('check - answers each line as it arrives, before standard input ends', async () => {
    const child = startCli(['check', '-', '--allow', '10/8']);
    const next = (): Promise<string> =>
      new Promise((resolve) => child.stdout?.once('data', (b: Buffer) => resolve(b.toString())));
    let answer = next();
    child.stdin?.write('10.1.1.1\n');
    expect(await answer).toBe('allowed 10.1.1.1 (matched 10.0.0.0/8)\n');
    answer = next();
    child.stdin?.write('11.1.1.1\n');
    expect(await answer).toBe('denied 11.1.1.1\n');
    const code = new Promise((resolve) => child.on('close', resolve));
    child.stdin?.end();
    expect(await code).toBe(1);
  });

  it('checks many addresses against one compiled set, in order', async () => {
    const count = 50_000;
    const input = Array.from(
      { length: count },
      (_, i) => `10.${i & 1 ? 200 : 1}.${(i >> 8) & 255}.${i & 255}`,
    );
    const r = await runCli(['check', '-', '--allow', '10.0.0.0/9'], input.join('\n'));
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(count);
    expect(lines[0]).toBe('allowed 10.1.0.0 (matched 10.0.0.0/9)');
    expect(lines[count - 1]).toBe(`denied ${input[count - 1]}`);
  });
});
