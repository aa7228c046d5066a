import { describe, expect, it } from 'vitest';
import { IpGateError } from '../errors/ip-gate-error.js';
import { type ClientAddressConfig, clientAddressStrategy } from './config.js';

describe('clientAddressStrategy builds the configured strategy', () => {
  it.each([
    // [config, description, peer, X-Forwarded-For, Forwarded, client]
    [{ mode: 'socket' }, 'socket peer', '10.0.0.2', '203.0.113.9', undefined, '10.0.0.2'],
    [
      { mode: 'trusted-proxies', trusted: ['10.0.0.0/8'] },
      'x-forwarded-for from 1 trusted range',
      '10.0.0.2',
      '203.0.113.9',
      undefined,
      '203.0.113.9',
    ],
    [
      { mode: 'trusted-proxies', trusted: ['10.0.0.0/8', '2001:db8:ffff::/48'], header: 'forwarded' },
      'forwarded from 2 trusted ranges',
      '10.0.0.2',
      '198.51.100.1',
      'for=203.0.113.9',
      '203.0.113.9',
    ],
    [
      { mode: 'hop-count', hops: 1 },
      'x-forwarded-for from 1 proxy hop',
      '10.0.0.2',
      '6.6.6.6, 203.0.113.9',
      undefined,
      '203.0.113.9',
    ],
    [
      { mode: 'hop-count', hops: 2, header: 'forwarded' },
      'forwarded from 2 proxy hops',
      '10.0.0.2',
      undefined,
      'for=203.0.113.9, for=10.0.0.1',
      '203.0.113.9',
    ],
    [
      // What a spread of unset flags produces; exactOptionalPropertyTypes alone would refuse it.
      {
        mode: 'trusted-proxies',
        trusted: ['10.0.0.0/8'],
        header: undefined,
      } as unknown as ClientAddressConfig,
      'x-forwarded-for from 1 trusted range',
      '10.0.0.2',
      '203.0.113.9',
      undefined,
      '203.0.113.9',
    ],
  ] satisfies Array<[ClientAddressConfig, string, string, string | undefined, string | undefined, string]>)(
    '%j',
    (config, description, peer, xff, forwarded, client) => {
      const strategy = clientAddressStrategy(config);
      expect(strategy.description).toBe(description);
      const r = strategy.resolve(peer, { 'x-forwarded-for': xff, forwarded });
      expect(r.ok && r.address.toString()).toBe(client);
    },
  );
});

describe('clientAddressStrategy refuses unusable settings', () => {
  it.each([
    // [why, config, field]
    ['not an object', 'socket', 'mode'],
    ['null', null, 'mode'],
    ['an array', [], 'mode'],
    ['no mode', {}, 'mode'],
    ['unknown mode', { mode: 'proxy' }, 'mode'],
    ['mode in other case', { mode: 'Socket' }, 'mode'],
    [
      'socket with proxies (someone thinks they are trusted)',
      { mode: 'socket', trusted: ['10.0.0.0/8'] },
      'trusted',
    ],
    ['socket with a header', { mode: 'socket', header: 'x-forwarded-for' }, 'header'],
    ['trusted-proxies without a list', { mode: 'trusted-proxies' }, 'trusted'],
    ['trusted-proxies with an empty list', { mode: 'trusted-proxies', trusted: [] }, 'trusted'],
    ['trusted-proxies with one string', { mode: 'trusted-proxies', trusted: '10.0.0.0/8' }, 'trusted'],
    ['trusted-proxies with a number', { mode: 'trusted-proxies', trusted: [10] }, 'trusted[0]'],
    [
      'trusted-proxies with an entry object',
      { mode: 'trusted-proxies', trusted: ['10.0.0.0/8', { value: '10.0.0.1' }] },
      'trusted[1]',
    ],
    ['trusted-proxies with null', { mode: 'trusted-proxies', trusted: [null] }, 'trusted[0]'],
    [
      'trusted-proxies with a bad entry',
      { mode: 'trusted-proxies', trusted: ['10.0.0.0/8', 'proxy.internal'] },
      'trusted[1]',
    ],
    ['trusted-proxies with host bits', { mode: 'trusted-proxies', trusted: ['10.0.0.1/8'] }, 'trusted[0]'],
    ['trusted-proxies trusting everyone', { mode: 'trusted-proxies', trusted: ['0.0.0.0/0'] }, 'trusted'],
    [
      'trusted-proxies trusting every IPv6',
      { mode: 'trusted-proxies', trusted: ['10.0.0.0/8', '::/0'] },
      'trusted',
    ],
    ['trusted-proxies with hops', { mode: 'trusted-proxies', trusted: ['10.0.0.0/8'], hops: 1 }, 'hops'],
    [
      'trusted-proxies with X-Real-IP',
      { mode: 'trusted-proxies', trusted: ['10.0.0.0/8'], header: 'x-real-ip' },
      'header',
    ],
    [
      'trusted-proxies with a header that is not text',
      { mode: 'trusted-proxies', trusted: ['10.0.0.0/8'], header: 1 },
      'header',
    ],
    ['hop-count without hops', { mode: 'hop-count' }, 'hops'],
    ['hop-count with 0', { mode: 'hop-count', hops: 0 }, 'hops'],
    ['hop-count with a fraction', { mode: 'hop-count', hops: 1.5 }, 'hops'],
    ['hop-count with text', { mode: 'hop-count', hops: '1' }, 'hops'],
    ['hop-count beyond the element limit', { mode: 'hop-count', hops: 65 }, 'hops'],
    ['hop-count with proxies', { mode: 'hop-count', hops: 1, trusted: ['10.0.0.0/8'] }, 'trusted'],
    ['hop-count with a typo', { mode: 'hop-count', hops: 1, hedaer: 'forwarded' }, 'hedaer'],
    ['hop-count with Forwarded misspelt', { mode: 'hop-count', hops: 1, header: 'forwarded-for' }, 'header'],
  ])('%s', (_why, config, field) => {
    let thrown: unknown;
    try {
      clientAddressStrategy(config as ClientAddressConfig);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(IpGateError);
    expect(thrown).toMatchObject({ code: 'IPG_CONFIG_INVALID', field, status: 400 });
    const error = thrown as IpGateError;
    expect(error.hint?.length).toBeGreaterThan(10);
    expect(error.message.length).toBeGreaterThan(10);
  });

  it('keeps the entry error as the cause and its hint', () => {
    let thrown: unknown;
    try {
      clientAddressStrategy({ mode: 'trusted-proxies', trusted: ['10.0.0.1/8'] });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({
      code: 'IPG_CONFIG_INVALID',
      field: 'trusted[0]',
      message: expect.stringContaining('"10.0.0.1/8"'),
      hint: expect.stringContaining('10.0.0.0/8'),
      cause: expect.objectContaining({ code: 'IPG_ENTRY_HOST_BITS' }),
    });
  });

  it('accepts header names in any case', () => {
    const strategy = clientAddressStrategy({
      mode: 'hop-count',
      hops: 1,
      header: 'X-Forwarded-For' as 'x-forwarded-for',
    });
    expect(strategy.description).toBe('x-forwarded-for from 1 proxy hop');
  });
});
