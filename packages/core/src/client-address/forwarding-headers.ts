import type { RequestHeaders } from './strategy.js';

/**
 * Headers that proxies, CDNs and load balancers use to pass the client address on. When any of them
 * reaches a gateway that trusts no proxy, either a proxy setting is missing or a client is trying its
 * luck; both deserve a warning (docs/architecture/client-address.md#forwarding-headers-nobody-trusts).
 *
 * @example
 * forwardingHeaderNames.includes('x-real-ip'); // true
 */
export const forwardingHeaderNames: readonly string[] = Object.freeze([
  'forwarded',
  'x-forwarded-for',
  'x-real-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'x-original-forwarded-for',
  'x-forwarded',
  'forwarded-for',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-envoy-external-address',
  'x-appengine-user-ip',
  'x-azure-clientip',
]);

const FORWARDING_HEADERS: ReadonlySet<string> = new Set(forwardingHeaderNames);

/**
 * True when the request carries any forwarding header, even an empty one: an empty `X-Forwarded-For`
 * still shows that someone meant to set it.
 *
 * @example
 * hasForwardingHeaders({ 'x-real-ip': '203.0.113.9' }); // true
 * hasForwardingHeaders({ host: 'api.example.com' }); // false
 */
export function hasForwardingHeaders(headers: RequestHeaders): boolean {
  // The request's own names against a set, rather than each of the names above looked up in the
  // request: a request carries a handful of headers, and on node's header object (a new shape for
  // each order clients send them in) a name it lacks is the dearest lookup there is. Runs per request.
  for (const name in headers) {
    if (!FORWARDING_HEADERS.has(name)) continue;
    const value = headers[name];
    if (typeof value === 'string' || (Array.isArray(value) && value.length > 0)) return true;
  }
  return false;
}
