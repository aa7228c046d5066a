import { configError } from '../errors/config-error.js';
import { isIpGateError } from '../errors/ip-gate-error.js';
import { IpSet, type IpSetSource } from '../set/ip-set.js';
import { quoteInput } from './detail.js';
import { forwardingHeaderLimits } from './header-elements.js';
import type { ForwardingHeader } from './strategy.js';

/**
 * Checks of client-address settings, shared by the strategy factories and by
 * {@link clientAddressStrategy}, so code and configuration files fail the same way: at start-up,
 * with IPG_CONFIG_INVALID, the setting's name and how to write it right (fail fast:
 * docs/architecture/layout.md#conventions).
 */

const ALL_IPV4 = 2n ** 32n;
// ::/0 minus ::ffff:0:0/96, which IpSet counts as IPv4.
const ALL_IPV6 = 2n ** 128n - 2n ** 32n;

/**
 * The forwarding header to read, `x-forwarded-for` when not given. Any letter case is accepted, since
 * configuration files tend to spell header names the way HTTP documentation does.
 *
 * @example
 * checkHeader(undefined); // 'x-forwarded-for'
 * checkHeader('Forwarded'); // 'forwarded'
 * checkHeader('x-real-ip'); // throws IPG_CONFIG_INVALID
 */
export function checkHeader(value: unknown, field = 'header'): ForwardingHeader {
  if (value === undefined) return 'x-forwarded-for';
  const name = typeof value === 'string' ? value.toLowerCase() : value;
  if (name === 'x-forwarded-for' || name === 'forwarded') return name;
  const shown = typeof value === 'string' ? quoteInput(value) : typeof value;
  throw configError(
    field,
    `${field} must be 'x-forwarded-for' or 'forwarded', not ${shown}.`,
    "Name the header your proxies append to: 'x-forwarded-for' (the default) or 'forwarded' (RFC 7239). " +
      'Single-address headers such as X-Real-IP cannot be checked hop by hop; have the proxy append X-Forwarded-For.',
  );
}

/**
 * The number of proxies in front of the service, the socket peer included.
 *
 * @example
 * checkHops(2); // 2
 * checkHops(0); // throws IPG_CONFIG_INVALID
 */
export function checkHops(value: unknown, field = 'hops'): number {
  const max = forwardingHeaderLimits.maxElements;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max) return value;
  const shown =
    typeof value === 'string' ? quoteInput(value) : typeof value === 'number' ? String(value) : typeof value;
  throw configError(
    field,
    `${field} must be a whole number from 1 to ${max}, not ${shown}.`,
    'Count the proxies in front of the service, the one that connects to it included: ' +
      'one load balancer is 1, a CDN in front of a load balancer is 2. With no proxy, use the socket peer.',
  );
}

/**
 * The trusted proxies as a compiled set. Refuses an empty list (it would trust no proxy, which is the
 * socket-peer strategy under a misleading name, and usually means a setting failed to load) and a list
 * that trusts every IPv4 or every IPv6 address (every client could then name any address it likes).
 *
 * @example
 * checkTrusted(['10.0.0.0/8', '2001:db8:ffff::/48']).size; // 2
 * checkTrusted(['0.0.0.0/0']); // throws IPG_CONFIG_INVALID
 */
export function checkTrusted(value: unknown, field = 'trusted'): IpSet {
  const set = compileTrusted(value, field);
  if (set.isEmpty) {
    throw configError(
      field,
      `${field} lists no proxy.`,
      'List the addresses or ranges of your proxies, e.g. ["10.0.0.0/8"]. With no proxy, use the socket peer.',
    );
  }
  if (set.addressCount(4) === ALL_IPV4 || set.addressCount(6) === ALL_IPV6) {
    throw configError(
      field,
      `${field} trusts every ${set.addressCount(4) === ALL_IPV4 ? 'IPv4' : 'IPv6'} address, so any client could choose its own address.`,
      'List only your proxies. If their addresses are unknown but their number is fixed, use the hop-count strategy.',
    );
  }
  return set;
}

function compileTrusted(value: unknown, field: string): IpSet {
  if (value instanceof IpSet) return value;
  // A string is iterable too, one character at a time: refuse it rather than trust "1", "0", ".".
  if (
    typeof value === 'string' ||
    typeof value !== 'object' ||
    value === null ||
    !(Symbol.iterator in value)
  ) {
    throw configError(
      field,
      `${field} must be a list of addresses or ranges, not ${typeof value === 'string' ? quoteInput(value) : typeof value}.`,
      'Write a list, e.g. ["10.0.0.0/8", "2001:db8:ffff::/48"].',
    );
  }
  try {
    return IpSet.from(value as Iterable<IpSetSource>);
  } catch (e) {
    if (!isIpGateError(e)) throw e;
    const at = e.index === undefined ? field : `${field}[${e.index}]`;
    const original = isIpGateError(e.cause) ? e.cause : e;
    const shown = original.input === undefined ? '' : ` ${quoteInput(original.input)}`;
    throw configError(
      at,
      `${at}${shown} is not a usable proxy address or range: ${original.message}`,
      original.hint ?? 'Write an address (10.0.0.1), a CIDR (10.0.0.0/8) or a range (10.0.0.1-10.0.0.9).',
      e,
    );
  }
}
