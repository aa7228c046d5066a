import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpGateError } from '@ipgate/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configError } from './config-error.test-support.js';
import { clientAddressConfig, loadSettings } from './load-settings.js';
import { settingSpecs } from './settings.js';

function configFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ipgate-config-')), 'ipgate.json');
  writeFileSync(path, content);
  return path;
}

describe('loadSettings', () => {
  it('gives the documented defaults with nothing set', () => {
    const s = loadSettings({});
    expect(s.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(s.adminListen).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(s.databaseUrl).toBeUndefined();
    expect(s.trustProxy).toEqual([]);
    expect(s.upstreamTimeoutMs).toBe(30_000);
    expect(s.requestLogRetentionMs).toBe(30 * 24 * 3600 * 1000);
    expect(s.demo).toBe(false);
    expect(clientAddressConfig(s)).toEqual({ mode: 'socket' });
  });

  it('takes flags over environment over the config file', () => {
    const file = configFile(
      JSON.stringify({ listen: '127.0.0.1:9001', adminListen: '127.0.0.1:9002', logLevel: 'warn' }),
    );
    const s = loadSettings({
      configFile: file,
      env: { IPGATE_LISTEN: '127.0.0.1:9101', IPGATE_ADMIN_LISTEN: '[::1]:9102' },
      flags: { listen: ':9201' },
    });
    expect(s.listen).toEqual({ host: '0.0.0.0', port: 9201 });
    expect(s.adminListen).toEqual({ host: '::1', port: 9102 });
    expect(s.logLevel).toBe('warn');
  });

  it('keeps a record per request unless told to keep denials only', () => {
    expect(loadSettings({}).requestLog).toBe('all');
    expect(loadSettings({ env: { IPGATE_REQUEST_LOG: 'denials' } }).requestLog).toBe('denials');
    expect(loadSettings({ flags: { requestLog: 'Denials' } }).requestLog).toBe('denials');
    expect(
      loadSettings({ configFile: configFile(JSON.stringify({ requestLog: 'denials' })) }).requestLog,
    ).toBe('denials');
    expect(() => loadSettings({ env: { IPGATE_REQUEST_LOG: 'allowed' } })).toThrow(
      /request-log|requestLog|IPGATE_REQUEST_LOG/,
    );
  });

  it('reads DATABASE_URL, and IPGATE_DATABASE_URL before it', () => {
    expect(loadSettings({ env: { DATABASE_URL: 'postgres://a@h/db' } }).databaseUrl).toBe(
      'postgres://a@h/db',
    );
    expect(
      loadSettings({ env: { DATABASE_URL: 'postgres://a@h/db', IPGATE_DATABASE_URL: 'postgresql://b@h/db' } })
        .databaseUrl,
    ).toBe('postgresql://b@h/db');
  });

  it('prepares PostgreSQL statements unless told not to (a pooler that cannot carry them)', () => {
    expect(loadSettings({}).databasePreparedStatements).toBe(true);
    expect(
      loadSettings({ env: { IPGATE_DATABASE_PREPARED_STATEMENTS: 'off' } }).databasePreparedStatements,
    ).toBe(false);
    expect(() => loadSettings({ env: { IPGATE_DATABASE_PREPARED_STATEMENTS: 'sometimes' } })).toThrow(
      /databasePreparedStatements|database-prepared-statements/,
    );
  });

  it('builds the trusted-proxy strategy config from a list', () => {
    const s = loadSettings({
      env: { IPGATE_TRUST_PROXY: '10.0.0.0/8, 192.0.2.1', IPGATE_FORWARDED_HEADER: 'Forwarded' },
    });
    expect(clientAddressConfig(s)).toEqual({
      mode: 'trusted-proxies',
      trusted: ['10.0.0.0/8', '192.0.2.1'],
      header: 'forwarded',
    });
    const file = configFile(JSON.stringify({ trustProxy: ['10.0.0.0/8'], proxyHops: 0 }));
    expect(loadSettings({ configFile: file }).trustProxy).toEqual(['10.0.0.0/8']);
  });

  it.each([
    [{ flags: { listen: '8080' } }, 'listen', /flag --listen.*not host:port/],
    [{ flags: { listen: '127.0.0.1:70000' } }, 'listen', /outside 0–65535/],
    [{ flags: { adminListen: '[10.0.0.1]:80' } }, 'adminListen', /not an IPv6 address/],
    [{ env: { IPGATE_UPSTREAM_TIMEOUT: '30' } }, 'upstreamTimeoutMs', /IPGATE_UPSTREAM_TIMEOUT.*unit/],
    [{ env: { IPGATE_UPSTREAM_TIMEOUT: '0ms' } }, 'upstreamTimeoutMs', /outside/],
    [{ env: { IPGATE_LOG_LEVEL: 'loud' } }, 'logLevel', /not one of fatal, error/],
    [{ env: { DATABASE_URL: 'mysql://x' } }, 'databaseUrl', /postgres:\/\//],
    [{ env: { IPGATE_DEMO: 'maybe' } }, 'demo', /true\/false/],
    [{ env: { IPGATE_TRUST_PROXY: '10.0.0.0/8,,1.2.3.4' } }, 'trustProxy', /empty item/],
    [{ env: { IPGATE_FORWARDED_HEADER: 'x-real-ip' } }, 'forwardedHeader', /x-forwarded-for, forwarded/],
  ] as const)('refuses %j naming %s', (sources, field, message) => {
    const e = configError(() => loadSettings(sources));
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
    expect(e.hint).toBeTruthy();
  });

  it('refuses proxy lists that core refuses (trust everything, bad entries), naming the setting', () => {
    expect(configError(() => loadSettings({ env: { IPGATE_TRUST_PROXY: '0.0.0.0/0' } })).field).toMatch(
      /^trustProxy/,
    );
    expect(configError(() => loadSettings({ env: { IPGATE_TRUST_PROXY: '10.0.0.1/8' } })).field).toMatch(
      /^trustProxy/,
    );
  });

  it('refuses trusted proxies and hop count together', () => {
    const e = configError(() =>
      loadSettings({ env: { IPGATE_TRUST_PROXY: '10.0.0.0/8', IPGATE_PROXY_HOPS: '2' } }),
    );
    expect(e.hint).toMatch(/Choose one/);
  });

  it('refuses a config file that is missing, not JSON, not an object, or has an unknown key', () => {
    expect(configError(() => loadSettings({ configFile: '/nonexistent/ipgate.json' })).message).toMatch(
      /cannot be read/,
    );
    expect(configError(() => loadSettings({ configFile: configFile('{listen:') })).message).toMatch(
      /not valid JSON/,
    );
    expect(configError(() => loadSettings({ configFile: configFile('[]') })).message).toMatch(
      /one JSON object/,
    );
    const e = configError(() => loadSettings({ configFile: configFile('{"lisen": ":80"}') }));
    expect(e.field).toBe('lisen');
    expect(e.hint).toMatch(/listen, adminListen/);
  });

  it('refuses config-file values of the wrong type', () => {
    expect(configError(() => loadSettings({ configFile: configFile('{"trustProxy": [1]}') })).field).toBe(
      'trustProxy',
    );
    expect(configError(() => loadSettings({ configFile: configFile('{"demo": "sometimes"}') })).field).toBe(
      'demo',
    );
    expect(loadSettings({ configFile: configFile('{"upstreamTimeoutMs": 1500}') }).upstreamTimeoutMs).toBe(
      1500,
    );
  });

  it('reads workers as a count, with auto as 0 (one per core), and refuses other words', () => {
    expect(loadSettings({}).workers).toBe(1);
    expect(loadSettings({ flags: { workers: '2' } }).workers).toBe(2);
    expect(loadSettings({ env: { IPGATE_WORKERS: 'auto' } }).workers).toBe(0);
    expect(loadSettings({ configFile: configFile('{"workers": 3}') }).workers).toBe(3);
    expect(configError(() => loadSettings({ flags: { workers: 'many' } })).field).toBe('workers');
  });

  it('declares every setting with a flag, an IPGATE_ variable and a description', () => {
    const keys = new Set(settingSpecs.map((s) => s.key));
    expect(keys.size).toBe(settingSpecs.length);
    for (const s of settingSpecs) {
      expect(s.flag).toMatch(/^--[a-z-]+/);
      expect(s.env[0]).toMatch(/^IPGATE_[A-Z_]+$/);
      expect(s.description.length).toBeGreaterThan(10);
    }
  });
});

describe('loadSettings on arbitrary text (property)', () => {
  it('either accepts a setting or refuses it with IPG_CONFIG_INVALID naming it; nothing else escapes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...settingSpecs), fc.string({ maxLength: 80 }), (spec, text) => {
        try {
          loadSettings({ env: { [spec.env[0] as string]: text } });
        } catch (e) {
          expect(e).toBeInstanceOf(IpGateError);
          expect((e as IpGateError).code).toBe('IPG_CONFIG_INVALID');
          expect((e as IpGateError).field).toMatch(new RegExp(`^(${spec.key}|trustProxy|proxyHops)`));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
