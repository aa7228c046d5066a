import { IpAddress } from '@ipgate/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withCorsHeaders } from './cors.js';
import {
  downstreamResponseHeaders,
  type ForwardingContext,
  upstreamRequestHeaders,
} from './forwarding-headers.js';
import { presentedKey, withEveryCopy } from './presented-key.js';
import { upstreamPath } from './upstream-path.js';

const context = {
  peer: IpAddress.parse('2001:db8::7'),
  client: '203.0.113.9',
  vouched: 'forwarded' as 'forwarded' | 'x-forwarded-for' | undefined,
  host: 'api.example.com' as string | undefined,
  keyHeader: 'x-api-key',
  forwardKey: false,
  requestId: 'req_1',
  tenantId: 'ten_1',
  keyId: undefined,
};

/** The list `upstreamRequestHeaders` returns, as an object; fails when a name comes twice. */
function upstream(
  incoming: Record<string, string | string[]>,
  ctx: ForwardingContext,
): Record<string, string> {
  const list = upstreamRequestHeaders(incoming, ctx);
  expect(list.length % 2).toBe(0);
  const out: Record<string, string> = {};
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i] as string;
    expect(Object.hasOwn(out, name), `${name} sent twice`).toBe(false);
    out[name] = list[i + 1] as string;
  }
  return out;
}

describe('upstreamRequestHeaders', () => {
  it('extends the header the trusted proxies vouch for, and quotes an IPv6 node', () => {
    const h = upstream(
      {
        host: 'api.example.com',
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-proto': 'https',
        forwarded: 'for=203.0.113.9;proto=https',
        'x-api-key': 'secret',
        'x-ipgate-key-id': 'key_forged',
        te: 'trailers',
      },
      context,
    );
    expect(h).toEqual({
      // Not vouched for (the proxy writes Forwarded): the client ipgate decided on.
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'api.example.com',
      forwarded: 'for=203.0.113.9;proto=https, for="[2001:db8::7]";host=api.example.com;proto=http',
      'x-request-id': 'req_1',
      'x-ipgate-tenant-id': 'ten_1',
    });
  });

  it('names the client and host of each request in Forwarded, whichever came before', () => {
    // The last element made is kept for the next request with the same client and host only.
    const cases: [string, string | undefined, string][] = [
      ['203.0.113.9', 'api.example.com', 'for=203.0.113.9;host=api.example.com;proto=http'],
      ['203.0.113.9', 'api.example.com', 'for=203.0.113.9;host=api.example.com;proto=http'],
      ['203.0.113.10', 'api.example.com', 'for=203.0.113.10;host=api.example.com;proto=http'],
      ['203.0.113.10', 'api.example.com:8443', 'for=203.0.113.10;host="api.example.com:8443";proto=http'],
      ['203.0.113.10', undefined, 'for=203.0.113.10;proto=http'],
      ['2001:db8::9', undefined, 'for="[2001:db8::9]";proto=http'],
      ['203.0.113.9', 'api.example.com', 'for=203.0.113.9;host=api.example.com;proto=http'],
    ];
    for (const [client, host, forwarded] of cases) {
      const h = upstream({}, { ...context, vouched: undefined, client, host });
      expect({ client, host, forwarded: h['forwarded'] }).toEqual({ client, host, forwarded });
    }
  });

  it('drops underscore spellings of the identity, forwarding and key headers', () => {
    const h = upstream(
      {
        x_ipgate_tenant_id: 'ten_forged',
        x_ipgate_key_id: 'key_forged',
        x_forwarded_for: '10.0.0.1',
        x_api_key: 'other',
        x_custom: '1',
      },
      context,
    );
    expect(Object.keys(h).filter((n) => n.includes('_'))).toEqual(['x_custom']);
  });

  it('drops the client-IP headers a caller could forge (X-Real-IP, True-Client-IP, …), in any spelling', () => {
    const h = upstream(
      {
        'x-real-ip': '10.0.0.1',
        'true-client-ip': '10.0.0.1',
        'cf-connecting-ip': '10.0.0.1',
        'x-client-ip': '10.0.0.1',
        'fastly-client-ip': '10.0.0.1',
        'x-cluster-client-ip': '10.0.0.1',
        x_real_ip: '10.0.0.1',
        'x-custom': '1',
      },
      { ...context, vouched: undefined, client: '2001:db8::7' },
    );
    expect(Object.keys(h).filter((n) => /ip$/.test(n))).toEqual([]);
    expect(h['x-custom']).toBe('1');
    expect(h['x-forwarded-for']).toBe('2001:db8::7');
  });

  it("sends a header node keeps as a list once per value, and drops a caller's X-Forwarded-Host when no host was routed on", () => {
    const list = upstreamRequestHeaders(
      { 'set-cookie': ['a=1', 'b=2'], 'x-forwarded-host': 'evil.example', accept: '*/*' },
      { ...context, vouched: undefined, host: undefined },
    );
    expect(list.slice(0, 6)).toEqual(['set-cookie', 'a=1', 'set-cookie', 'b=2', 'accept', '*/*']);
    expect(list.filter((_, i) => i % 2 === 0 && list[i] === 'x-forwarded-host')).toEqual([]);
    expect(list).toContain('x-forwarded-for');
  });

  it('never repeats a name, never passes on what the gateway sets or drops, passes the rest as sent', () => {
    const written = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-request-id'];
    const dropped = ['x-ipgate-tenant-id', 'x-ipgate-key-id', 'x-api-key', 'keep-alive', 'te', 'host'];
    const droppedToo = ['x-real-ip', 'x-original-url', 'x_forwarded_for', 'x_ipgate_key_id'];
    // Names of no meaning to the gateway: `x-t-` keeps them clear of every list above.
    const plain = fc.stringMatching(/^x-t-[a-z0-9_-]{1,8}$/).filter((n) => !n.includes('_'));
    const name = fc.oneof(fc.constantFrom(...written, ...dropped, ...droppedToo, 'accept'), plain);
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.stringMatching(/^[\x21-\x7e]{0,8}$/)),
        fc.constantFrom<ForwardingContext['vouched']>('forwarded', 'x-forwarded-for', undefined),
        fc.option(fc.constant('api.example.com'), { nil: undefined }),
        (incoming, vouched, host) => {
          const ctx = { ...context, vouched, host, tenantId: 'ten_1', keyId: 'key_1' };
          const sent = upstream(incoming, ctx); // fails on a repeated name
          for (const n of written)
            expect(Object.hasOwn(sent, n)).toBe(n !== 'x-forwarded-host' || host !== undefined);
          expect([sent['x-request-id'], sent['x-ipgate-tenant-id'], sent['x-ipgate-key-id']]).toEqual([
            'req_1',
            'ten_1',
            'key_1',
          ]);
          for (const n of [...dropped.slice(2), ...droppedToo]) expect(sent).not.toHaveProperty(n);
          for (const [n, v] of Object.entries(incoming)) {
            if (n === 'accept' || n.startsWith('x-t-')) expect(sent[n]).toBe(v);
          }
        },
      ),
    );
  });

  it('passes the key on only when told to', () => {
    const h = upstream({ 'x-api-key': 'secret' }, { ...context, forwardKey: true });
    expect(h['x-api-key']).toBe('secret');
  });
});

describe('Connection-listed headers (common values take a shortcut, with the same result)', () => {
  it.each(['close', 'Close', 'keep-alive', 'Keep-Alive', 'close, x-private', 'CLOSE'])(
    'Connection: %s drops the headers it names',
    (connection) => {
      const h = upstream(
        { connection, close: '1', 'keep-alive': 'timeout=5', 'x-private': '1', 'x-kept': '1' },
        { ...context, vouched: undefined, client: '2001:db8::7' },
      );
      expect(h['x-kept']).toBe('1');
      expect(h['keep-alive']).toBeUndefined();
      const names = connection.toLowerCase().split(', ');
      expect(h['close']).toBe(names.includes('close') ? undefined : '1');
      expect(h['x-private']).toBe(names.includes('x-private') ? undefined : '1');
    },
  );
});

describe('downstreamResponseHeaders', () => {
  it('drops connection-scoped headers, including those Connection names', () => {
    expect(
      downstreamResponseHeaders(
        {
          Connection: 'X-Private',
          'x-private': '1',
          'Transfer-Encoding': 'chunked',
          'set-cookie': ['a=1', 'b=2'],
        },
        'req_2',
      ),
    ).toEqual(['set-cookie', ['a=1', 'b=2'], 'x-request-id', 'req_2']);
  });

  it("replaces the upstream's X-Request-Id with the gateway's, in any case of the name", () => {
    expect(
      downstreamResponseHeaders({ 'X-Request-Id': 'upstream_1', 'content-type': 'a/b' }, 'req_3'),
    ).toEqual(['content-type', 'a/b', 'x-request-id', 'req_3']);
  });
});

describe('withCorsHeaders', () => {
  it("replaces the upstream's CORS headers and adds Origin to its Vary", () => {
    const list = withCorsHeaders(
      ['content-type', 'a/b', 'access-control-allow-origin', '*', 'vary', 'Accept', 'x-request-id', 'req_1'],
      'https://app.example',
    );
    expect(list).toEqual([
      'content-type',
      'a/b',
      'x-request-id',
      'req_1',
      'access-control-allow-origin',
      'https://app.example',
      'access-control-expose-headers',
      'X-Request-Id',
      'vary',
      'Accept, Origin',
    ]);
  });

  it.each([
    [[], 'Origin'],
    [['vary', 'origin'], 'origin'],
    [['vary', ['Accept', 'Accept-Encoding']], 'Accept, Accept-Encoding, Origin'],
    [['vary', ' '], 'Origin'],
  ] as [string[], string][])('Vary %j → %s', (headers, vary) => {
    const list = withCorsHeaders(headers, 'https://app.example');
    expect(list.slice(-2)).toEqual(['vary', vary]);
  });
});

describe('presentedKey', () => {
  it.each([
    [{ authorization: 'Bearer abc' }, 'authorization', { ok: true, secret: 'abc' }],
    [{ authorization: 'bearer   abc ' }, 'authorization', { ok: true, secret: 'abc' }],
    [{ authorization: 'Bearer' }, 'authorization', { ok: false, problem: 'missing' }],
    [{ authorization: 'Bearer a b' }, 'authorization', { ok: false, problem: 'missing' }],
    [{ 'x-api-key': ' abc ' }, 'x-api-key', { ok: true, secret: 'abc' }],
    [{ 'x-api-key': 'Bearer abc' }, 'x-api-key', { ok: false, problem: 'missing' }],
    [{ 'x-api-key': ['a', 'b'] }, 'x-api-key', { ok: false, problem: 'ambiguous' }],
    [{}, 'x-api-key', { ok: false, problem: 'missing' }],
  ] as const)('%j via %s', (headers, header, expected) => {
    expect(presentedKey(headers, header)).toEqual(expected);
  });
});

describe('withEveryCopy', () => {
  it('keeps the headers object when Authorization comes once or not at all', () => {
    const headers = { authorization: 'Bearer a', host: 'x' };
    expect(withEveryCopy(headers, ['Host', 'x', 'Authorization', 'Bearer a'])).toBe(headers);
    expect(withEveryCopy({}, ['Host', 'x'])).toEqual({});
  });

  it('lists every copy, in any case of the name, so presentedKey calls it ambiguous', () => {
    const raw = ['authorization', 'Bearer a', 'X-Other', '1', 'AUTHORIZATION', 'Bearer b'];
    const headers = withEveryCopy({ authorization: 'Bearer a' }, raw);
    expect(headers.authorization).toEqual(['Bearer a', 'Bearer b']);
    expect(presentedKey(headers, 'authorization')).toEqual({ ok: false, problem: 'ambiguous' });
  });

  it('lists every Host, so the pipeline can refuse a second one', () => {
    const raw = ['Host', 'a.example', 'HOST', 'b.example'];
    expect(withEveryCopy({ host: 'a.example' }, raw).host).toEqual(['a.example', 'b.example']);
  });

  it('lists a name exactly when it came more than once, every copy in order', () => {
    const name = fc.constantFrom(
      'Host',
      'host',
      'HOST',
      'Authorization',
      'authorization',
      'X-Other',
      'Hosts',
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.string()), { maxLength: 8 }), (pairs) => {
        const raw = pairs.flat();
        const headers = { authorization: 'first', host: 'first' };
        const copies = (wanted: string) =>
          pairs.filter(([n]) => n.toLowerCase() === wanted).map(([, value]) => value);
        const auth = copies('authorization');
        const host = copies('host');
        const got = withEveryCopy(headers, raw);
        if (auth.length < 2 && host.length < 2) expect(got).toBe(headers);
        expect(got.authorization).toEqual(auth.length > 1 ? auth : 'first');
        expect(got.host).toEqual(host.length > 1 ? host : 'first');
      }),
    );
  });
});

describe('upstreamPath', () => {
  const p = (raw: string, normalized = raw, query = '') => ({ raw, normalized, query });
  it.each([
    ['http://u/', p('/v1/a'), '/v1', false, '/v1/a'],
    ['http://u/', p('/v1/a', '/v1/a', '?q=1'), '/v1', true, '/a?q=1'],
    ['http://u/', p('/v1'), '/v1/', true, '/'],
    ['http://u/base/', p('/v1/a'), '/v1', true, '/base/a'],
    ['http://u/base', p('/%76%31/%7Ea', '/v1/~a'), '/v1', true, '/base/~a'],
    ['http://u/base', p('/%76%31/%7Ea', '/v1/~a'), '/v1', false, '/base/%76%31/%7Ea'],
  ])('%s %j prefix %s strip %s → %s', (upstream, path, prefix, strip, expected) => {
    expect(upstreamPath(new URL(upstream), path, prefix, strip)).toBe(expected);
  });
});
