/**
 * Which address bucket of the authentication backoff a client falls in.
 */
import { IpAddress } from '@ipgate/core';

/**
 * The bucket key of a peer address: IPv4 (IPv4-mapped IPv6 included) per address, IPv6 per /64. One host
 * usually holds a whole /64 and can pick any address in it, so per-address IPv6 buckets would let it
 * start afresh on every guess and fill the table. Anything unparseable shares one bucket.
 *
 * @example
 * backoffAddressKey('::ffff:192.0.2.1'); // '192.0.2.1'
 * backoffAddressKey('2001:db8:1:2:aaaa::1'); // '2001:db8:1:2::/64'
 */
export function backoffAddressKey(address: string | undefined): string {
  const parsed = address === undefined ? undefined : IpAddress.tryParse(address);
  if (parsed === undefined) return 'unknown';
  const ip = parsed.unmap();
  if (ip.family === 4) return ip.toString();
  return `${IpAddress.fromWords(6, ip.w0, ip.w1, 0, 0).toString()}/64`;
}
