/**
 * Reads the settings from flags, environment (`IPGATE_…`) and a JSON config file, in that order of
 * precedence, and validates them all at start: a server never starts on a setting it cannot use.
 */
import { readFileSync } from 'node:fs';
import { type ClientAddressConfig, clientAddressStrategy, IpGateError, isIpGateError } from '@ipgate/core';
import { type ServeSettings, type SettingSpec, settingSpecs } from './settings.js';

/** Where the settings come from. */
export interface SettingSources {
  /** Flag values by setting key (what commander parsed), `undefined` when not given. */
  readonly flags?: Readonly<Partial<Record<keyof ServeSettings, string | boolean | undefined>>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A JSON file whose keys are setting keys (`listen`, `adminListen`, `trustProxy`, …). */
  readonly configFile?: string | undefined;
}

/**
 * Merges and validates the settings; throws IPG_CONFIG_INVALID naming the setting, where its value
 * came from, what is wrong and what would be valid.
 *
 * @example
 * const settings = loadSettings({ env: process.env, flags: { listen: ':8080' } });
 * settings.listen; // { host: '0.0.0.0', port: 8080 }
 */
export function loadSettings(sources: SettingSources): ServeSettings {
  const file = sources.configFile === undefined ? {} : readConfigFile(sources.configFile);
  const settings: Record<string, unknown> = {};
  for (const s of settingSpecs) {
    settings[s.key] = resolveSetting(s, sources, file);
  }
  const result = settings as unknown as ServeSettings;
  clientAddressConfig(result); // validates the proxy settings together
  return result;
}

/**
 * The client-address strategy configuration the settings describe (docs/architecture/client-address.md).
 *
 * @example
 * clientAddressConfig({ ...settings, trustProxy: ['10.0.0.0/8'] }); // { mode: 'trusted-proxies', … }
 */
export function clientAddressConfig(settings: ServeSettings): ClientAddressConfig {
  if (settings.trustProxy.length > 0 && settings.proxyHops > 0) {
    throw new IpGateError('IPG_CONFIG_INVALID', 'trustProxy and proxyHops are both set.', {
      field: 'trustProxy',
      hint: 'Choose one: --trust-proxy when the proxies have known addresses (safer), --proxy-hops when only their number is known.',
    });
  }
  const config: ClientAddressConfig =
    settings.trustProxy.length > 0
      ? { mode: 'trusted-proxies', trusted: settings.trustProxy, header: settings.forwardedHeader }
      : settings.proxyHops > 0
        ? { mode: 'hop-count', hops: settings.proxyHops, header: settings.forwardedHeader }
        : { mode: 'socket' };
  try {
    clientAddressStrategy(config);
  } catch (e) {
    if (!isIpGateError(e)) throw e;
    const field = e.field?.replace(/^trusted/, 'trustProxy').replace(/^hops$/, 'proxyHops') ?? 'trustProxy';
    throw new IpGateError('IPG_CONFIG_INVALID', `${field}: ${e.message}`, {
      field,
      ...(e.hint === undefined ? {} : { hint: e.hint }),
      cause: e,
    });
  }
  return config;
}

function resolveSetting(s: SettingSpec, sources: SettingSources, file: Record<string, unknown>): unknown {
  const flag = sources.flags?.[s.key];
  if (flag !== undefined) {
    if (typeof flag === 'boolean') return flag;
    return parseOrExplain(s, () => s.fromText(flag), `the flag ${flagName(s)}`);
  }
  for (const name of s.env) {
    const value = sources.env?.[name];
    if (value !== undefined && value !== '') {
      return parseOrExplain(s, () => s.fromText(value), `the environment variable ${name}`);
    }
  }
  if (Object.hasOwn(file, s.key)) {
    return parseOrExplain(s, () => s.fromJson(file[s.key]), `the config file's "${s.key}"`);
  }
  return s.defaultValue;
}

function parseOrExplain(s: SettingSpec, parse: () => unknown, where: string): unknown {
  try {
    return parse();
  } catch (e) {
    if (isIpGateError(e)) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new IpGateError('IPG_CONFIG_INVALID', `${s.key} (from ${where}) is invalid: ${why}.`, {
      field: s.key,
      hint: `${flagName(s)}: ${s.description}; default ${s.defaultText}.`,
    });
  }
}

function flagName(s: SettingSpec): string {
  return s.flag.split(' ')[0] as string;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new IpGateError(
      'IPG_CONFIG_INVALID',
      `The config file ${path} cannot be read: ${(e as Error).message}`,
      {
        field: 'config',
        hint: 'Check the path given to --config (or IPGATE_CONFIG).',
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new IpGateError(
      'IPG_CONFIG_INVALID',
      `The config file ${path} is not valid JSON: ${(e as Error).message}`,
      {
        field: 'config',
        hint: 'Write one JSON object, e.g. {"listen": "0.0.0.0:8080", "trustProxy": ["10.0.0.0/8"]}.',
      },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new IpGateError('IPG_CONFIG_INVALID', `The config file ${path} must hold one JSON object.`, {
      field: 'config',
      hint: 'Write e.g. {"listen": "0.0.0.0:8080"}.',
    });
  }
  const known = new Set<string>(settingSpecs.map((s) => s.key));
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      throw new IpGateError(
        'IPG_CONFIG_INVALID',
        `The config file ${path} has an unknown setting "${key}".`,
        {
          field: key,
          hint: `Known settings: ${[...known].join(', ')}.`,
        },
      );
    }
  }
  return value as Record<string, unknown>;
}
