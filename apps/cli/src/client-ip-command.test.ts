import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './cli.test-support.js';

beforeAll(ensureBuilt, 180_000);

const trust10 = ['--trust', '10.0.0.0/8'];

describe('ipgate client-ip', () => {
  it.each([
    ['the socket peer by default', ['--remote', '198.51.100.7'], '198.51.100.7'],
    ['an unmapped dual-stack peer', ['--remote', '::ffff:198.51.100.7'], '198.51.100.7'],
    ['an IPv6 peer, canonical', ['--remote', '2001:DB8::7'], '2001:db8::7'],
    [
      'the peer when it is not a trusted proxy (spoofing)',
      ['--remote', '198.51.100.7', ...trust10, '--header', 'X-Forwarded-For: 1.2.3.4'],
      '198.51.100.7',
    ],
    [
      'the rightmost untrusted element of a trusted chain',
      [
        '--remote',
        '10.0.0.5',
        ...trust10,
        '--header',
        'X-Forwarded-For: 6.6.6.6, 198.51.100.7, 10.0.0.9, 10.1.2.3',
      ],
      '198.51.100.7',
    ],
    [
      'the leftmost element when every element is trusted',
      ['--remote', '10.0.0.5', ...trust10, '--header', 'X-Forwarded-For: 10.3.3.3, 10.0.0.9'],
      '10.3.3.3',
    ],
    ['the trusted peer when there is no header', ['--remote', '10.0.0.5', ...trust10], '10.0.0.5'],
    [
      'elements over several lines of one header, in order',
      [
        '--remote',
        '10.0.0.5',
        ...trust10,
        '--header',
        'X-Forwarded-For: 6.6.6.6, 198.51.100.7',
        '--header',
        'x-forwarded-for: 10.0.0.9',
      ],
      '198.51.100.7',
    ],
    [
      'a later line as the rightmost (several lines are not one string)',
      [
        '--remote',
        '10.0.0.5',
        ...trust10,
        '--header',
        'X-Forwarded-For: 198.51.100.7',
        '--header',
        'X-FORWARDED-FOR: 203.0.113.9',
      ],
      '203.0.113.9',
    ],
    [
      'several trusted ranges and a port',
      [
        '--remote',
        '192.168.1.1',
        ...trust10,
        '--trust',
        '192.168.0.0/16',
        '--header',
        'X-Forwarded-For: 198.51.100.7:4711, 10.0.0.9',
      ],
      '198.51.100.7',
    ],
    [
      'Forwarded with quotes and a bracketed IPv6 address',
      [
        '--remote',
        '10.0.0.5',
        ...trust10,
        '--source',
        'forwarded',
        '--header',
        'Forwarded: for="[2001:db8::7]:443";proto=https, for=10.0.0.9',
      ],
      '2001:db8::7',
    ],
    [
      'the hop count',
      ['--remote', '10.0.0.5', '--hops', '2', '--header', 'X-Forwarded-For: 6.6.6.6, 198.51.100.7, 10.0.0.9'],
      '198.51.100.7',
    ],
  ])('prints %s, exit 0', async (_, args, client) => {
    const r = await runCli(['client-ip', ...args]);
    expect(r).toEqual({ code: 0, stdout: `${client}\n`, stderr: '' });
  });

  it('warns when forwarding headers arrive but no proxy is trusted', async () => {
    const r = await runCli(['client-ip', '--remote', '198.51.100.7', '--header', 'X-Forwarded-For: 1.2.3.4']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('198.51.100.7\n');
    expect(r.stderr).toMatch(/^warning: the request carries forwarding headers, but no proxy is trusted/);
  });

  it.each([
    [
      'a forwarded element that is not an address',
      ['--remote', '10.0.0.5', ...trust10, '--header', 'X-Forwarded-For: unknown'],
      'denied: forwarded-element-invalid (the rightmost element of x-forwarded-for, "unknown", is not an address)',
    ],
    [
      'an obfuscated Forwarded node',
      ['--remote', '10.0.0.5', ...trust10, '--source', 'forwarded', '--header', 'Forwarded: for=_hidden'],
      'denied: forwarded-element-invalid',
    ],
    [
      'a malformed Forwarded header',
      [
        '--remote',
        '10.0.0.5',
        ...trust10,
        '--source',
        'forwarded',
        '--header',
        'Forwarded: for="unterminated',
      ],
      'denied: forwarded-header-malformed',
    ],
    [
      'too few hops',
      ['--remote', '10.0.0.5', '--hops', '2', '--header', 'X-Forwarded-For: 198.51.100.7'],
      'denied: too-few-hops (2 proxy hops need 2 x-forwarded-for elements; the request carries 1)',
    ],
  ])('denies %s, exit 1', async (_, args, denial) => {
    const r = await runCli(['client-ip', ...args]);
    expect(r.code).toBe(1);
    expect(r.stdout.startsWith(denial)).toBe(true);
    expect(r.stdout).toMatch(/^denied: [a-z-]+ \(.+\)\n$/);
  });

  it.each([
    [
      ['--remote', '10.0.0.5', ...trust10, '--header', 'X-Forwarded-For: 198.51.100.7'],
      0,
      { client: '198.51.100.7', reason: null, via: 'header', sawForwardingHeaders: true },
    ],
    [
      ['--remote', '198.51.100.7'],
      0,
      { client: '198.51.100.7', reason: null, via: 'socket', sawForwardingHeaders: false },
    ],
    [
      ['--remote', '10.0.0.5', '--hops', '1'],
      1,
      {
        client: null,
        reason: 'too-few-hops',
        detail: expect.stringContaining('carries 0'),
        sawForwardingHeaders: false,
      },
    ],
  ])('--json %j exits %i', async (args, code, json) => {
    const r = await runCli(['client-ip', '--json', ...args]);
    expect(r.code).toBe(code);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(json);
  });

  it.each([
    [[], 'error: --remote <address> is required'],
    [['--remote', 'nope'], 'error: --remote: "nope" is not an IPv4 or IPv6 address.'],
    [['--remote', 'fe80::1%eth0'], 'error: --remote: "fe80::1%eth0" carries the zone identifier %eth0.'],
    [
      ['--remote', '10.0.0.5', ...trust10, '--hops', '1'],
      "error: option '--trust <cidr>' cannot be used with option '--hops <n>'",
    ],
    [['--remote', '10.0.0.5', '--source', 'forwarded'], 'error: --source needs --trust or --hops'],
    [
      ['--remote', '10.0.0.5', ...trust10, '--source', 'x-real-ip'],
      "error: option '--source <header>' argument 'x-real-ip' is invalid.",
    ],
    [['--remote', '10.0.0.5', '--hops', 'two'], "error: option '--hops <n>' argument 'two' is invalid."],
    [['--remote', '10.0.0.5', '--hops', '0'], 'error: --hops must be a whole number from 1 to 64, not 0.'],
    [
      ['--remote', '10.0.0.5', '--trust', '10.0.0.1/8'],
      'error: --trust: "10.0.0.1/8" has host bits set after /8.',
    ],
    [['--remote', '10.0.0.5', '--trust', '0.0.0.0/0'], 'error: --trust trusts every IPv4 address'],
    [
      ['--remote', '10.0.0.5', '--header', 'X-Forwarded-For 1.2.3.4'],
      'error: --header "X-Forwarded-For 1.2.3.4" is not "Name: value"',
    ],
    [['--remote', '10.0.0.5', 'extra'], 'error: unexpected argument "extra"'],
    [['--remote', '10.0.0.5', '--trusted', '10/8'], "error: unknown option '--trusted'"],
  ])('%j is a bad option, exit 2', async (args, error) => {
    const r = await runCli(['client-ip', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(error);
  });

  describe('client-ip - (JSON lines)', () => {
    const line = (value: object): string => JSON.stringify(value);

    it('resolves each line with its own proxies and prints one result per line', async () => {
      const input = [
        line({
          remote: '10.0.0.5',
          headers: { 'X-Forwarded-For': '198.51.100.7, 10.0.0.9' },
          trusted: ['10.0.0.0/8'],
        }),
        line({ remote: '198.51.100.7', headers: { 'x-forwarded-for': '1.2.3.4' }, trusted: ['10.0.0.0/8'] }),
        '',
        line({
          remote: '10.0.0.5',
          headers: { forwarded: ['for=203.0.113.9', 'for=10.0.0.7'] },
          trusted: ['10.0.0.0/8'],
          source: 'forwarded',
        }),
        line({ remote: '10.0.0.5', headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.8' }, hops: 1 }),
        line({ remote: '203.0.113.1' }),
      ].join('\n');
      const r = await runCli(['client-ip', '--json', '-'], input);
      expect(r.code).toBe(0);
      expect(
        r.stdout
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l)),
      ).toEqual([
        { client: '198.51.100.7', reason: null, via: 'header', sawForwardingHeaders: true },
        { client: '198.51.100.7', reason: null, via: 'socket', sawForwardingHeaders: true },
        { client: '203.0.113.9', reason: null, via: 'header', sawForwardingHeaders: true },
        { client: '198.51.100.8', reason: null, via: 'header', sawForwardingHeaders: true },
        { client: '203.0.113.1', reason: null, via: 'socket', sawForwardingHeaders: false },
      ]);
    });

    it('uses --trust from the command line for lines that name no proxies', async () => {
      const input = [
        line({ remote: '10.0.0.5', headers: { 'x-forwarded-for': '198.51.100.7' } }),
        line({
          remote: '10.0.0.5',
          headers: { 'x-forwarded-for': '198.51.100.7' },
          trusted: ['192.168.0.0/16'],
        }),
      ].join('\n');
      const r = await runCli(['client-ip', '--json', ...trust10, '-'], input);
      expect(
        r.stdout
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l).client),
      ).toEqual(['198.51.100.7', '10.0.0.5']);
    });

    it('prints a denial with its reason and exits 1 when any line is denied', async () => {
      const input = [
        line({ remote: '10.0.0.5', headers: { 'x-forwarded-for': 'unknown' }, trusted: ['10.0.0.0/8'] }),
        line({ remote: '198.51.100.7' }),
      ].join('\n');
      const r = await runCli(['client-ip', '--json', '-'], input);
      expect(r.code).toBe(1);
      expect(
        r.stdout
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l)),
      ).toEqual([
        {
          client: null,
          reason: 'forwarded-element-invalid',
          detail: expect.stringContaining('"unknown"'),
          sawForwardingHeaders: true,
        },
        { client: '198.51.100.7', reason: null, via: 'socket', sawForwardingHeaders: false },
      ]);
    });

    it.each([
      ['not JSON', 'not json', 'IPG_CONFIG_INVALID', 'the line is not JSON'],
      ['an array', '[1]', 'IPG_CONFIG_INVALID', 'the line is not a JSON object.'],
      ['no remote', line({ headers: {} }), 'IPG_CONFIG_INVALID', '"remote" must be the socket peer address'],
      [
        'a misspelt key',
        line({ remote: '10.0.0.5', trust: ['10/8'] }),
        'IPG_CONFIG_INVALID',
        'unknown key "trust".',
      ],
      [
        'a bad remote',
        line({ remote: '10.0.0.05' }),
        'IPG_ADDRESS_AMBIGUOUS_IPV4',
        '"remote": "10.0.0.05" has a leading zero',
      ],
      [
        'a bad header value',
        line({ remote: '10.0.0.5', headers: { forwarded: 7 } }),
        'IPG_CONFIG_INVALID',
        'the header "forwarded"',
      ],
      [
        'a bad header name',
        line({ remote: '10.0.0.5', headers: { 'a b': 'x' } }),
        'IPG_CONFIG_INVALID',
        '"a b" is not a header name.',
      ],
      [
        'trusted and hops',
        line({ remote: '10.0.0.5', trusted: ['10/8'], hops: 1 }),
        'IPG_CONFIG_INVALID',
        '"trusted" and "hops" cannot be used together.',
      ],
      [
        'a bad trusted entry',
        line({ remote: '10.0.0.5', trusted: ['10.0.0.1/8'] }),
        'IPG_ENTRY_HOST_BITS',
        '"trusted": "10.0.0.1/8" has host bits',
      ],
      [
        'a bad source',
        line({ remote: '10.0.0.5', trusted: ['10/8'], source: 'x-real-ip' }),
        'IPG_CONFIG_INVALID',
        '"source" must be one of',
      ],
      [
        'a bad hop count',
        line({ remote: '10.0.0.5', hops: 100 }),
        'IPG_CONFIG_INVALID',
        '"hops" must be a whole number from 1 to 64',
      ],
    ])('reports %s as an error object, goes on, and exits 2', async (_, bad, code, message) => {
      const input = `${line({ remote: '198.51.100.7' })}\n${bad}\n${line({ remote: '203.0.113.1' })}\n`;
      const r = await runCli(['client-ip', '--json', '-'], input);
      expect(r.code).toBe(2);
      const results = r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(results).toHaveLength(3);
      expect(results[0]).toMatchObject({ client: '198.51.100.7' });
      expect(results[1]).toEqual({
        line: 2,
        error: { code, message: expect.stringContaining(message), hint: expect.any(String) },
      });
      expect(results[2]).toMatchObject({ client: '203.0.113.1' });
    });

    it('without --json prints addresses and denials, and errors on standard error', async () => {
      const input = [
        line({ remote: '10.0.0.5', headers: { 'x-forwarded-for': '198.51.100.7' }, trusted: ['10.0.0.0/8'] }),
        line({ remote: '10.0.0.5', hops: 3 }),
        '{"remote":',
      ].join('\n');
      const r = await runCli(['client-ip', '-'], input);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe(
        '198.51.100.7\ndenied: too-few-hops (3 proxy hops need 3 x-forwarded-for elements; the request carries 0)\n',
      );
      expect(r.stderr).toContain('error: line 3: the line is not JSON');
      expect(r.stderr).toContain('  hint: Each line is one JSON object');
    });

    it.each([
      [
        ['client-ip', '-', '--remote', '10.0.0.5'],
        'error: with -, each JSON line carries its own "remote" and "headers"',
      ],
      [
        ['client-ip', '-', '--header', 'Forwarded: for=1.2.3.4'],
        'error: with -, each JSON line carries its own',
      ],
      [['client-ip', '-'], 'error: standard input held no requests.'],
    ])('%j is a usage error, exit 2', async (args, error) => {
      const r = await runCli(args, '');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(error);
    });
  });
});
