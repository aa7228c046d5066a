import { IpAddress } from '@ipgate/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { lazyNetworkFacts, loadIpLocationData } from './ip-location-data.js';
import { noNetworkData } from './network-facts.js';

/** The installed offline data, read as the server reads it. */
let data: Awaited<ReturnType<typeof loadIpLocationData>>;
beforeAll(async () => {
  data = await loadIpLocationData();
}, 120_000);

describe('the offline network data', () => {
  it('gives ASN, operator, country and hosting of well-known addresses, and names its date', () => {
    expect(data.facts(IpAddress.parse('1.1.1.1'))).toEqual({
      address: '1.1.1.1',
      network: '1.1.1.0/24',
      reserved: null,
      asn: 13335,
      asnName: 'Cloudflare, Inc.',
      country: expect.stringMatching(/^[A-Z]{2}$/),
      hosting: 'Cloudflare',
    });
    expect(data.facts(IpAddress.parse('2a00:1450:4001::1'))).toMatchObject({
      network: '2a00:1450:4001::/48',
      asn: 15169,
      hosting: 'Google',
    });
    expect(data.version.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(data.version.source).toContain('CC BY 4.0');
  });

  it('gives reserved space no ASN or country', () => {
    for (const [address, purpose] of [
      ['10.1.2.3', 'private'],
      ['127.0.0.1', 'loopback'],
      ['2001:db8::1', 'documentation'],
      ['fe80::1', 'link-local'],
    ] as const) {
      expect(data.facts(IpAddress.parse(address))).toMatchObject({
        reserved: purpose,
        asn: null,
        country: null,
      });
    }
  });

  it('its country table answers as the MaxMind reader does, for 20,000 seeded addresses', () => {
    let x = 4242;
    const rand = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x;
    };
    let compared = 0;
    for (let i = 0; i < 20_000; i++) {
      const a =
        i % 2 === 0
          ? IpAddress.fromIPv4Number(rand())
          : IpAddress.fromWords(6, 0x20000000 | (rand() & 0x1fffffff), rand(), rand(), rand());
      const facts = data.facts(a);
      if (facts.reserved !== null) continue;
      const record = data.countries.get(a.toString()) as { country_code?: string } | null;
      expect([a.toString(), facts.country]).toEqual([a.toString(), record?.country_code ?? null]);
      compared++;
    }
    expect(compared).toBeGreaterThan(15_000);
  });

  it('lazily: answers without ASN and country until loaded, then with them', async () => {
    const lazy = lazyNetworkFacts(async () => data);
    const before = lazy.facts(IpAddress.parse('1.1.1.1'));
    expect(before).toEqual(noNetworkData.facts(IpAddress.parse('1.1.1.1')));
    await lazy.ready();
    expect(lazy.facts(IpAddress.parse('1.1.1.1')).asn).toBe(13335);
    expect(lazy.version).toBe(data.version);
  });
});
