import { IpAddress } from '../address/ip-address.js';
import { quoteInput } from './detail.js';
import { hasForwardingHeaders } from './forwarding-headers.js';
import type { ClientAddressResult, ClientAddressStrategy, RequestHeaders } from './strategy.js';

/**
 * Parses the socket's remote address, unmapped. A dual-stack socket reports IPv4 peers as
 * `::ffff:a.b.c.d`; a link-local peer may come with a zone id (`fe80::1%eth0`), which no allowlist can
 * name, so it is refused like any other text that is not a strict address.
 *
 * @example
 * parsePeer('::ffff:127.0.0.1'); // { ok: true, address: 127.0.0.1 }
 * parsePeer(undefined); // { ok: false, detail: 'no socket peer (the connection is gone)' }
 */
export function parsePeer(
  peer: string | undefined,
): { readonly ok: true; readonly address: IpAddress } | { readonly ok: false; readonly detail: string } {
  if (peer === undefined) return { ok: false, detail: 'no socket peer (the connection is gone)' };
  const address = IpAddress.tryParse(peer);
  if (address === undefined)
    return { ok: false, detail: `socket peer ${quoteInput(peer)} is not an address` };
  return { ok: true, address: address.unmap() };
}

/**
 * The strategy for a service that faces its clients directly: the socket peer is the client and every
 * header is ignored. Forwarding headers are still noticed (`sawForwardingHeaders`) so the gateway can
 * warn that it trusts no proxy while someone sends them.
 *
 * @example
 * const strategy = socketPeer();
 * strategy.resolve('::ffff:203.0.113.9', { 'x-forwarded-for': '10.0.0.1' });
 * // { ok: true, address: 203.0.113.9, via: 'socket', sawForwardingHeaders: true }
 * strategy.resolve(undefined, {}); // { ok: false, reason: 'client-address-invalid', … }
 */
export function socketPeer(): ClientAddressStrategy {
  return {
    description: 'socket peer',
    resolve(peer: string | undefined, headers: RequestHeaders): ClientAddressResult {
      const sawForwardingHeaders = hasForwardingHeaders(headers);
      const parsed = parsePeer(peer);
      if (!parsed.ok) {
        return { ok: false, reason: 'client-address-invalid', detail: parsed.detail, sawForwardingHeaders };
      }
      return { ok: true, address: parsed.address, via: 'socket', sawForwardingHeaders };
    },
  };
}
