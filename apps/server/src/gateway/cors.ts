/**
 * CORS through the gateway (docs/architecture/pipeline.md#cors): browsers ask before a cross-origin call
 * that carries a key header (a preflight), and read an answer only when it names their origin. The
 * gateway answers preflights itself, for origins that some active key's domain rules allow, and adds the
 * CORS headers to the answers of browser calls a key's domain rules let through.
 */
import { type HeaderValue, type ParsedOrigin, parseOrigin } from '@ipgate/core';
import type { CompiledKey, Snapshot } from '../snapshot/snapshot.js';
import type { ResponseHeaderList } from './forwarding-headers.js';

/** How long a browser may reuse a preflight answer: ten minutes, so a removed domain stops within that. */
export const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** The keys whose domain restriction is on, per snapshot: found once, on the first preflight it serves. */
const browserKeys = new WeakMap<Snapshot, readonly CompiledKey[]>();

/**
 * Whether `origin` is listed by the domain rules of some active key with its domain restriction on. Keys
 * are not bound to APIs (any tenant's key may call any API), so neither is this; the call itself is then
 * judged by the key it carries.
 *
 * @example
 * originAllowedBySomeKey(engine.current, 'https://app.example.com'); // true when a key lists app.example.com
 */
export function originAllowedBySomeKey(snapshot: Snapshot, origin: string): boolean {
  const parsed: ParsedOrigin | null = parseOrigin(origin);
  if (parsed === null) return false;
  let keys = browserKeys.get(snapshot);
  if (keys === undefined) {
    keys = [...snapshot.keysById.values()].filter((k) => k.restrictions.domains.enabled);
    browserKeys.set(snapshot, keys);
  }
  for (const key of keys) if (key.restrictions.domains.list.match(parsed) !== null) return true;
  return false;
}

/**
 * The headers of the gateway's answer to an allowed preflight: the origin echoed (never `*`, so a page
 * of another origin learns nothing), the method and headers the browser asked for, and how long to keep
 * the answer. No `Allow-Credentials`: keys travel in headers, not cookies.
 *
 * @example
 * preflightHeaders('https://app.example.com', 'POST', 'authorization, content-type');
 */
export function preflightHeaders(
  origin: string,
  method: string | undefined,
  requestHeaders: string | undefined,
): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': method ?? 'GET',
    ...(requestHeaders === undefined || requestHeaders.trim() === ''
      ? {}
      : { 'access-control-allow-headers': requestHeaders }),
    'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  };
}

/**
 * Replaces the upstream's CORS headers on the answer to an allowed browser call with the gateway's: the
 * origin the key's domain rules let through, and `X-Request-Id` readable by the page. The upstream's own
 * (often `*`) would say something ipgate did not decide.
 *
 * @example
 * withCorsHeaders(upstreamHeaders, 'https://app.example.com');
 */
export function withCorsHeaders(headers: ResponseHeaderList, origin: string): ResponseHeaderList {
  const out: ResponseHeaderList = [];
  let vary: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    const value = headers[i + 1] as string | string[];
    const lower = name.toLowerCase();
    if (lower.startsWith('access-control-')) continue;
    if (lower === 'vary') {
      const text = Array.isArray(value) ? value.join(', ') : value;
      vary = vary === undefined ? text : `${vary}, ${text}`;
      continue;
    }
    out.push(name, value);
  }
  out.push('access-control-allow-origin', origin, 'access-control-expose-headers', 'X-Request-Id');
  out.push(
    'vary',
    vary === undefined || vary.trim() === '' ? 'Origin' : /\borigin\b/i.test(vary) ? vary : `${vary}, Origin`,
  );
  return out;
}

/**
 * Whether a request is a CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
 *
 * @example
 * isPreflight('OPTIONS', req.headers); // true for a browser's preflight
 */
export function isPreflight(method: string, headers: Readonly<Record<string, HeaderValue>>): boolean {
  return (
    method === 'OPTIONS' &&
    typeof headers['origin'] === 'string' &&
    typeof headers['access-control-request-method'] === 'string'
  );
}
