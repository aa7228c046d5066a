import type { RequestPath } from '../snapshot/request-path.js';
import { trimPrefix } from '../snapshot/request-path.js';

/**
 * The path and query to request from the upstream: the upstream URL's own path, then the request's
 * path (without the API's prefix when it says `stripPrefix`), then the query unchanged.
 *
 * Without stripping, the path goes as received, byte for byte. With stripping, the remainder is taken
 * from the normalised path (percent-encoded unreserved characters decoded, which RFC 3986 says is the
 * same path), because that is the form the prefix was matched against.
 *
 * @example
 * upstreamPath(new URL('http://backend:3000/api/'), { raw: '/v1/users', query: '?a=1', normalized: '/v1/users' }, '/v1', true);
 * // '/api/users?a=1'
 */
export function upstreamPath(upstream: URL, path: RequestPath, prefix: string, stripPrefix: boolean): string {
  const base = trimPrefix(upstream.pathname);
  let rest = path.raw;
  if (stripPrefix) {
    rest = path.normalized.slice(trimPrefix(prefix).length);
    if (!rest.startsWith('/')) rest = `/${rest}`;
  }
  return `${base}${rest}${path.query}`;
}
