import {
  configError,
  type Decision,
  type DomainRuleInput,
  DomainSet,
  decide,
  denyClientAddress,
  type IpAddress,
  IpGateError,
  IpSet,
  type IpSetSource,
  type KeyRestrictions,
  type OriginHeaders,
  originOf,
} from '@ipgate/core';
import type { GateRequest } from './gate.js';

/**
 * One key's own restrictions, with the meaning core's `decide()` gives key restrictions (and the
 * gateway applies): `ips` for server callers (no `Origin` or `Referer`), `domains` for browser
 * callers (any server can send any `Origin`, so a domain never vouches for a server). A key with
 * only `domains` cannot be used from a server, one with only `ips` not from a browser, and an empty
 * list denies every caller of its kind. A key with neither is unrestricted.
 *
 * @example
 * const backend: KeyRuleOptions = { ips: ['203.0.113.0/24'] };
 * const webApp: KeyRuleOptions = { domains: ['https://app.example.com', '*.example.org'] };
 * const both: KeyRuleOptions = { ips: ['203.0.113.7'], domains: ['localhost:3000'] };
 */
export interface KeyRuleOptions {
  readonly ips?: Iterable<IpSetSource> | IpSet;
  readonly domains?: Iterable<DomainRuleInput> | DomainSet;
}

/**
 * Per-key rules: which key (API key, customer, token…) a request uses, and each key's restrictions.
 * They apply after the `allow` list let the request through.
 *
 * `keyOf` returning undefined (or null), or a key that `rules` does not name, adds no restriction:
 * whether an unknown key may call at all is for the app's authentication to decide. `keyOf`
 * throwing, or returning something other than a string, denies.
 *
 * @example
 * const keys: KeysOption = {
 *   keyOf: (request) => request.headers['x-api-key'] as string | undefined,
 *   rules: {
 *     key_backend: { ips: ['203.0.113.0/24'] },
 *     key_webapp: { domains: ['https://app.example.com'] },
 *   },
 * };
 */
export interface KeysOption {
  keyOf(request: GateRequest): string | undefined;
  readonly rules: Readonly<Record<string, KeyRuleOptions>> | ReadonlyMap<string, KeyRuleOptions>;
}

/**
 * The key stage of a gate, compiled: applies a request's key restrictions to a request the network
 * rules allowed.
 *
 * @example
 * const keys = compileKeyRules({ keyOf: (r) => r.headers['x-api-key'] as string, rules: { k: { ips: [] } } });
 * keys?.decide(request, client, networkDecision).reason; // 'key-ip-list-empty'
 */
export interface KeyRules {
  /** `network` is the allowed decision of the `allow` list for `client`; returns the final decision. */
  decide(request: GateRequest, client: IpAddress, network: Decision): Decision;
}

const RULE_FIELDS: ReadonlySet<string> = new Set(['ips', 'domains']);

/**
 * Checks and compiles the `keys` option when the gate is built, so a bad entry fails at startup with
 * its field named (`keys.rules.<key>.ips`), never on a request. Undefined when there is no option.
 *
 * @example
 * compileKeyRules({ keyOf: () => 'k', rules: { k: { ips: ['10.0.0.1/8'] } } }); // throws, field 'keys.rules.k.ips'
 */
export function compileKeyRules(option: KeysOption | undefined): KeyRules | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== 'object' || option === null) {
    throw configError(
      'keys',
      'keys must be an object { keyOf, rules }.',
      "Write e.g. keys: { keyOf: (request) => request.headers['x-api-key'], rules: { key_1: { ips: ['203.0.113.0/24'] } } }.",
    );
  }
  const { keyOf } = option;
  if (typeof keyOf !== 'function') {
    throw configError(
      'keys.keyOf',
      'keys.keyOf must be a function (request) => key.',
      "Write e.g. keyOf: (request) => request.headers['x-api-key'] (undefined when the request has no key).",
    );
  }
  const restrictions = compileRules(option.rules);
  return {
    decide(request, client, network) {
      let key: unknown;
      try {
        key = keyOf.call(option, request); // `this` as written, for a keyOf written as a method
      } catch (error) {
        // Fail closed: a key that cannot be told must not skip its key's restrictions.
        return denyClientAddress('client-address-invalid', `keys.keyOf threw: ${String(error)}`);
      }
      if (typeof key !== 'string') {
        if (key === undefined || key === null) return network;
        // An array (how some frameworks hand over a repeated header) or anything else: whose rules? Deny.
        return denyClientAddress(
          'client-address-invalid',
          `keys.keyOf returned ${Array.isArray(key) ? 'an array' : typeof key}, not a string or undefined`,
        );
      }
      const restriction = restrictions.get(key);
      if (restriction === undefined) return network;
      // Core decides, as on the gateway; the network stage has already passed.
      const d = decide({ client, origin: originOf(request.headers as OriginHeaders), key: restriction });
      if (network.matched.length === 0) return d;
      // As core's own decision would: the rules of the stages passed, in stage order (network first).
      return { ...d, matched: [...network.matched, ...d.matched] };
    },
  };
}

function compileRules(rules: KeysOption['rules']): Map<string, KeyRestrictions> {
  const compiled = new Map<string, KeyRestrictions>();
  // What a key without one of the lists gets: the switch off (the list is then never read).
  const noIps: KeyRestrictions['ips'] = { enabled: false, list: IpSet.from([]) };
  const noDomains: KeyRestrictions['domains'] = { enabled: false, list: DomainSet.from([]) };
  let entries: Iterable<readonly [unknown, unknown]>;
  if (rules instanceof Map) entries = rules.entries();
  else if (typeof rules === 'object' && rules !== null && !Array.isArray(rules))
    entries = Object.entries(rules);
  else {
    throw configError(
      'keys.rules',
      `keys.rules must be an object or a Map from key to rules, not ${kindOf(rules)}.`,
      "Write e.g. rules: { key_1: { ips: ['203.0.113.0/24'] }, key_2: { domains: ['app.example.com'] } }.",
    );
  }
  for (const [key, rule] of entries) {
    if (typeof key !== 'string') {
      throw configError(
        'keys.rules',
        `keys.rules: a Map key is ${kindOf(key)}; keyOf returns strings, so it could never apply.`,
        'Use the key as a string.',
      );
    }
    const field = `keys.rules.${key}`;
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
      throw configError(
        field,
        `${field} must be an object { ips?, domains? }, not ${kindOf(rule)}.`,
        "Write e.g. { ips: ['203.0.113.0/24'] } for server callers, { domains: ['app.example.com'] } for browsers.",
      );
    }
    for (const name of Object.keys(rule)) {
      // A misspelt list would otherwise leave the key unrestricted without a word.
      if (!RULE_FIELDS.has(name)) {
        throw configError(
          `${field}.${name}`,
          `${field} has an unknown setting ${JSON.stringify(name)}.`,
          'A key rule takes ips (server callers) and domains (browser callers).',
        );
      }
    }
    const { ips, domains } = rule as KeyRuleOptions;
    // Left out: a key without restrictions means what an unknown key means.
    if (ips === undefined && domains === undefined) continue;
    compiled.set(key, {
      ips: ips === undefined ? noIps : { enabled: true, list: toIpSet(ips, `${field}.ips`) },
      domains:
        domains === undefined ? noDomains : { enabled: true, list: toDomainSet(domains, `${field}.domains`) },
    });
  }
  return compiled;
}

function toIpSet(ips: Iterable<IpSetSource> | IpSet, field: string): IpSet {
  return ips instanceof IpSet ? ips : compileList(ips, field, "'203.0.113.0/24'", (list) => IpSet.from(list));
}

function toDomainSet(domains: Iterable<DomainRuleInput> | DomainSet, field: string): DomainSet {
  return domains instanceof DomainSet
    ? domains
    : compileList(domains, field, "'app.example.com'", (list) => DomainSet.from(list));
}

/** Checks that `value` is a list and compiles it, naming `field` in an entry's error. */
function compileList<T, C>(
  value: Iterable<T>,
  field: string,
  example: string,
  compile: (list: Iterable<T>) => C,
): C {
  checkList(value, field, example);
  try {
    return compile(value);
  } catch (error) {
    if (error instanceof IpGateError) throw error.withContext({ field });
    throw error;
  }
}

/** A list, and not a string (iterable too: it would become one entry per character). */
function checkList(value: unknown, field: string, example: string): void {
  if (
    typeof value === 'string' ||
    typeof value !== 'object' ||
    value === null ||
    typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function'
  ) {
    throw configError(
      field,
      `${field} must be a list, not ${kindOf(value)}.`,
      `Write ${field.slice(field.lastIndexOf('.') + 1)}: [${typeof value === 'string' ? JSON.stringify(value) : example}].`,
    );
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : typeof value;
}
