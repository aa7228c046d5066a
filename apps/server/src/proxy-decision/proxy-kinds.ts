/**
 * How each proxy that delegates the decision tells ipgate about the request it holds. Each proxy has
 * its own path (`/v1/decide/nginx`, `/v1/decide/traefik`, `/v1/decide/envoy/…`), so the headers read
 * are fixed per path: a client cannot pick which header names the URI by sending one of another proxy.
 */
import type { HeaderValue } from '@ipgate/core';

/** The proxies with a decision path. */
export type ProxyKind = 'nginx' | 'traefik' | 'envoy';

/** The path prefix of Envoy's checks: configure it as the ext_authz `path_prefix`. */
export const ENVOY_PREFIX = '/v1/decide/envoy';

/** The request the proxy is deciding about. */
export type OriginalRequest =
  | {
      readonly ok: true;
      readonly method: string;
      /** The request target as the client sent it (`/orders/7?x=1`). */
      readonly target: string;
      /**
       * The Host the client sent, every copy when there were several (the pipeline refuses those and
       * any host that is not strict); undefined when it sent none (host-less APIs still match).
       */
      readonly host: HeaderValue;
    }
  | { readonly ok: false; readonly missing: string };

/** The ask as it reached ipgate. */
export interface DecisionAsk {
  readonly method: string;
  /** The target of the ask itself (`/v1/decide/envoy/orders/7?x=1`). */
  readonly url: string;
  readonly headers: Readonly<Record<string, HeaderValue>>;
}

/**
 * The original method, target and host, from where each proxy puts them:
 * - nginx `auth_request`: the subrequest is its own GET, so the shipped config sets `X-Original-Method`
 *   (`$request_method`), `X-Original-URI` (`$request_uri`) and `X-Original-Host` (`$http_host`).
 * - Traefik ForwardAuth: its own GET with `X-Forwarded-Method`, `X-Forwarded-Uri` and `X-Forwarded-Host`,
 *   which Traefik overwrites unless `trustForwardHeader` is on (it must stay off).
 * - Envoy HTTP ext_authz: the check request has the original method and `path_prefix` + the original
 *   path; the original `Host`/`:authority` comes along.
 * A missing URI is a proxy configured wrongly (or an ask that did not come through it): the caller
 * answers 400, never a guess.
 *
 * @example
 * originalRequest('nginx', { method: 'GET', url: '/v1/decide/nginx', headers: { 'x-original-uri': '/orders/7' } });
 * // { ok: true, method: 'GET', target: '/orders/7', host: undefined }
 */
export function originalRequest(kind: ProxyKind, ask: DecisionAsk): OriginalRequest {
  const h = ask.headers;
  switch (kind) {
    case 'nginx': {
      const target = one(h['x-original-uri']);
      if (target === undefined) return { ok: false, missing: 'X-Original-URI' };
      return {
        ok: true,
        method: one(h['x-original-method']) ?? ask.method,
        target,
        host: hostValue(h['x-original-host']),
      };
    }
    case 'traefik': {
      const target = one(h['x-forwarded-uri']);
      if (target === undefined) return { ok: false, missing: 'X-Forwarded-Uri' };
      return {
        ok: true,
        method: one(h['x-forwarded-method']) ?? ask.method,
        target,
        host: hostValue(h['x-forwarded-host']),
      };
    }
    case 'envoy': {
      if (!ask.url.startsWith(ENVOY_PREFIX)) return { ok: false, missing: `the path prefix ${ENVOY_PREFIX}` };
      const rest = ask.url.slice(ENVOY_PREFIX.length);
      // path_prefix is prepended to the original path, which always starts with "/".
      if (!rest.startsWith('/')) return { ok: false, missing: `a path after ${ENVOY_PREFIX}` };
      return { ok: true, method: ask.method, target: rest, host: hostValue(h['host']) };
    }
  }
}

/** A host as sent, for the pipeline to judge: two copies stay two (never "no host"); empty is none. */
function hostValue(value: HeaderValue): HeaderValue {
  return value === '' ? undefined : value;
}

function one(value: HeaderValue): string | undefined {
  // Two values mean two writers disagree (a client's copy got through): read neither.
  if (value === undefined || typeof value !== 'string' || value === '') return undefined;
  return value;
}
