import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hopCount } from './hop-count.js';
import type { ClientAddressResult, ForwardingHeader, HeaderValue } from './strategy.js';
import { trustedProxies } from './trusted-proxies.js';

/**
 * Random proxy chains, rendered the many ways proxies and clients write them, checked against a
 * reference of the rightmost-untrusted rule that knows each element's kind from how it was generated
 * (it never parses, so it cannot share a bug with the code under test).
 */

const TRUSTED = ['10.0.0.0/8', '2001:db8:ffff::/48'];
const strategies: Record<ForwardingHeader, ReturnType<typeof trustedProxies>> = {
  'x-forwarded-for': trustedProxies({ trusted: TRUSTED }),
  forwarded: trustedProxies({ trusted: TRUSTED, header: 'forwarded' }),
};

type Kind = 'trusted' | 'untrusted' | 'invalid';
interface Hop {
  readonly kind: Kind;
  /** The address as the result prints it (IPv4-mapped forms as IPv4); the text itself for invalid hops. */
  readonly canonical: string;
  readonly family: 4 | 6;
}

const octet = fc.integer({ min: 0, max: 255 });
const group = fc.integer({ min: 0, max: 0xffff }).map((g) => g.toString(16));
const port = fc.integer({ min: 1, max: 65535 });

const trustedV4 = fc
  .tuple(octet, octet, octet)
  .map(([b, c, d]): Hop => ({ kind: 'trusted', canonical: `10.${b}.${c}.${d}`, family: 4 }));
const untrustedV4 = fc
  .tuple(fc.constantFrom(203, 198, 192, 1, 100, 172, 11, 9), octet, octet, octet)
  .map(([a, b, c, d]): Hop => ({ kind: 'untrusted', canonical: `${a}.${b}.${c}.${d}`, family: 4 }));
// Five non-zero groups after the /48 prefix, so the canonical text has no `::` to predict.
const v6Tail = fc
  .array(
    group.filter((g) => g !== '0'),
    { minLength: 5, maxLength: 5 },
  )
  .map((g) => g.join(':'));
const trustedV6 = v6Tail.map(
  (tail): Hop => ({ kind: 'trusted', canonical: `2001:db8:ffff:${tail}`, family: 6 }),
);
const untrustedV6 = v6Tail.map(
  (tail): Hop => ({ kind: 'untrusted', canonical: `2001:db8:1:${tail}`, family: 6 }),
);
const invalid = fc
  .constantFrom(
    'unknown',
    '_hidden',
    'fe80::1%eth0',
    '10.0.0.1:99999',
    '10.0.0.1:080',
    '010.0.0.1',
    '127.1',
    'garbage',
    '[10.0.0.1]',
  )
  .map((text): Hop => ({ kind: 'invalid', canonical: text, family: 4 }));

const hop = fc.oneof(
  { arbitrary: trustedV4, weight: 4 },
  { arbitrary: trustedV6, weight: 2 },
  { arbitrary: untrustedV4, weight: 3 },
  { arbitrary: untrustedV6, weight: 2 },
  { arbitrary: invalid, weight: 1 },
);

/**
 * One way of writing a hop's node: with or without port, brackets, the mapped form, upper case. A
 * Forwarded header writes IPv6 only in brackets (RFC 7239 section 6; bare ones are refused, tested
 * on their own), X-Forwarded-For either way.
 */
const nodeText = (h: Hop, header: ForwardingHeader) =>
  fc.tuple(fc.integer({ min: 0, max: 4 }), port, fc.boolean()).map(([form, p, upper]) => {
    if (h.kind === 'invalid') return h.canonical;
    const a = upper ? h.canonical.toUpperCase() : h.canonical;
    const bare = header === 'forwarded' ? `[${a}]` : a;
    if (h.family === 6) return [bare, `[${a}]`, `[${a}]:${p}`, `[${a}]:${p}`, bare][form] as string;
    const mapped = header === 'forwarded' ? `[::ffff:${a}]` : `::ffff:${a}`;
    return [a, `${a}:${p}`, mapped, `[::ffff:${a}]`, `[::FFFF:${a}]:${p}`][form] as string;
  });

const ows = fc.constantFrom('', '', ' ', '\t', '  ', ' \t');

/** An X-Forwarded-For element, with optional whitespace around it. */
const xffElement = (h: Hop) =>
  fc.tuple(ows, nodeText(h, 'x-forwarded-for'), ows).map(([a, t, b]) => `${a}${t}${b}`);

/** A Forwarded element: `for` as token or quoted string, in any case, among other parameters. */
const forwardedElement = (h: Hop) =>
  fc
    .tuple(
      nodeText(h, 'forwarded'),
      fc.constantFrom('for', 'FOR', 'For'),
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      ows,
      ows,
    )
    .map(([text, name, quoteIt, proto, hasFor, a, b]) => {
      const tokenSafe = /^[A-Za-z0-9._-]+$/.test(text);
      const value = quoteIt || !tokenSafe ? `"${text.replace(/["\\]/g, '\\$&')}"` : text;
      // An element without `for` stands in for an invalid hop half of the time.
      const pair = h.kind === 'invalid' && !hasFor ? 'by=_proxy' : `${name}=${value}`;
      return `${a}${proto ? `proto=https;${pair}` : pair}${proto ? '' : ';host=api.example.com'}${b}`;
    });

/** Elements split over header lines at random, sent as several lines or joined the way node joins them. */
function render(elements: readonly string[], cuts: readonly number[], asLines: boolean): HeaderValue {
  if (elements.length === 0) return asLines ? [] : undefined;
  const lines: string[] = [];
  let start = 0;
  for (const cut of [...new Set(cuts.map((c) => c % elements.length))].sort((x, y) => x - y)) {
    if (cut <= start) continue;
    lines.push(elements.slice(start, cut).join(','));
    start = cut;
  }
  lines.push(elements.slice(start).join(','));
  return asLines ? lines : lines.join(', ');
}

const scenario = fc
  .record({
    header: fc.constantFrom<ForwardingHeader>('x-forwarded-for', 'forwarded'),
    // Mostly a trusted peer: that is where the header is read.
    peer: fc.oneof(
      { arbitrary: trustedV4, weight: 3 },
      { arbitrary: trustedV6, weight: 2 },
      untrustedV4,
      untrustedV6,
    ),
    peerMapped: fc.boolean(),
    chain: fc.array(hop, { maxLength: 12 }),
    cuts: fc.array(fc.nat(), { maxLength: 4 }),
    asLines: fc.boolean(),
  })
  .chain((s) =>
    fc
      .tuple(...s.chain.map((h) => (s.header === 'forwarded' ? forwardedElement(h) : xffElement(h))))
      .map((elements) => ({ ...s, value: render(elements, s.cuts, s.asLines) })),
  );

/** The rightmost-untrusted rule (docs/architecture/client-address.md), over the generated kinds. */
function reference(peer: Hop, chain: readonly Hop[]): string {
  if (peer.kind !== 'trusted' || chain.length === 0) return `socket ${peer.canonical}`;
  for (let k = chain.length - 1; k >= 0; k--) {
    const h = chain[k] as Hop;
    if (h.kind === 'invalid') return 'deny forwarded-element-invalid';
    if (h.kind === 'untrusted') return `header ${h.canonical}`;
  }
  return `header ${(chain[0] as Hop).canonical}`;
}

function outcome(r: ClientAddressResult): string {
  return r.ok ? `${r.via} ${r.address.toString()}` : `deny ${r.reason}`;
}

describe('trustedProxies against a reference of the rightmost-untrusted rule', () => {
  it('agrees on random chains, forms, ports, whitespace and line splits', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const peerText =
          s.peerMapped && s.peer.family === 4 ? `::ffff:${s.peer.canonical}` : s.peer.canonical;
        const r = strategies[s.header].resolve(peerText, { [s.header]: s.value });
        expect(outcome(r)).toBe(reference(s.peer, s.chain));
        expect(r.sawForwardingHeaders).toBe(
          s.value !== undefined && !(Array.isArray(s.value) && s.value.length === 0),
        );
      }),
      { numRuns: 3000 },
    );
  });
});

describe('trustedProxies never chooses an address left of the first untrusted one from the right', () => {
  // Whatever the client wrote arrives left of what the trusted proxies appended: the real client
  // address (untrusted) and then the proxies' own (trusted).
  const attack = fc.record({
    header: fc.constantFrom<ForwardingHeader>('x-forwarded-for', 'forwarded'),
    written: fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc
        .array(
          fc.constantFrom(
            '10.0.0.1',
            '127.0.0.1',
            ',',
            ' ',
            '"',
            '\\',
            ';',
            'for=',
            '=',
            '[::1]:80',
            'unknown',
            '::ffff:10.0.0.9',
          ),
          {
            maxLength: 30,
          },
        )
        .map((parts) => parts.join('')),
    ),
    client: fc.oneof(untrustedV4, untrustedV6),
    proxies: fc.array(trustedV4, { maxLength: 4 }),
    ownLine: fc.boolean(),
  });

  it('for any text the client sends', () => {
    fc.assert(
      fc.property(attack, ({ header, written, client, proxies, ownLine }) => {
        const node = (h: Hop) => (h.family === 6 ? `[${h.canonical}]` : h.canonical);
        const appended = [client, ...proxies].map((h) =>
          header === 'forwarded' ? `for="${node(h)}"` : node(h),
        );
        // A proxy either adds its own line or appends to the client's, as node does when it joins lines.
        const value = ownLine ? [written, appended.join(', ')] : `${written}, ${appended.join(', ')}`;
        const r = strategies[header].resolve('10.0.0.2', { [header]: value });
        if (r.ok) {
          expect(r.address.toString()).toBe(client.canonical);
          expect(r.via).toBe('header');
        } else {
          // The client may spoil its own request (a malformed or oversized header), never pick another address.
          expect(r.reason).toBe('forwarded-header-malformed');
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('for X-Forwarded-For, the client is always found', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }).filter((s) => s.split(',').length < 40),
        fc.oneof(untrustedV4, untrustedV6),
        fc.array(trustedV4, { maxLength: 4 }),
        (written, client, proxies) => {
          const value = [written, client.canonical, ...proxies.map((p) => p.canonical)].join(', ');
          const r = strategies['x-forwarded-for'].resolve('10.0.0.2', { 'x-forwarded-for': value });
          expect(outcome(r)).toBe(`header ${client.canonical}`);
        },
      ),
    );
  });
});

describe('hopCount against its definition', () => {
  it('picks addresses[hops] of [peer, ...elements right to left], or denies when there are too few', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(trustedV4, untrustedV4, untrustedV6), { maxLength: 10 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.boolean(),
        (chain, hops, cuts, asLines) => {
          const elements = chain.map((h) => (h.family === 6 ? `[${h.canonical}]:443` : `${h.canonical}:80`));
          const r = hopCount({ hops }).resolve('10.0.0.2', {
            'x-forwarded-for': render(elements, cuts, asLines),
          });
          const expected =
            chain.length < hops
              ? 'deny too-few-hops'
              : `header ${(chain[chain.length - hops] as Hop).canonical}`;
          expect(outcome(r)).toBe(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
