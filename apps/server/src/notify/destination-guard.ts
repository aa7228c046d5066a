/**
 * The SSRF guard of webhook deliveries (docs/architecture/review.md#webhooks): a webhook URL is
 * written by a tenant, so without a guard it could make ipgate call its own admin listener, a cloud
 * metadata service or anything else on the operator's network. Loopback, private, link-local and
 * every other special-purpose range are refused unless the operator allows private destinations.
 * The check runs in the connection's own DNS lookup, so the address checked is the address connected
 * (no second lookup an attacker's DNS could answer differently).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { IpAddress, specialRangesOverlapping } from '@ipgate/core';

/**
 * Why an address may not be a webhook destination, or undefined when it may.
 *
 * @example
 * forbiddenDestination('127.0.0.1'); // 'loopback'
 * forbiddenDestination('::ffff:10.0.0.1'); // 'private'
 * forbiddenDestination('93.184.215.14'); // undefined
 */
export function forbiddenDestination(address: string): string | undefined {
  let ip: IpAddress;
  try {
    ip = IpAddress.parse(address);
  } catch {
    return 'not an IP address';
  }
  // An IPv4-mapped IPv6 address connects to its IPv4 address: judge that one.
  ip = ip.unmap();
  const value = ip.toBigInt();
  const hit = specialRangesOverlapping(ip.family, value, value)[0];
  return hit?.purpose ?? obsoleteIPv6Block(ip);
}

/**
 * IPv6 blocks that the special-purpose registry no longer lists but that hosts and networks may
 * still route to an IPv4 or an internal address: IPv4-compatible `::a.b.c.d` (deprecated by RFC
 * 4291; a host with a `sit` tunnel sends it to `a.b.c.d`), SIIT's IPv4-translated
 * `::ffff:0:a.b.c.d` (RFC 2765) and site-local `fec0::/10` (deprecated by RFC 3879, still routed
 * inside some networks). No public webhook lives there, so the guard refuses them all.
 */
function obsoleteIPv6Block(ip: IpAddress): string | undefined {
  if (ip.family !== 6) return undefined;
  if (ip.w0 === 0 && ip.w1 === 0 && ip.w2 === 0) return 'IPv4-compatible (deprecated)';
  if (ip.w0 === 0 && ip.w1 === 0 && ip.w2 === 0xffff0000) return 'IPv4-translated (SIIT)';
  if (ip.w0 >>> 22 === 0xfec0 >>> 6) return 'site-local (deprecated)';
  return undefined;
}

/** Thrown by the guarded lookup; the delivery log shows its message. */
export class DestinationRefused extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly purpose: string,
  ) {
    super(
      `refused to connect to ${host} at ${address} (${purpose}): private destinations are off (--webhook-allow-private)`,
    );
    this.name = 'DestinationRefused';
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `dns.lookup` for the webhook connection that fails with {@link DestinationRefused} when any
 * address the name resolves to is forbidden (all of them are checked, since the connector may try
 * each). With `allowPrivate` it is plain `dns.lookup`.
 *
 * @example
 * new Agent({ connect: { lookup: guardedLookup(false) } });
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      if (!allowPrivate) {
        for (const a of list) {
          const purpose = forbiddenDestination(a.address);
          if (purpose !== undefined)
            return callback(new DestinationRefused(hostname, a.address, purpose), []);
        }
      }
      if (options.all === true) return callback(null, list);
      const first = list[0];
      if (first === undefined)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * Refuses, at the time a channel is written, a webhook URL whose host is a literal forbidden
 * address (names are checked when connecting). Returns the reason or undefined.
 *
 * @example
 * literalDestinationProblem('http://127.0.0.1:9/x'); // 'loopback'
 */
export function literalDestinationProblem(url: string): string | undefined {
  // `localhost.` is the same name as `localhost` (a fully qualified name's root dot).
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  return isIP(host) === 0 ? undefined : forbiddenDestination(host);
}
