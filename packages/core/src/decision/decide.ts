import type { IpAddress } from '../address/ip-address.js';
import type { DomainSet } from '../domain/domain-set.js';
import type { RequestOrigin } from '../domain/origin.js';
import type { DecisionReason } from '../errors/catalogue.js';
import type { IpSet } from '../set/ip-set.js';
import type { Decision, MatchedRule, RuleList, Stage } from './decision.js';

/**
 * The ways a tenant can restrict the addresses its keys may be used from
 * (docs/architecture/README.md#vocabulary): the one list the type, the server's schemas and columns,
 * and the CLI's choices are made from.
 *
 * @example RESTRICTION_MODES.includes('manual'); // true
 */
export const RESTRICTION_MODES = ['off', 'manual', 'auto'] as const;

/** How a tenant restricts the addresses its keys may be used from: one of {@link RESTRICTION_MODES}. */
export type RestrictionMode = (typeof RESTRICTION_MODES)[number];

/** A tenant's IP restriction, compiled. */
export interface TenantRestriction {
  readonly mode: RestrictionMode;
  readonly list: IpSet;
}

/** A key's own restrictions, compiled. Each is a switch and a list; a switch that is on with nothing listed denies. */
export interface KeyRestrictions {
  readonly ips: { readonly enabled: boolean; readonly list: IpSet };
  readonly domains: { readonly enabled: boolean; readonly list: DomainSet };
}

/** Everything core needs to decide stages 3, 5 and 6 of the pipeline (docs/architecture/pipeline.md). */
export interface DecisionInput {
  /** The client address, resolved by a client-address strategy (unmapped). */
  readonly client: IpAddress;
  /** Whether this is a browser request and from which origin (see `originOf`). */
  readonly origin: RequestOrigin;
  /** The API's network allowlist; empty or absent lets everyone through (checked before authentication). */
  readonly apiAllowlist?: IpSet | undefined;
  /** Absent for requests that have not (yet) been authenticated. */
  readonly tenant?: TenantRestriction | undefined;
  readonly key?: KeyRestrictions | undefined;
}

/**
 * Decides a request by the API allowlist, the tenant restriction and the key restrictions, in that order.
 *
 * Pure and allocation-light: the sets are compiled when rules change, and the client address is parsed
 * once by the caller. The gateway, the middlewares, the decision endpoint and `ipgate check` all call this,
 * so they cannot disagree.
 *
 * @example
 * const d = decide({
 *   client: IpAddress.parse('203.0.113.7'),
 *   origin: { kind: 'server' },
 *   tenant: { mode: 'manual', list: IpSet.from(['203.0.113.0/24']) },
 * });
 * d.allow; // true
 * d.matched[0]?.value; // '203.0.113.0/24'
 */
export function decide(input: DecisionInput): Decision {
  const matched: MatchedRule[] = [];
  const { client } = input;

  const api = input.apiAllowlist;
  if (api !== undefined && !api.isEmpty) {
    const m = api.matchAddress(client);
    if (m === undefined) return deny('api-allowlist', 'api-allowlist-not-listed', matched);
    matched.push(rule('api-allowlist', 'api-allowlist', m));
  }

  const tenant = input.tenant;
  // A browser key is judged by its domain rules instead of the tenant's address list: browsers call from
  // anywhere, and a server request with it is denied at the key stage anyway
  // (docs/architecture/domains.md#browser-keys-and-server-keys).
  if (tenant !== undefined && tenant.mode !== 'off' && !isBrowserKey(input.key)) {
    // Blocked by default: an empty list in manual or auto mode denies every address.
    if (tenant.list.isEmpty) return deny('tenant-restriction', 'tenant-list-empty', matched, true);
    const m = tenant.list.matchAddress(client);
    if (m === undefined) return deny('tenant-restriction', 'tenant-ip-not-listed', matched, true);
    matched.push(rule('tenant-restriction', 'tenant', m));
  }

  const key = input.key;
  if (key !== undefined && (key.ips.enabled || key.domains.enabled)) {
    const origin = input.origin;
    if (origin.kind === 'browser') {
      // Any server can send any Origin, so a domain rule only ever vouches for browsers.
      if (!key.domains.enabled) return deny('key-restriction', 'key-browser-request-not-allowed', matched);
      if (key.domains.list.size === 0) return deny('key-restriction', 'key-domain-list-empty', matched);
      const m = key.domains.list.match(origin.origin);
      if (m === undefined || m === null) return deny('key-restriction', 'key-domain-not-listed', matched);
      matched.push({
        stage: 'key-restriction',
        list: 'key-domains',
        index: m.index,
        name: m.name,
        id: m.id,
        value: m.rule.input,
      });
    } else {
      if (!key.ips.enabled) return deny('key-restriction', 'key-server-request-not-allowed', matched);
      if (key.ips.list.isEmpty) return deny('key-restriction', 'key-ip-list-empty', matched);
      const m = key.ips.list.matchAddress(client);
      if (m === undefined) return deny('key-restriction', 'key-ip-not-listed', matched);
      matched.push(rule('key-restriction', 'key-ips', m));
    }
  }

  return { allow: true, status: 200, stage: 'complete', reason: 'allowed', matched, reviewable: false };
}

/**
 * Whether a key is a **browser key**: domain restriction on, IP restriction off. Such a key serves only
 * browser requests (from the origins it lists), so the tenant's address list does not apply to it; a key
 * with its IP restriction on is a server key, held to addresses
 * (docs/architecture/domains.md#browser-keys-and-server-keys).
 *
 * @example
 * isBrowserKey({ ips: { enabled: false, list: IpSet.from([]) }, domains: { enabled: true, list: DomainSet.from(['app.example.com']) } }); // true
 * isBrowserKey(undefined); // false
 */
export function isBrowserKey(key: KeyRestrictions | undefined): boolean {
  return key?.domains.enabled === true && !key.ips.enabled;
}

/**
 * The decision for a request whose client address could not be resolved (stage 1:
 * docs/architecture/pipeline.md#1-client-address).
 *
 * @example
 * const r = hopCount({ hops: 1 }).resolve(req.socket.remoteAddress, req.headers);
 * if (!r.ok) denyClientAddress(r.reason, r.detail); // { allow: false, status: 403, stage: 'client-address', … }
 */
export function denyClientAddress(reason: DecisionReason, detail?: string): Decision {
  return {
    allow: false,
    status: 403,
    stage: 'client-address',
    reason,
    matched: [],
    reviewable: false,
    ...(detail === undefined ? {} : { detail }),
  };
}

function deny(stage: Stage, reason: DecisionReason, matched: MatchedRule[], reviewable = false): Decision {
  return { allow: false, status: 403, stage, reason, matched, reviewable };
}

function rule(
  stage: Stage,
  list: RuleList,
  m: { index: number; name: string | undefined; id: string | undefined; value: string },
): MatchedRule {
  return { stage, list, index: m.index, name: m.name, id: m.id, value: m.value };
}
