import { configError } from '../errors/config-error.js';
import { hopCount } from './hop-count.js';
import { checkHeader, checkHops, checkTrusted } from './option-checks.js';
import { socketPeer } from './socket-peer.js';
import type { ClientAddressStrategy, ForwardingHeader } from './strategy.js';
import { trustedProxies } from './trusted-proxies.js';

/**
 * How to find the client address, as a configuration file, environment or flags say it.
 *
 * @example
 * const behindLoadBalancer: ClientAddressConfig = { mode: 'trusted-proxies', trusted: ['10.0.0.0/8'] };
 * const behindCdn: ClientAddressConfig = { mode: 'hop-count', hops: 2, header: 'x-forwarded-for' };
 */
export type ClientAddressConfig =
  | { mode: 'socket' }
  | { mode: 'trusted-proxies'; trusted: readonly string[]; header?: ForwardingHeader }
  | { mode: 'hop-count'; hops: number; header?: ForwardingHeader };

const MODES = ['socket', 'trusted-proxies', 'hop-count'] as const;
type Mode = (typeof MODES)[number];

const SETTINGS: Readonly<Record<Mode, readonly string[]>> = {
  socket: ['mode'],
  'trusted-proxies': ['mode', 'trusted', 'header'],
  'hop-count': ['mode', 'hops', 'header'],
};

/**
 * Validates a config (from a file/env/flags) and builds the strategy; throws IpGateError IPG_CONFIG_INVALID
 * with field + hint.
 *
 * The value is checked as untrusted input, whatever its static type: a setting that belongs to another
 * mode is refused as well (`{ mode: 'socket', trusted: [...] }` means someone believes proxies are trusted
 * when they are not), and so are a typo'd name, a string where a list or a number belongs, an empty or
 * trust-everything proxy list, and hops outside 1–64. Fields are named relative to this object
 * (`mode`, `trusted[2]`, `hops`, `header`); use `IpGateError.withContext` to place them in a larger file.
 *
 * @example
 * clientAddressStrategy({ mode: 'trusted-proxies', trusted: ['10.0.0.0/8', '2001:db8:ffff::/48'] }).description;
 * // 'x-forwarded-for from 2 trusted ranges'
 * clientAddressStrategy({ mode: 'hop-count', hops: 0 }); // throws IPG_CONFIG_INVALID, field 'hops'
 */
export function clientAddressStrategy(config: ClientAddressConfig): ClientAddressStrategy {
  const value: unknown = config;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw configError(
      'mode',
      'The client address setting must be an object with a mode.',
      "Write e.g. { mode: 'socket' } or { mode: 'trusted-proxies', trusted: ['10.0.0.0/8'] }.",
    );
  }
  const settings = value as Record<string, unknown>;
  const mode = settings['mode'];
  if (!MODES.includes(mode as Mode)) {
    throw configError(
      'mode',
      `mode must be one of ${MODES.map((m) => `'${m}'`).join(', ')}, not ${mode === undefined ? 'missing' : JSON.stringify(mode)}.`,
      "Use 'socket' when clients connect directly, 'trusted-proxies' when the proxies' addresses are known, " +
        "'hop-count' when only their number is.",
    );
  }
  const known = SETTINGS[mode as Mode];
  for (const name of Object.keys(settings)) {
    if (known.includes(name) || settings[name] === undefined) continue;
    throw configError(
      name,
      `${name} is not a setting of mode '${String(mode)}'.`,
      `Mode '${String(mode)}' takes ${known.join(', ')}. ` +
        (mode === 'socket'
          ? 'To trust proxies, choose mode trusted-proxies or hop-count.'
          : 'Check the spelling.'),
    );
  }
  switch (mode as Mode) {
    case 'socket':
      return socketPeer();
    case 'trusted-proxies': {
      const trusted = settings['trusted'];
      if (Array.isArray(trusted)) {
        trusted.forEach((entry: unknown, index) => {
          if (typeof entry !== 'string') {
            throw configError(
              `trusted[${index}]`,
              `trusted[${index}] must be a string, not ${entry === null ? 'null' : typeof entry}.`,
              'Write each proxy as text: "10.0.0.1", "10.0.0.0/8" or "10.0.0.1-10.0.0.9".',
            );
          }
        });
      }
      return trustedProxies({
        trusted: checkTrusted(trusted),
        header: checkHeader(settings['header']),
      });
    }
    case 'hop-count':
      return hopCount({ hops: checkHops(settings['hops']), header: checkHeader(settings['header']) });
  }
}
