/**
 * Which peers may ask for decisions: the proxies the server trusts for forwarding headers
 * (docs/architecture/client-address.md), so one setting says both "whose X-Forwarded-For is believed" and
 * "who may ask".
 */
import { type ClientAddressConfig, IpSet } from '@ipgate/core';

/** Whether a socket peer is a proxy the server trusts. */
export interface ProxyTrust {
  trusts(peer: string | undefined): boolean;
  /** For logs and docs: which setting decides. */
  readonly description: string;
}

/**
 * The trust the server's client-address settings imply:
 * - `trusted-proxies` (`--trust-proxy`): a peer in the list;
 * - `hop-count` (`--proxy-hops`): any peer, because hop counting trusts by position, not address —
 *   the listener must then be reachable by the proxy only;
 * - `socket` (no proxy configured): nobody, so a proxy that was never configured cannot make ipgate
 *   decide about the proxy's own address for every client.
 *
 * @example
 * proxyTrust({ mode: 'trusted-proxies', trusted: ['10.0.0.0/8'] }).trusts('10.1.2.3'); // true
 * proxyTrust({ mode: 'socket' }).trusts('127.0.0.1'); // false
 */
export function proxyTrust(config: ClientAddressConfig): ProxyTrust {
  switch (config.mode) {
    case 'trusted-proxies': {
      const set = IpSet.from(config.trusted);
      return {
        trusts: (peer) => peer !== undefined && set.has(peer),
        description: 'a peer listed in trustProxy',
      };
    }
    case 'hop-count':
      return { trusts: (peer) => peer !== undefined, description: 'any peer (proxyHops is set)' };
    default:
      return { trusts: () => false, description: 'nobody: neither trustProxy nor proxyHops is set' };
  }
}
