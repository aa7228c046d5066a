import { elementInvalid } from './detail.js';
import { parseForwardedNode } from './forwarded-node.js';
import { hasForwardingHeaders } from './forwarding-headers.js';
import { readHeaderNodes } from './header-elements.js';
import { checkHeader, checkHops } from './option-checks.js';
import { parsePeer } from './socket-peer.js';
import type {
  ClientAddressResult,
  ClientAddressStrategy,
  ForwardingHeader,
  RequestHeaders,
} from './strategy.js';

/**
 * Options of {@link hopCount}.
 */
export interface HopCountOptions {
  /** Proxies in front of the service, the one that connects to it included: a whole number from 1 to 64. */
  readonly hops: number;
  /** The one header to read; default 'x-forwarded-for'. */
  readonly header?: ForwardingHeader | undefined;
}

/**
 * For a service behind a fixed number of proxies whose addresses are not known (a cloud load balancer,
 * a CDN). Counting from the socket peer, each proxy added one element on the right, so with
 * `addresses = [peer, ...elements from right to left]` the client is `addresses[hops]`.
 *
 * Fails closed: a request with fewer than `hops + 1` addresses is denied ('too-few-hops'). It never falls
 * back to the furthest address it has, as Express's `trust proxy` does, because a header stripped on
 * the way (Traefik's hop-by-hop `Connection: X-Forwarded-For` bypass) or a request that skipped a proxy
 * would otherwise pick a proxy or a client-written element. Elements between the peer and the client are
 * the proxies' and are not parsed; elements to the client's left are the client's and are not either.
 *
 * @throws IpGateError IPG_CONFIG_INVALID when hops is not a whole number from 1 to 64, or for an
 *   unknown header.
 * @example
 * const strategy = hopCount({ hops: 1 });
 * strategy.resolve('10.0.0.2', { 'x-forwarded-for': '6.6.6.6, 203.0.113.9' });
 * // { ok: true, address: 203.0.113.9, via: 'header', sawForwardingHeaders: true }
 * strategy.resolve('10.0.0.2', {}); // { ok: false, reason: 'too-few-hops', … }
 */
export function hopCount(options: HopCountOptions): ClientAddressStrategy {
  const hops = checkHops(options.hops);
  const header = checkHeader(options.header);
  return {
    header,
    description: `${header} from ${hops} proxy hop${hops === 1 ? '' : 's'}`,
    resolve(peer: string | undefined, headers: RequestHeaders): ClientAddressResult {
      const sawForwardingHeaders = hasForwardingHeaders(headers);
      const parsedPeer = parsePeer(peer);
      if (!parsedPeer.ok) {
        return {
          ok: false,
          reason: 'client-address-invalid',
          detail: parsedPeer.detail,
          sawForwardingHeaders,
        };
      }
      const read = readHeaderNodes(headers, header);
      if (!read.ok) {
        return { ok: false, reason: 'forwarded-header-malformed', detail: read.detail, sawForwardingHeaders };
      }
      const { nodes } = read;
      if (nodes.length < hops) {
        return {
          ok: false,
          reason: 'too-few-hops',
          detail: `${hops} proxy hop${hops === 1 ? '' : 's'} need${hops === 1 ? 's' : ''} ${hops} ${header} element${hops === 1 ? '' : 's'}; the request carries ${nodes.length}`,
          sawForwardingHeaders,
        };
      }
      const node = nodes[nodes.length - hops];
      const address = node === undefined ? undefined : parseForwardedNode(node, header);
      if (address === undefined) return elementInvalid(node, hops, header, sawForwardingHeaders);
      return { ok: true, address, via: 'header', sawForwardingHeaders };
    },
  };
}
