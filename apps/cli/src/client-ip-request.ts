import { type ForwardingHeader, IpGateError } from '@ipgate/core';
import { forwardingHeaders, type StrategyChoice } from './client-address-strategy.js';
import { addHeader, isFieldName, type RequestHeaders } from './header-option.js';

/** One request of `ipgate client-ip -`: the socket peer, its headers, and its own proxy settings if any. */
export interface ClientIpRequest {
  readonly remote: string;
  readonly headers: RequestHeaders;
  /** Undefined when the line names none of `trusted`, `hops`, `source`: the command line's choice applies. */
  readonly choice: StrategyChoice | undefined;
}

const KEYS = new Set(['remote', 'headers', 'trusted', 'source', 'hops']);
const SHAPE =
  'Each line is one JSON object: {"remote":"10.0.0.5","headers":{"x-forwarded-for":"198.51.100.7"},"trusted":["10.0.0.0/8"]}; ' +
  'optional "source" ("x-forwarded-for" or "forwarded") and "hops" (instead of "trusted").';

/**
 * Reads one JSON line of `ipgate client-ip -`.
 *
 * Unknown keys are errors: a misspelt `"trust"` would otherwise fall back to the socket peer and
 * give a plausible, wrong answer.
 *
 * @example
 * parseClientIpRequest('{"remote":"10.0.0.5","headers":{"X-Forwarded-For":"1.2.3.4"},"trusted":["10.0.0.0/8"]}');
 * // { ok: true, request: { remote: '10.0.0.5', headers: { 'x-forwarded-for': '1.2.3.4' }, choice: {…} } }
 */
export function parseClientIpRequest(
  line: string,
): { ok: true; request: ClientIpRequest } | { ok: false; error: IpGateError } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return invalid(`the line is not JSON (${reason}).`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid('the line is not a JSON object.');
  }
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !KEYS.has(k));
  if (unknown.length > 0)
    return invalid(
      `unknown ${unknown.length === 1 ? 'key' : 'keys'} ${unknown.map((k) => JSON.stringify(k)).join(', ')}.`,
    );
  const { remote, headers, trusted, source, hops } = fields;
  if (typeof remote !== 'string') return invalid('"remote" must be the socket peer address, as a string.');
  const parsedHeaders: RequestHeaders = {};
  if (headers !== undefined) {
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
      return invalid('"headers" must be an object of header names to a string or an array of strings.');
    }
    for (const [name, v] of Object.entries(headers)) {
      if (!isFieldName(name)) return invalid(`${JSON.stringify(name)} is not a header name.`);
      if (typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
        return invalid(`the header ${JSON.stringify(name)} must be a string or an array of strings.`);
      }
      addHeader(parsedHeaders, name, v as string | string[]);
    }
  }
  if (trusted !== undefined && !(Array.isArray(trusted) && trusted.every((x) => typeof x === 'string'))) {
    return invalid('"trusted" must be an array of entries, like ["10.0.0.0/8"].');
  }
  if (source !== undefined && !forwardingHeaders.includes(source as ForwardingHeader)) {
    return invalid(`"source" must be one of ${forwardingHeaders.map((h) => JSON.stringify(h)).join(', ')}.`);
  }
  if (hops !== undefined && !(typeof hops === 'number' && Number.isSafeInteger(hops))) {
    return invalid('"hops" must be a whole number.');
  }
  const choice =
    trusted === undefined && source === undefined && hops === undefined
      ? undefined
      : {
          trusted: trusted as string[] | undefined,
          hops: hops as number | undefined,
          source: source as ForwardingHeader | undefined,
        };
  return { ok: true, request: { remote, headers: parsedHeaders, choice } };
}

function invalid(message: string): { ok: false; error: IpGateError } {
  return { ok: false, error: new IpGateError('IPG_CONFIG_INVALID', message, { hint: SHAPE }) };
}
