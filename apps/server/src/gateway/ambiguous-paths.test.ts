/**
 * Odd paths against a protected `/admin` API and a catch-all `/` API (docs/security.md#routing-and-keys):
 * a table of attacker inputs, and a property over generated paths — no path both passes routing and
 * reads, the way some upstream reads paths, as a path of another API.
 */
import { socketPeer } from '@ipgate/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixtureSnapshot } from '../snapshot/rules-fixture.test-support.js';
import { runPipeline } from './pipeline.js';

// api_1 `/admin` allows 203.0.113.0/25 only; api_2 `/` has no allowlist; the tenant lists 192.0.2.0/24.
const twoApis = fixtureSnapshot({
  tenantEntries: [{ value: '192.0.2.0/24' }, { value: '203.0.113.0/24' }],
  apis: [{ pathPrefix: '/admin' }, { pathPrefix: '/' }],
  apiEntries: [{ value: '203.0.113.0/25' }],
  keys: [{ secret: 'ipg_live_good' }],
});
const auth = { authorization: 'Bearer ipg_live_good' };
const outsider = (target: string) =>
  runPipeline(twoApis, socketPeer(), { method: 'GET', target, headers: auth, peer: '192.0.2.1' });

describe('odd paths that an upstream reads as /admin', () => {
  it.each([
    '/admin%00/x',
    '/admin%00',
    '/admin%0d%0a/x',
    '/admin%09/x',
    '/admin%7f/x',
    '/admin%20/x',
    '/admin%20',
    '/admin.',
    '/admin./x',
    '/admin.%20./x',
    '/admin%2e',
    '/admin%2E/x',
    '/admin%2e%2e%2e/x',
    '/adm%c0%aen',
    '/%c0%ae%c0%ae/admin',
    '/x/%c0%ae%c0%ae%c0%afadmin',
    '/x/%e0%80%ae%e0%80%ae/admin',
    '/%u0061dmin',
    '/x/%u002e%u002e/admin',
    '/admin%u0000/x',
    '/admin%ff/x',
    '/admin%c3/x',
    '/%ef%bc%8fadmin',
    '/admin%ef%bc%8e',
    '/x%ef%bc%8f%ef%bc%8e%ef%bc%8e%ef%bc%8fadmin',
  ])('refuses %s with 400 instead of routing it to the catch-all API', (target) => {
    const o = outsider(target);
    expect([o.allow, o.status, o.stage]).toEqual([false, 400, 'route']);
    expect(['path-ambiguous', 'path-invalid']).toContain(o.reason);
  });

  it('names what was wrong in the outcome detail, for the request log', () => {
    expect(outsider('/admin%00/x')).toMatchObject({
      reason: 'path-ambiguous',
      detail: expect.stringMatching(/%00/),
    });
    expect(outsider('/admin./x')).toMatchObject({
      reason: 'path-ambiguous',
      detail: expect.stringMatching(/dot/),
    });
  });

  it('still serves plain paths, UTF-8 and trailing dots that stay within one API', () => {
    expect(outsider('/public/caf%C3%A9').allow).toBe(true);
    expect(outsider('/public/file.').allow).toBe(true);
    expect(outsider('/public/a%20b').allow).toBe(true);
    expect(outsider('/administrator').allow).toBe(true);
    const insider = runPipeline(twoApis, socketPeer(), {
      method: 'GET',
      target: '/admin/report.',
      headers: auth,
      peer: '203.0.113.9',
    });
    expect(insider.allow).toBe(true);
  });
});

// ---- how software behind the gateway may read a path (the widest readings we know of) ----

/** Every `%uXXXX` and `%XX` decoded; bytes read as UTF-8 leniently: overlong forms accepted, junk as U+FFFD. */
function looseDecode(raw: string): string {
  const bytes: (number | string)[] = [];
  for (let i = 0; i < raw.length; ) {
    const u = /^%u([0-9a-f]{4})/i.exec(raw.slice(i, i + 6));
    if (u !== null) {
      bytes.push(String.fromCharCode(Number.parseInt(u[1] as string, 16)));
      i += 6;
    } else if (/^%[0-9a-f]{2}/i.test(raw.slice(i, i + 3))) {
      bytes.push(Number.parseInt(raw.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(raw[i] as string);
      i += 1;
    }
  }
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number | string;
    if (typeof b === 'string' || b < 0x80) {
      out += typeof b === 'string' ? b : String.fromCharCode(b);
      i++;
      continue;
    }
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    let cp = length === 1 ? -1 : b & (0xff >> (length + 1));
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (typeof c !== 'number' || (c & 0xc0) !== 0x80) cp = -1;
      else if (cp !== -1) cp = (cp << 6) | (c & 0x3f);
    }
    out += cp < 0 || cp > 0x10ffff ? '\ufffd' : String.fromCodePoint(cp);
    i += cp < 0 ? 1 : length;
  }
  return out;
}

/** The widest reading: loose decoding, cut at NUL, NFKC, `\` as `/`, `;params` dropped, Windows trailing dots and spaces, dot segments resolved. */
function widestReading(raw: string): string {
  let s = looseDecode(raw);
  const nul = s.indexOf('\u0000');
  if (nul !== -1) s = s.slice(0, nul);
  s = s
    .normalize('NFKC')
    .replaceAll('\\', '/')
    .replace(/;[^/]*/g, '');
  const out: string[] = [];
  for (const segment of s.split('/')) {
    const trimmed = segment.replace(/[. ]+$/, (m) => (segment === m ? m : ''));
    if (trimmed === '' || trimmed === '.') continue;
    if (trimmed === '..') out.pop();
    else out.push(trimmed);
  }
  return `/${out.join('/')}`;
}

describe('property: no path passes routing and reads as another API', () => {
  const piece = fc.oneof(
    fc.constantFrom(
      'admin',
      'adm',
      'in',
      'x',
      '/',
      '.',
      ' ',
      '%20',
      '%2e',
      '%2E',
      '%2f',
      '%5c',
      '\\',
      ';',
      '%3b',
      '%00',
      '%0a',
      '%u002e',
      '%u0061',
      '%c0%ae',
      '%c0%af',
      '%e0%80%ae',
      '%c3%a9',
      '%ef%bc%8f',
      '%ef%bc%8e',
      '%c2%a0',
      '%',
      '%25',
    ),
    fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, '0')}`),
  );

  it('every generated path is refused, or its widest reading routes to the API it was judged by', () => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 12 }), (pieces) => {
        const target = `/${pieces.join('')}`;
        const o = outsider(target);
        if (o.status === 400) return;
        const reading = widestReading(target.replace(/[?#].*$/, ''));
        const upstreamApi = twoApis.routes.find(undefined, reading);
        expect(upstreamApi?.id, `${target} reads as ${JSON.stringify(reading)}`).toBe(o.api?.id);
      }),
      { numRuns: 5000 },
    );
  });

  it('the property fails without the refusal: the widest reading of /admin%00/x is /admin', () => {
    expect(widestReading('/admin%00/x')).toBe('/admin');
    expect(widestReading('/%c0%ae%c0%ae/admin')).toBe('/admin');
    expect(widestReading('/admin.%20./x')).toBe('/admin/x');
    expect(widestReading('/%u0061dmin')).toBe('/admin');
    expect(widestReading('/%ef%bc%8fadmin')).toBe('/admin');
    expect(twoApis.routes.find(undefined, '/admin%00/x')?.id).not.toBe(
      twoApis.routes.find(undefined, '/admin')?.id,
    );
  });
});
