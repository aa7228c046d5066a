import {
  type ClientAddressStrategy,
  type ForwardingHeader,
  hopCount,
  IpGateError,
  isIpGateError,
  socketPeer,
  trustedProxies,
  tryParseEntry,
} from '@ipgate/core';
import { prefixError } from './prefix-error.js';

/**
 * The forwarding headers a strategy can read, for option choices and validation.
 *
 * @example new Option('--source <header>').choices(forwardingHeaders);
 */
export const forwardingHeaders: readonly ForwardingHeader[] = ['x-forwarded-for', 'forwarded'];

/** What the person asked for: trusted proxies, a hop count, or neither (the socket peer). */
export interface StrategyChoice {
  readonly trusted?: readonly string[] | undefined;
  readonly hops?: number | undefined;
  readonly source?: ForwardingHeader | undefined;
}

/** A strategy, or every reason the choice cannot be one. */
export type StrategyResult =
  | { readonly ok: true; readonly strategy: ClientAddressStrategy; readonly trustsProxies: boolean }
  | { readonly ok: false; readonly errors: readonly IpGateError[] };

/**
 * Turns a choice into a strategy. `label` names where the choice came from (`--trust`, `trusted`),
 * so that errors say which option or field to fix.
 *
 * Trusting proxies and counting hops are two answers to one question, and a header with neither
 * would be ignored silently; both mistakes are errors rather than a guess.
 *
 * @example
 * const r = chooseStrategy({ trusted: ['10.0.0.0/8'] }, { trusted: '--trust', hops: '--hops', source: '--source' });
 * if (r.ok) r.strategy.resolve('10.0.0.5', { 'x-forwarded-for': '198.51.100.7' });
 */
export function chooseStrategy(
  choice: StrategyChoice,
  label: { readonly trusted: string; readonly hops: string; readonly source: string },
): StrategyResult {
  const header = choice.source === undefined ? {} : { header: choice.source };
  if (choice.trusted !== undefined && choice.hops !== undefined) {
    return fail(
      `${label.trusted} and ${label.hops} cannot be used together.`,
      'Trust proxies by address, or count hops; not both.',
    );
  }
  if (choice.trusted === undefined && choice.hops === undefined) {
    if (choice.source !== undefined) {
      return fail(
        `${label.source} needs ${label.trusted} or ${label.hops}: without proxies no forwarding header is read.`,
        `Add ${label.trusted} <cidr> for the proxies in front of the service, or ${label.hops} <n>.`,
      );
    }
    return { ok: true, strategy: socketPeer(), trustsProxies: false };
  }
  if (choice.trusted !== undefined) {
    const errors: IpGateError[] = [];
    for (const value of choice.trusted) {
      const parsed = tryParseEntry(value);
      if (!parsed.ok) errors.push(prefixError(parsed.error, `${label.trusted}: `));
    }
    if (errors.length > 0) return { ok: false, errors };
  }
  try {
    const strategy =
      choice.trusted !== undefined
        ? trustedProxies({ trusted: choice.trusted, ...header })
        : hopCount({ hops: choice.hops as number, ...header });
    return { ok: true, strategy, trustsProxies: true };
  } catch (error) {
    // The strategies validate their own options (a hop count out of range, say); report, don't crash.
    const option = choice.trusted !== undefined ? label.trusted : label.hops;
    if (isIpGateError(error)) return { ok: false, errors: [relabel(error, option)] };
    if (error instanceof Error) return fail(`${option}: ${error.message}`, undefined);
    throw error;
  }
}

function fail(message: string, hint: string | undefined): StrategyResult {
  return {
    ok: false,
    errors: [new IpGateError('IPG_CONFIG_INVALID', message, hint === undefined ? {} : { hint })],
  };
}

/** Names the option as the person wrote it: "--hops must be…" rather than "--hops: hops must be…". */
function relabel(error: IpGateError, option: string): IpGateError {
  const field = error.field;
  if (field === undefined || !error.message.startsWith(`${field} `)) return prefixError(error, `${option}: `);
  return new IpGateError(error.code, option + error.message.slice(field.length), {
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    field: option,
    cause: error,
  });
}
