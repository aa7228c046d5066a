import {
  type CompiledPublishedRules,
  type Decision,
  decide,
  type IpAddress,
  type IpSet,
  type RequestOrigin,
} from '@ipgate/core';

/**
 * One compiled set of rules, as a gate consults it on the request path. Rule sources swap whole
 * `GateRules` objects when their rules change, so a request never sees half of an update.
 *
 * @example
 * const rules = listRules(IpSet.from(['203.0.113.0/24']), 'office');
 * rules.decide(IpAddress.parse('203.0.113.7')).allow; // true
 */
export interface GateRules {
  /** The server's change version for live rules; undefined for rules from code or a file. */
  readonly version: number | undefined;
  /** Where the rules came from, for logs: `'3 entries from code'`, `'allow.txt'`, `'api api_1 v42'`. */
  readonly description: string;
  decide(client: IpAddress): Decision;
}

// Network rules never read the origin: key restrictions (the only stage that does) are decided
// apart, per request, by the gate's `keys` (key-rules.ts). So every request is judged as a server one.
const SERVER: RequestOrigin = { kind: 'server' };

/**
 * Rules from a plain list (code or a file): only listed addresses pass, and an empty list denies
 * everyone. That is the meaning of a tenant list in `manual` mode (blocked by default), so core's
 * `decide()` is reused with it and the gate, the gateway and `ipgate check` cannot disagree.
 *
 * @example
 * const rules = listRules(IpSet.from([]), 'empty');
 * rules.decide(IpAddress.parse('192.0.2.1')).reason; // 'tenant-list-empty'
 */
export function listRules(list: IpSet, description: string): GateRules {
  const tenant = { mode: 'manual', list } as const;
  return {
    version: undefined,
    description,
    decide: (client) => decide({ client, origin: SERVER, tenant }),
  };
}

/**
 * Rules an ipgate server published, with the scope's meaning of an empty list: an API's allowlist
 * lets everyone through when empty (docs/architecture/pipeline.md#3-api-network-allowlist); a tenant's
 * restriction follows its mode.
 *
 * @example
 * const doc = { format: 'ipgate.rules/1', version: 42, scope: { kind: 'api', apiId: 'api_1' }, entries: [] };
 * const rules = publishedGateRules(parsePublishedRules(doc));
 * rules.version; // 42
 * rules.decide(IpAddress.parse('192.0.2.1')).allow; // true: an empty API allowlist lets everyone through
 */
export function publishedGateRules(compiled: CompiledPublishedRules): GateRules {
  const { scope, list, version } = compiled;
  if (scope.kind === 'api') {
    return {
      version,
      description: `api ${scope.apiId} v${version}`,
      decide: (client) => decide({ client, origin: SERVER, apiAllowlist: list }),
    };
  }
  const tenant = { mode: scope.mode, list };
  return {
    version,
    description: `tenant ${scope.tenantId} (${scope.mode}) v${version}`,
    decide: (client) => decide({ client, origin: SERVER, tenant }),
  };
}
