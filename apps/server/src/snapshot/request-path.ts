/**
 * The path of a request as routing sees it. Routing and the upstream must agree on which API a
 * path belongs to, or a caller could be checked against one API's rules and served by another.
 */

// RFC 3986 section 2.3: percent-encoded unreserved characters are equivalent to the characters.
const ENCODED_UNRESERVED = /%(?:[46][1-9a-f]|[57][0-9a]|3[0-9]|2[de]|5f|7e)/gi;
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;
// Visible ASCII only; anything else never came from a well-behaved client.
const PATH_CHARS = /^[\x21-\x7e]*$/;
// What some upstream or proxy in front of it may read as structure where routing sees none: any
// percent-encoding (`%2f`, `%5c`, `%3b`), a backslash, a `;` parameter, a doubled slash.
const LENIENT_HINTS = /[%\\;]|\/\//;
const ANY_ENCODED = /%[0-9a-f]{2}/gi;
const SEGMENT_PARAMS = /;[^/]*/g;
const REPEATED_SLASHES = /\/{2,}/g;

/** A request target split for routing: `path` normalised for matching, `raw` kept for forwarding. */
export interface RequestPath {
  /** The path as received (before `?`), forwarded unchanged. */
  readonly raw: string;
  /** `?` and the query, or ''. */
  readonly query: string;
  /** `raw` with percent-encoded unreserved characters decoded: what prefixes are compared with. */
  readonly normalized: string;
}

/**
 * Splits an origin-form request target (`/a/b?c`) for routing. Returns undefined (the request is refused)
 * for any other form (`*`, `http://…`), for characters outside visible ASCII, and for dot segments,
 * raw or percent-encoded (`/public/../admin`, `/public/%2e%2e/admin`): the upstream might resolve them
 * and serve a path that routing never saw.
 *
 * @example
 * parseRequestPath('/v1/%75sers?x=1'); // { raw: '/v1/%75sers', query: '?x=1', normalized: '/v1/users' }
 * parseRequestPath('/v1/../admin'); // undefined
 */
export function parseRequestPath(target: string | undefined): RequestPath | undefined {
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) return undefined;
  if (!PATH_CHARS.test(target)) return undefined;
  const hash = target.indexOf('#');
  const end = hash === -1 ? target.length : hash;
  const q = target.indexOf('?');
  const pathEnd = q === -1 || q > end ? end : q;
  const raw = target.slice(0, pathEnd);
  const query = target.slice(pathEnd, end);
  // Most paths carry no escape: nothing to decode (the pattern and its callback are skipped).
  const normalized = raw.includes('%')
    ? raw.replace(ENCODED_UNRESERVED, (m) => String.fromCharCode(Number.parseInt(m.slice(1), 16)))
    : raw;
  if (DOT_SEGMENT.test(normalized)) return undefined;
  // `/public/..%2fadmin`, `/public/..\admin`, `/public/..;/admin`: no dot segment for routing, but
  // nginx (decodes %2f), WHATWG URL parsers (read `\` as `/`) and Servlet containers (drop `;…`) resolve
  // them to `/admin`. Refused like raw dot segments. A lenient reading that is the path itself (the
  // usual case) was tested just above.
  const lenient = lenientPath(normalized);
  if (lenient !== normalized && DOT_SEGMENT.test(lenient)) return undefined;
  return { raw, query, normalized };
}

/**
 * The widest reading of a normalised path that software behind the gateway is known to make: every
 * percent-encoding decoded (so `%2f` is a slash), `\` read as `/`, `;` parameters dropped from each
 * segment, repeated slashes merged. Routing must pick the same API for this reading as for the path
 * itself, or the caller could be checked against one API and served another's resource.
 * Returns `path` itself (the same string) when there is nothing to reinterpret.
 *
 * @example
 * lenientPath('/x%2F..%2Fadmin'); // '/x/../admin'
 * lenientPath('/admin;jsessionid=1/users'); // '/admin/users'
 * lenientPath('/v1/users'); // '/v1/users'
 */
export function lenientPath(path: string): string {
  if (!LENIENT_HINTS.test(path)) return path;
  return path
    .replace(ANY_ENCODED, (m) => String.fromCharCode(Number.parseInt(m.slice(1), 16)))
    .replaceAll('\\', '/')
    .replace(SEGMENT_PARAMS, '')
    .replace(REPEATED_SLASHES, '/');
}

/**
 * True when `prefix` covers `path` at a segment boundary: `/v1` covers `/v1`, `/v1/` and `/v1/x`,
 * never `/v10`. `/` covers everything. A trailing slash on the prefix is ignored.
 *
 * @example
 * pathHasPrefix('/v1/users', '/v1'); // true
 * pathHasPrefix('/v10', '/v1'); // false
 */
export function pathHasPrefix(path: string, prefix: string): boolean {
  const p = trimPrefix(prefix);
  if (p === '') return true;
  return path === p || (path.startsWith(p) && path.charCodeAt(p.length) === 0x2f);
}

/**
 * A prefix in the form routing compares: no trailing slash; '' for the root.
 *
 * @example
 * trimPrefix('/v1/'); // '/v1'
 * trimPrefix('/'); // ''
 */
export function trimPrefix(prefix: string): string {
  let end = prefix.length;
  while (end > 0 && prefix.charCodeAt(end - 1) === 0x2f) end--;
  return prefix.slice(0, end);
}
