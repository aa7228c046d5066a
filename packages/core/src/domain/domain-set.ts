import { scanIPv4 } from '../address/ipv4.js';
import { IpGateError, isIpGateError } from '../errors/ip-gate-error.js';
import { type ParsedOrigin, parseOrigin } from './origin.js';
import { type DomainRule, parseDomainRule } from './parse-domain-rule.js';
import { defaultPort, type WebScheme } from './scheme.js';

/**
 * A rule as stored with a name or id (a key restriction entry, a row of a list).
 */
export interface NamedDomainRule {
  readonly value: string;
  readonly name?: string | undefined;
  readonly id?: string | undefined;
}

/**
 * What {@link DomainSet.from} accepts per rule: text, an already parsed rule, or a named rule.
 *
 * @example
 * const rules: DomainRuleInput[] = ['example.com', parseDomainRule('*.example.com'), { value: 'localhost:3000' }];
 */
export type DomainRuleInput = string | DomainRule | NamedDomainRule;

/**
 * The rule that let an origin through.
 *
 * @example
 * const set = DomainSet.from(['https://app.example.com', '*.example.com']);
 * const m: DomainMatch | null = set.match(parseOrigin('https://a.example.com'));
 * if (m) console.log(`allowed by rule ${m.index + 1} (${m.rule.canonical})`);
 */
export interface DomainMatch {
  /** Position of the rule in the list given to {@link DomainSet.from}. */
  readonly index: number;
  readonly name: string | undefined;
  readonly id: string | undefined;
  readonly rule: DomainRule;
}

const SCHEMES: readonly WebScheme[] = ['http', 'https'];
/** Up to this many rules, a lookup scans them in order instead of probing maps. */
const SCAN_UP_TO = 8;
const NO_KEYS: ReadonlyMap<string, number> = new Map();

/**
 * An immutable, compiled list of domain rules (docs/architecture/domains.md).
 *
 * Each rule is expanded once into `scheme://host:port` keys, so a lookup costs one map probe for
 * the exact host plus one per parent suffix of the origin's host, whatever the number of rules.
 * When several rules match, the one listed first wins.
 *
 * - `*.example.com` matches `a.example.com` and `a.b.example.com`, never `example.com`,
 *   `badexample.com` or `example.com.evil.net`.
 * - A rule without scheme matches http and https; a rule without port matches only the scheme's
 *   default port (`localhost` does not match `http://localhost:3000`; `localhost:3000` does, on
 *   either scheme).
 * - A null origin never matches.
 *
 * @example
 * const set = DomainSet.from(['https://app.example.com', '*.example.org', 'localhost:3000']);
 * set.matchesOriginHeader('https://a.b.example.org'); // true
 * set.matchesOriginHeader('https://example.org'); // false
 * set.matches(parseOrigin('http://localhost:3000')); // true
 */
export class DomainSet {
  /** The number of rules given, duplicates included. */
  readonly size: number;
  readonly #matches: readonly DomainMatch[];
  readonly #exact: ReadonlyMap<string, number>;
  readonly #wildcard: ReadonlyMap<string, number>;

  private constructor(matches: readonly DomainMatch[]) {
    this.size = matches.length;
    this.#matches = matches;
    if (matches.length <= SCAN_UP_TO) {
      // A key's few rules (platforms allow five): a scan of them beats two maps and their keys, which
      // cost ~1 KB a set — 100 MB for a node with 100,000 keys.
      this.#exact = NO_KEYS;
      this.#wildcard = NO_KEYS;
      Object.freeze(this);
      return;
    }
    const exact = new Map<string, number>();
    const wildcard = new Map<string, number>();
    for (const m of matches) {
      const target = m.rule.wildcard ? wildcard : exact;
      for (const scheme of m.rule.scheme === undefined ? SCHEMES : [m.rule.scheme]) {
        const k = key(scheme, m.rule.host, m.rule.port ?? (defaultPort(scheme) as number));
        // Keep the first: the earliest rule is the one reported.
        if (!target.has(k)) target.set(k, m.index);
      }
    }
    this.#exact = exact;
    this.#wildcard = wildcard;
    Object.freeze(this);
  }

  /**
   * Compiles rules into a set. Throws the first bad rule's `IpGateError`, with its position
   * (`error.index`, and "entry N:" in the message); a list is never half-accepted.
   *
   * A `DomainRule` object is parsed again from its `canonical` text, so a hand-made or stale object
   * cannot smuggle in a host that parsing would refuse.
   *
   * @example
   * DomainSet.from(['example.com', { value: '*.example.org', name: 'portal' }]).size; // 2
   * DomainSet.from(['example.com', 'https://a.com/app']); // throws IPG_DOMAIN_HAS_PATH with index 1
   */
  static from(rules: Iterable<DomainRuleInput>): DomainSet {
    if (typeof rules === 'string') {
      // A string is iterable too, and would silently become one rule per character.
      throw new IpGateError(
        'IPG_DOMAIN_INVALID',
        'DomainSet.from was given one string instead of a list of rules.',
        {
          hint: `Pass an array: DomainSet.from([${JSON.stringify(rules)}]).`,
          input: rules,
        },
      );
    }
    const matches: DomainMatch[] = [];
    for (const item of rules) {
      const index = matches.length;
      try {
        matches.push(Object.freeze({ index, ...compile(item) }));
      } catch (error) {
        if (isIpGateError(error)) throw error.withContext({ index });
        throw error;
      }
    }
    return new DomainSet(Object.freeze(matches));
  }

  /**
   * The rules in the order given.
   *
   * @example
   * DomainSet.from(['EXAMPLE.com']).rules[0]?.canonical; // 'example.com'
   */
  get rules(): readonly DomainRule[] {
    return this.#matches.map((m) => m.rule);
  }

  /**
   * True when some rule allows the origin.
   *
   * @example
   * DomainSet.from(['example.com']).matches(parseOrigin('https://example.com')); // true
   * DomainSet.from(['example.com']).matches(null); // false
   */
  matches(origin: ParsedOrigin | null): boolean {
    return this.match(origin) !== null;
  }

  /**
   * The first rule, in list order, that allows the origin; null when none does.
   *
   * @example
   * DomainSet.from(['a.com', '*.example.com']).match(parseOrigin('https://x.example.com'))?.index; // 1
   */
  match(origin: ParsedOrigin | null): DomainMatch | null {
    if (origin === null) return null;
    const port = origin.port ?? defaultPort(origin.scheme);
    if (port === undefined) return null;
    const { scheme, host } = origin;
    if (this.#matches.length <= SCAN_UP_TO) return scan(this.#matches, scheme, host, port);
    let best = this.#exact.get(key(scheme, host, port)) ?? Number.POSITIVE_INFINITY;
    if (this.#wildcard.size > 0 && !isIpLiteral(host)) {
      // Parent suffixes at label boundaries only, so *.example.com never sees badexample.com.
      for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
        const index = this.#wildcard.get(key(scheme, host.slice(dot + 1), port));
        if (index !== undefined && index < best) best = index;
      }
    }
    return best === Number.POSITIVE_INFINITY ? null : (this.#matches[best] ?? null);
  }

  /**
   * Parses an `Origin` header value strictly and matches it.
   *
   * @example
   * DomainSet.from(['*.example.com']).matchesOriginHeader('https://a.example.com'); // true
   * DomainSet.from(['*.example.com']).matchesOriginHeader('null'); // false
   */
  matchesOriginHeader(value: string): boolean {
    return this.matches(parseOrigin(value));
  }
}

function compile(item: DomainRuleInput): Omit<DomainMatch, 'index'> {
  if (typeof item === 'string') return { rule: parseDomainRule(item), name: undefined, id: undefined };
  if (typeof item === 'object' && item !== null) {
    if ('value' in item && typeof item.value === 'string') {
      return {
        rule: parseDomainRule(item.value),
        name: typeof item.name === 'string' ? item.name : undefined,
        id: typeof item.id === 'string' ? item.id : undefined,
      };
    }
    if ('canonical' in item && typeof item.canonical === 'string') {
      const rule = parseDomainRule(item.canonical);
      return {
        rule: typeof item.input === 'string' ? { ...rule, input: item.input } : rule,
        name: undefined,
        id: undefined,
      };
    }
  }
  throw new IpGateError('IPG_DOMAIN_INVALID', 'The rule is neither text nor a parsed domain rule.', {
    hint: 'Give each rule as text like "*.example.com", or as { value: "*.example.com" }.',
  });
}

/** The first rule in list order that allows the origin, read rule by rule: the small sets' lookup. */
function scan(
  matches: readonly DomainMatch[],
  scheme: string,
  host: string,
  port: number,
): DomainMatch | null {
  let literal: boolean | undefined;
  for (const m of matches) {
    const rule = m.rule;
    if (rule.scheme !== undefined && rule.scheme !== scheme) continue;
    if ((rule.port ?? defaultPort(scheme)) !== port) continue;
    if (!rule.wildcard) {
      if (host === rule.host) return m;
      continue;
    }
    // A strict subdomain at a label boundary, never an IP literal (as the maps' suffix walk).
    if (
      host.length > rule.host.length + 1 &&
      host.endsWith(rule.host) &&
      host.charCodeAt(host.length - rule.host.length - 1) === 46
    ) {
      literal ??= isIpLiteral(host);
      if (!literal) return m;
    }
  }
  return null;
}

function key(scheme: string, host: string, port: number): string {
  // Hosts never contain "/" or an unbracketed ":", so the key cannot be forged by another host.
  return `${scheme}://${host}:${port}`;
}

function isIpLiteral(host: string): boolean {
  return host.startsWith('[') || scanIPv4(host, 0, host.length) >= 0;
}
