import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainSet } from './domain-set.js';
import { formatOrigin, type ParsedOrigin, parseOrigin } from './origin.js';
import { type DomainRule, formatDomainRule } from './parse-domain-rule.js';

// Few, overlapping labels ("b" inside "ab" and "ba") so that suffix, substring and label-boundary
// mistakes all get generated.
const labelArb = fc.constantFrom('a', 'b', 'ab', 'ba', 'c');
const hostLabels = (min: number, max: number) => fc.array(labelArb, { minLength: min, maxLength: max });

/**
 * The obvious, linear reading of the domain rules (docs/architecture/domains.md), to check the compiled set
 * against.
 */
function referenceMatch(rules: readonly DomainRule[], origin: ParsedOrigin | null): number | null {
  if (origin === null) return null;
  const dflt = origin.scheme === 'https' ? 443 : origin.scheme === 'http' ? 80 : undefined;
  if (dflt === undefined) return null;
  for (const [i, r] of rules.entries()) {
    if (r.scheme !== undefined && r.scheme !== origin.scheme) continue;
    if ((r.port ?? dflt) !== (origin.port ?? dflt)) continue;
    if (r.wildcard ? origin.host.endsWith(`.${r.host}`) : origin.host === r.host) return i;
  }
  return null;
}

const ruleArb = fc
  .record({
    scheme: fc.constantFrom(undefined, 'http' as const, 'https' as const),
    wildcard: fc.boolean(),
    labels: hostLabels(1, 3),
    port: fc.constantFrom(undefined, 80, 443, 3000),
  })
  // A wildcard over a single label is refused by design; give it a second label.
  .map(({ scheme, wildcard, labels, port }) => ({
    scheme,
    wildcard,
    host: (wildcard && labels.length < 2 ? [...labels, 'com'] : labels).join('.'),
    port,
  }));

const originArb = fc.record({
  scheme: fc.constantFrom('http', 'https'),
  host: hostLabels(1, 5).map((l) => l.join('.')),
  // Explicit default ports too, as a hand-built ParsedOrigin may carry them.
  port: fc.constantFrom(undefined, 80, 443, 3000, 8080),
});

describe('DomainSet properties', () => {
  it('*.base matches exactly the strict subdomains of base, at label boundaries', () => {
    fc.assert(
      fc.property(
        hostLabels(2, 3),
        hostLabels(1, 6),
        fc.constantFrom('http', 'https'),
        (base, host, scheme) => {
          const set = DomainSet.from([`*.${base.join('.')}`]);
          const isStrictSubdomain =
            host.length > base.length &&
            base.every((label, i) => host[host.length - base.length + i] === label);
          expect(set.matchesOriginHeader(`${scheme}://${host.join('.')}`)).toBe(isStrictSubdomain);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('an exact rule matches only its own host', () => {
    fc.assert(
      fc.property(hostLabels(1, 3), hostLabels(1, 4), (rule, host) => {
        const set = DomainSet.from([rule.join('.')]);
        expect(set.matchesOriginHeader(`https://${host.join('.')}`)).toBe(rule.join('.') === host.join('.'));
      }),
      { numRuns: 500 },
    );
  });

  it('match agrees with a linear reference matcher on random rule sets and origins', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { maxLength: 12 }),
        fc.array(originArb, { minLength: 1, maxLength: 8 }),
        (parts, origins) => {
          const set = DomainSet.from(parts.map(formatDomainRule));
          const rules = set.rules;
          for (const origin of origins) {
            expect(set.match(origin)?.index ?? null).toBe(referenceMatch(rules, origin));
            // The same through the header path, where ports are normalised.
            const header = parseOrigin(formatOrigin(origin));
            expect(set.match(header)?.index ?? null).toBe(referenceMatch(rules, origin));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('small sets (a scan) and large sets (maps) give the same first match', () => {
    // Rules that no generated origin can match push a set past the scan threshold; placed after the
    // real rules, they change no first match.
    const padding = Array.from({ length: 9 }, (_, i) => `pad${i}.invalid`);
    fc.assert(
      fc.property(
        fc.array(ruleArb, { minLength: 1, maxLength: 8 }),
        fc.array(originArb, { minLength: 1, maxLength: 8 }),
        (parts, origins) => {
          const rules = parts.map(formatDomainRule);
          const small = DomainSet.from(rules);
          const large = DomainSet.from([...rules, ...padding]);
          for (const origin of [...origins, { scheme: 'https', host: '192.0.2.1', port: undefined }]) {
            expect(small.match(origin)?.index ?? null).toBe(large.match(origin)?.index ?? null);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
