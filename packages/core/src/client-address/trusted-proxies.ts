import type { IpSet, IpSetSource } from '../set/ip-set.js';
import { elementInvalid } from './detail.js';
import { parseForwardedNode } from './forwarded-node.js';
import { hasForwardingHeaders } from './forwarding-headers.js';
import { readHeaderNodes } from './header-elements.js';
import { checkHeader, checkTrusted } from './option-checks.js';
import { parsePeer } from './socket-peer.js';
import type {
  ClientAddressResult,
  ClientAddressStrategy,
  ForwardingHeader,
  RequestHeaders,
} from './strategy.js';

/**
 * Options of {@link trustedProxies}.
 */
export interface TrustedProxiesOptions {
  /** The proxies' addresses: a compiled set, or entries in any form an IpSet takes. Must not be empty. */
  readonly trusted: IpSet | Iterable<IpSetSource>;
  /** The one header to read; default 'x-forwarded-for'. */
  readonly header?: ForwardingHeader | undefined;
}

/**
 * The rightmost-untrusted rule, for a service behind proxies whose addresses are known
 * (docs/architecture/client-address.md#trusted-proxies-the-rightmost-untrusted-rule).
 *
 * If the socket peer is not a trusted proxy, it is the client and headers are ignored: a client that
 * connects directly cannot talk its way to another address. Otherwise the header's elements (all lines,
 * in order) are walked from the right, skipping trusted proxies; the first element that is not trusted
 * is the client, and if it is not an address (garbage, `unknown`, `_obfuscated`, zone id, bad port, a
 * Forwarded element without `for`) the request is denied. Everything to its left was written by the
 * client or by proxies nobody vouches for, so it is never parsed. When every element is trusted the
 * leftmost is the client; when the header is absent or empty the trusted peer is.
 *
 * Each trust check is one O(log n) lookup in the compiled set, and the walk reads at most
 * {@link forwardingHeaderLimits} of the header.
 *
 * @throws IpGateError IPG_CONFIG_INVALID for an empty trusted list, one that trusts every address,
 *   an entry that is not an address or range, or an unknown header.
 * @example
 * const strategy = trustedProxies({ trusted: ['10.0.0.0/8'] });
 * strategy.resolve('10.0.0.2', { 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.0.0.1' });
 * // { ok: true, address: 203.0.113.9, via: 'header', sawForwardingHeaders: true }
 * strategy.resolve('198.51.100.7', { 'x-forwarded-for': '10.0.0.5' });
 * // { ok: true, address: 198.51.100.7, via: 'socket', sawForwardingHeaders: true }
 * strategy.description; // 'x-forwarded-for from 1 trusted range'
 */
export function trustedProxies(options: TrustedProxiesOptions): ClientAddressStrategy {
  const trusted = checkTrusted(options.trusted);
  const header = checkHeader(options.header);
  return {
    header,
    description: `${header} from ${trusted.size} trusted range${trusted.size === 1 ? '' : 's'}`,
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
      if (!trusted.hasAddress(parsedPeer.address)) {
        return { ok: true, address: parsedPeer.address, via: 'socket', sawForwardingHeaders };
      }
      const read = readHeaderNodes(headers, header);
      if (!read.ok) {
        return { ok: false, reason: 'forwarded-header-malformed', detail: read.detail, sawForwardingHeaders };
      }
      const { nodes } = read;
      if (nodes.length === 0) {
        return { ok: true, address: parsedPeer.address, via: 'socket', sawForwardingHeaders };
      }
      for (let k = nodes.length - 1; ; k--) {
        const node = nodes[k];
        const address = node === undefined ? undefined : parseForwardedNode(node, header);
        if (address === undefined)
          return elementInvalid(node, nodes.length - k, header, sawForwardingHeaders);
        if (k === 0 || !trusted.hasAddress(address)) {
          return { ok: true, address, via: 'header', sawForwardingHeaders };
        }
      }
    },
  };
}
