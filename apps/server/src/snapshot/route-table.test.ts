import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRequestPath, pathHasPrefix } from './request-path.js';
import { RouteTable, routeHost } from './route-table.js';

const apis = [
  { id: 'all', host: null, pathPrefix: '/' },
  { id: 'any-v1', host: null, pathPrefix: '/v1' },
  { id: 'ex-root', host: 'api.example.com', pathPrefix: '/' },
  { id: 'ex-v1', host: 'API.example.com', pathPrefix: '/v1/' },
  { id: 'ex-v1-admin', host: 'api.example.com', pathPrefix: '/v1/admin' },
];
const routes = RouteTable.from(apis);

describe('RouteTable', () => {
  it.each([
    ['api.example.com', '/v1/admin/x', 'ex-v1-admin'],
    ['api.example.com', '/v1/admin', 'ex-v1-admin'],
    ['api.example.com', '/v1/administrator', 'ex-v1'],
    ['api.example.com:8080', '/v1', 'ex-v1'],
    ['API.EXAMPLE.COM.', '/v1/users', 'ex-v1'],
    ['api.example.com', '/v10', 'ex-root'],
    ['other.example.com', '/v1/users', 'any-v1'],
    ['other.example.com', '/v2', 'all'],
    [undefined, '/v1', 'any-v1'],
  ])('%s %s → %s', (host, path, id) => {
    expect(routes.find(host, path)?.id).toBe(id);
  });

  it('finds nothing when no API covers the request', () => {
    const only = RouteTable.from([{ id: 'a', host: 'a.example', pathPrefix: '/v1' }]);
    expect(only.find('a.example', '/v2')).toBeUndefined();
    expect(only.find('b.example', '/v1')).toBeUndefined();
    expect(only.find(undefined, '/v1')).toBeUndefined();
  });

  it('matches an API host with a port only on that port', () => {
    const t = RouteTable.from([
      { id: 'port', host: 'api.example.com:8443', pathPrefix: '/' },
      { id: 'name', host: 'api.example.com', pathPrefix: '/v1' },
    ]);
    expect(t.find('api.example.com:8443', '/v1')?.id).toBe('port');
    expect(t.find('api.example.com:8080', '/v1')?.id).toBe('name');
    expect(t.find('api.example.com', '/')).toBeUndefined();
  });

  it('keeps list order between equal routes', () => {
    const twins = RouteTable.from([
      { id: 'first', host: null, pathPrefix: '/x' },
      { id: 'second', host: null, pathPrefix: '/x/' },
    ]);
    expect(twins.find('h', '/x/y')?.id).toBe('first');
  });

  it('normalises hosts', () => {
    expect(routeHost('[::1]:8080')).toBe('[::1]');
    expect(routeHost('Example.COM:443')).toBe('example.com');
    expect(routeHost('')).toBeUndefined();
    expect(routeHost('[::1')).toBeUndefined();
  });

  it('agrees with a naive reference on random tables and paths', () => {
    const segment = fc.constantFrom('a', 'b', 'ab', 'v1');
    const path = fc.array(segment, { maxLength: 4 }).map((s) => `/${s.join('/')}`);
    const host = fc.constantFrom('h1', 'h2', null);
    const api = fc.record({ host, pathPrefix: path });
    fc.assert(
      fc.property(fc.array(api, { maxLength: 8 }), path, fc.constantFrom('h1', 'h2', 'h3'), (list, p, h) => {
        const withIds = list.map((a, i) => ({ ...a, id: String(i) }));
        const naive = (group: typeof withIds) => {
          let best: (typeof withIds)[number] | undefined;
          for (const a of group) {
            const prefix = a.pathPrefix === '/' ? '' : a.pathPrefix;
            const covers = prefix === '' || p === prefix || p.startsWith(`${prefix}/`);
            if (
              covers &&
              (best === undefined || prefix.length > (best.pathPrefix === '/' ? 0 : best.pathPrefix.length))
            )
              best = a;
          }
          return best;
        };
        const expected =
          naive(withIds.filter((a) => a.host === h)) ?? naive(withIds.filter((a) => a.host === null));
        expect(RouteTable.from(withIds).find(h, p)?.id).toBe(expected?.id);
      }),
    );
  });

  it('answers a host the same whichever host came before it', () => {
    const table = RouteTable.from([
      ...apis,
      { id: 'ex-8080', host: 'api.example.com:8080', pathPrefix: '/' },
    ]);
    const host = fc.constantFrom(
      undefined,
      '',
      'api.example.com',
      'API.EXAMPLE.com.',
      'api.example.com:8080',
      ' api.example.com:8080 ',
      'api.example.com:80',
      '[::1]:8080',
      'other.example',
    );
    const path = fc.constantFrom('/', '/v1', '/v1/admin/x', '/v2');
    fc.assert(
      fc.property(fc.array(fc.tuple(host, path), { maxLength: 10 }), (lookups) => {
        for (const [h, p] of lookups) {
          const got = table.find(h, p)?.id;
          table.find('reset.invalid', '/');
          expect(got).toBe(table.find(h, p)?.id);
        }
      }),
    );
  });
});

describe('parseRequestPath', () => {
  it.each([
    ['/v1/users?x=1', { raw: '/v1/users', query: '?x=1', normalized: '/v1/users' }],
    ['/%76%31/users', { raw: '/%76%31/users', query: '', normalized: '/v1/users' }],
    ['/a%2Fb', { raw: '/a%2Fb', query: '', normalized: '/a%2Fb' }],
    ['/a#frag', { raw: '/a', query: '', normalized: '/a' }],
    ['/', { raw: '/', query: '', normalized: '/' }],
  ])('%s', (target, expected) => {
    expect(parseRequestPath(target)).toEqual(expected);
  });

  it.each([
    undefined,
    '*',
    'http://evil.example/v1',
    '//evil.example/v1',
    '/public/../admin',
    '/public/%2e%2e/admin',
    '/public/%2E./admin',
    '/./x',
    '/x/..',
    '/public/..%2fadmin',
    '/public/%2e%2e%2Fadmin',
    '/public%2f..%2fadmin',
    '/public/..%5cadmin',
    '/public/..\\admin',
    '/public/..;/admin',
    '/public/.;x/admin',
    '/é',
    '/a b',
  ])('refuses %s', (target) => {
    expect(parseRequestPath(target)).toBeUndefined();
  });

  it('matches prefixes at segment boundaries only', () => {
    expect(pathHasPrefix('/v1', '/v1')).toBe(true);
    expect(pathHasPrefix('/v1/', '/v1')).toBe(true);
    expect(pathHasPrefix('/v10', '/v1')).toBe(false);
    expect(pathHasPrefix('/anything', '/')).toBe(true);
  });
});
