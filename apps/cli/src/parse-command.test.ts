import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './cli.test-support.js';

beforeAll(ensureBuilt, 180_000);

describe('ipgate parse', () => {
  it.each([
    [['10/8'], '10.0.0.0/8\n'],
    [['192.168.0/16'], '192.168.0.0/16\n'],
    [['10.0.0.0/255.0.0.0'], '10.0.0.0/8\n'],
    [['192.168.10.10-20'], '192.168.10.10-192.168.10.20\n'],
    [['203.0.113.5 - 203.0.113.9'], '203.0.113.5-203.0.113.9\n'],
    [['2001:DB8::1'], '2001:db8::1\n'],
    [['::ffff:192.0.2.1'], '::ffff:192.0.2.1\n'],
    [['198.51.100.7', '2001:db8::/32'], '198.51.100.7\n2001:db8::/32\n'],
    [['--type', 'ip', '198.51.100.7'], '198.51.100.7\n'],
    [['--type', 'range', '198.51.100.0/24'], '198.51.100.0/24\n'],
  ])('parse %j prints the canonical form and exits 0', async (args, stdout) => {
    const r = await runCli(['parse', ...args]);
    expect(r).toMatchObject({ code: 0, stdout });
  });

  it.each([
    ['0.0.0.0/0', 'warning: 0.0.0.0/0: This entry lets every IPv4 address through'],
    ['10.0.0.0/8', 'warning: 10.0.0.0/8: This entry includes non-public space (private 10.0.0.0/8)'],
    [
      '::ffff:1.2.3.4',
      'warning: ::ffff:1.2.3.4: This IPv6 entry is IPv4-mapped: it stands for the IPv4 address 1.2.3.4',
    ],
  ])('parse %s warns on standard error and still exits 0', async (entry, warning) => {
    const r = await runCli(['parse', entry]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${entry}\n`);
    expect(r.stderr).toContain(warning);
  });

  it.each([
    ['10.0.0.1/8', 'error: "10.0.0.1/8" has host bits set after /8.', '10.0.0.0/8'],
    ['127.1', 'error: "127.1" is a shortened, integer, hex or octal IPv4 form', '192.0.2.10'],
    ['010.0.0.1', 'error: "010.0.0.1" has a leading zero', '10.0.0.1'],
    ['10.0.0.0/08', 'error: "10.0.0.0/08": "08" is not a prefix length for IPv4.', '/8'],
    ['10.0.0.9-10.0.0.1', 'error: "10.0.0.9-10.0.0.1" ends before it starts.', 'lower address first'],
    ['10.0.0.1, 10.0.0.2', 'error: "10.0.0.1, 10.0.0.2" holds more than one entry.', 'its own entry'],
    [
      '10.0.0.0/255.0.255.0',
      'error: "10.0.0.0/255.0.255.0": The netmask 255.0.255.0 is not contiguous.',
      'ones',
    ],
  ])('parse %s prints the error naming the input and a hint, exit 2', async (entry, error, hint) => {
    const r = await runCli(['parse', entry]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const [first, second] = r.stderr.split('\n');
    expect(first).toContain(error);
    expect(second).toMatch(/^ {2}hint: /);
    expect(second).toContain(hint);
  });

  it('parses every entry, prints the good ones and exits 2 when one is bad', async () => {
    const r = await runCli(['parse', '10/8', 'nope', '2001:db8::/32']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('10.0.0.0/8\n2001:db8::/32\n');
    expect(r.stderr).toContain('error: "nope" is not an IPv4 or IPv6 address.');
  });

  it.each([
    [['--type', 'ip', '10.0.0.0/8'], 'error: "10.0.0.0/8" is a range, but type "ip" was asked for.'],
    [
      ['--type', 'range', '10.0.0.1'],
      'error: "10.0.0.1" is a single address, but type "range" was asked for.',
    ],
  ])('parse %j refuses the wrong type, exit 2', async (args, error) => {
    const r = await runCli(['parse', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(error);
  });

  it('prints the full JSON object of an entry', async () => {
    const r = await runCli(['parse', '--json', '203.0.113.5 - 203.0.113.9']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      input: '203.0.113.5 - 203.0.113.9',
      type: 'range',
      canonical: '203.0.113.5-203.0.113.9',
      family: 4,
      first: '203.0.113.5',
      last: '203.0.113.9',
      cidrs: ['203.0.113.5/32', '203.0.113.6/31', '203.0.113.8/31'],
      warnings: [{ code: 'IPG_WARN_NON_PUBLIC', message: expect.stringContaining('203.0.113.0/24') }],
    });
  });

  it('prints one JSON object per entry, errors included, and exits 2', async () => {
    const r = await runCli(['parse', '--json', '2001:DB8::1', '10.0.0.1/8']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({ input: '2001:DB8::1', type: 'ip', canonical: '2001:db8::1', family: 6 }),
      {
        input: '10.0.0.1/8',
        error: {
          code: 'IPG_ENTRY_HOST_BITS',
          message: '"10.0.0.1/8" has host bits set after /8.',
          hint: expect.stringMatching(/10\.0\.0\.0\/8.*10\.0\.0\.1\/32/),
        },
      },
    ]);
  });

  it.each([
    ['LF', '10/8\n2001:DB8::1\n', '10.0.0.0/8\n2001:db8::1\n'],
    ['CRLF and a BOM', '\uFEFF10/8\r\n2001:DB8::1\r\n', '10.0.0.0/8\n2001:db8::1\n'],
    ['blank lines and spaces', '\n  10/8  \n\n\t2001:DB8::1\n\n', '10.0.0.0/8\n2001:db8::1\n'],
    ['no final newline', '10/8\n2001:DB8::1', '10.0.0.0/8\n2001:db8::1\n'],
    ['a spaced dash range', '203.0.113.5 - 203.0.113.9\n', '203.0.113.5-203.0.113.9\n'],
  ])('parse - reads one entry per line from standard input (%s)', async (_, stdin, stdout) => {
    const r = await runCli(['parse', '-'], stdin);
    expect(r).toMatchObject({ code: 0, stdout });
  });

  it('parse - reports bad lines and goes on, exit 2', async () => {
    const r = await runCli(['parse', '--json', '-'], '10/8\nbad\n198.51.100.0/24\n');
    expect(r.code).toBe(2);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.canonical ?? l.error.code)).toEqual([
      '10.0.0.0/8',
      'IPG_ADDRESS_INVALID',
      '198.51.100.0/24',
    ]);
    expect(lines[1]).toMatchObject({ input: 'bad' });
  });

  it.each([
    [['parse', '-'], '', 'error: standard input held no entries.'],
    [
      ['parse', '-', '10/8'],
      undefined,
      'error: "-" reads one entry per line from standard input and must be the only entry.',
    ],
    [['parse'], undefined, "error: missing required argument 'entry'"],
    [
      ['parse', '--type', 'cidr', '10/8'],
      undefined,
      "error: option '--type <type>' argument 'cidr' is invalid.",
    ],
    [['parse', '--frobnicate', '10/8'], undefined, "error: unknown option '--frobnicate'"],
  ])('%j is a usage error, exit 2', async (args, stdin, error) => {
    const r = await runCli(args, stdin);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(error);
  });

  it('streams a large input through a pipe in order', async () => {
    const count = 50_000;
    const input = Array.from({ length: count }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`).join('\n');
    const r = await runCli(['parse', '--json', '-'], input);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(count);
    expect(JSON.parse(lines[count - 1] as string).canonical).toBe('10.195.79.0/24');
    expect(lines.every((l, i) => JSON.parse(l).input === `10.${(i >> 8) & 255}.${i & 255}.0/24`)).toBe(true);
  });
});
