import { defaultPort, isWebScheme } from './scheme.js';
import { WebURL, type WebUrl } from './web-url.js';

/**
 * A browser origin as the request states it.
 */
export interface ParsedOrigin {
  /** `http` or `https`; other schemes never parse (no rule can allow them). */
  readonly scheme: string;
  /** As `URL.hostname`: lower case, punycode, IPv6 in brackets. */
  readonly host: string;
  /** Undefined: the scheme's default port. */
  readonly port: number | undefined;
}

/**
 * Who is calling, as far as the headers tell: a browser (it sent `Origin` or `Referer`) or a server.
 *
 * `origin: null` is the literal `null` origin or a value that is not a strict origin; it never matches
 * a rule, but the request still counts as a browser request (fail closed).
 *
 * @example
 * const o: RequestOrigin = originOf({ origin: 'null' }); // { kind: 'browser', origin: null, raw: 'null', source: 'origin' }
 */
export type RequestOrigin =
  | { readonly kind: 'server' }
  | {
      readonly kind: 'browser';
      readonly origin: ParsedOrigin | null;
      /** The header value as received, for logs. */
      readonly raw: string;
      /** Which header decided: `Origin`, or `Referer` when Origin was absent. */
      readonly source: 'origin' | 'referer';
    };

/**
 * The two request headers that {@link originOf} reads, as Node's `IncomingHttpHeaders` names them.
 *
 * @example
 * const h: OriginHeaders = { origin: req.headers.origin, referer: req.headers.referer };
 */
export interface OriginHeaders {
  readonly origin?: string | undefined;
  readonly referer?: string | undefined;
}

// Browsers serialise origins in ASCII (hosts in punycode) with no spaces; anything else did not come
// from a browser's own serialisation, and URL would "repair" it (it drops tabs and newlines, decodes
// %61, maps full-width digits) into something that might match.
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
// scheme://authority and nothing else; "@" (user info) and "\" (read as "/") never belong in an origin.
const ORIGIN = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#\\@%]*)$/;
const REFERER = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#\\@%]*)(?:[/?#].*)?$/;
const PORT = /^[1-9][0-9]{0,4}$/;
const DOMAIN_HOST = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/;
// A DNS name is at most 253 characters (a trailing dot makes 254), and rules are held to that. A
// longer host can match no rule, but matching a wildcard list probes every parent suffix of it, which
// costs quadratic time: a 16 KB `Origin` took ~90 ms of the event loop per request.
const MAX_HOST_LENGTH = 254;

const SERVER: RequestOrigin = Object.freeze({ kind: 'server' });

/**
 * Classifies a request by its `Origin` and `Referer` headers.
 *
 * - `Origin` present (any value, even empty): a browser request judged by that value alone. A
 *   `Referer` never stands in for an `Origin: null`, because sandboxed and privacy-sensitive contexts
 *   send null on purpose.
 * - Only `Referer`: a browser request judged by the Referer's origin (path and query dropped).
 * - Neither: a server request.
 *
 * An empty header counts as present and never matches: treating it as absent would let a caller
 * turn a browser request into a server one by blanking a header.
 *
 * @example
 * originOf({ origin: 'https://app.example.com' }).kind; // 'browser'
 * originOf({ referer: 'https://app.example.com/page?x=1' }); // origin { scheme: 'https', host: 'app.example.com', port: undefined }
 * originOf({}).kind; // 'server'
 */
export function originOf(headers: OriginHeaders): RequestOrigin {
  const { origin, referer } = headers;
  if (origin !== undefined) {
    const raw = headerText(origin);
    return {
      kind: 'browser',
      origin: typeof origin === 'string' ? parseOrigin(origin) : null,
      raw,
      source: 'origin',
    };
  }
  if (referer !== undefined) {
    const raw = headerText(referer);
    return {
      kind: 'browser',
      origin: typeof referer === 'string' ? parseRefererOrigin(referer) : null,
      raw,
      source: 'referer',
    };
  }
  return SERVER;
}

/**
 * Parses an `Origin` header value strictly: exactly `scheme://host[:port]`, http or https.
 *
 * Returns null for `null`, lists, paths (even a lone `/`), user info, percent-escapes, whitespace,
 * non-ASCII, and hosts that `URL` would rewrite (`127.1`, `0x7f.0.0.1`). Upper-case letters and an
 * explicit default port are accepted, since they name the same origin. A trailing-dot host
 * (`https://example.com.`) parses with its dot, as browsers send it, and so never equals a rule.
 *
 * @example
 * parseOrigin('https://Example.com:443'); // { scheme: 'https', host: 'example.com', port: undefined }
 * parseOrigin('https://example.com/'); // null
 * parseOrigin('null'); // null
 */
export function parseOrigin(value: string): ParsedOrigin | null {
  const m = ORIGIN.exec(trimHeader(value));
  return m === null ? null : fromAuthority(m[1] as string, m[2] as string);
}

/**
 * The origin of a `Referer` header value: its scheme, host and port, with path, query and fragment
 * dropped. Null when it is not an absolute http(s) URL, or carries user info or an obfuscated host.
 *
 * @example
 * parseRefererOrigin('https://app.example.com:8443/a/b?c#d'); // { scheme: 'https', host: 'app.example.com', port: 8443 }
 * parseRefererOrigin('https://example.com@evil.com/'); // null
 */
export function parseRefererOrigin(value: string): ParsedOrigin | null {
  const m = REFERER.exec(trimHeader(value));
  return m === null ? null : fromAuthority(m[1] as string, m[2] as string);
}

/**
 * The serialised origin, as a browser would send it.
 *
 * @example
 * formatOrigin({ scheme: 'http', host: 'localhost', port: 3000 }); // 'http://localhost:3000'
 */
export function formatOrigin(origin: ParsedOrigin): string {
  return `${origin.scheme}://${origin.host}${origin.port === undefined ? '' : `:${origin.port}`}`;
}

function fromAuthority(schemeText: string, authority: string): ParsedOrigin | null {
  const scheme = schemeText.toLowerCase();
  if (!isWebScheme(scheme)) return null;
  let hostText = authority;
  let port: number | undefined;
  const colon = authority.lastIndexOf(':');
  if (colon >= 0 && colon > authority.lastIndexOf(']')) {
    const portText = authority.slice(colon + 1);
    if (!PORT.test(portText)) return null;
    port = Number(portText);
    if (port > 65535) return null;
    hostText = authority.slice(0, colon);
  }
  if (hostText.length > MAX_HOST_LENGTH) return null;
  const host = hostText.toLowerCase();
  if (!host.startsWith('[') && !DOMAIN_HOST.test(host)) return null;
  let parsed: WebUrl;
  try {
    parsed = new WebURL(`${scheme}://${authority}`);
  } catch {
    return null;
  }
  // Any difference beyond case means URL reinterpreted the host (shortened or hex IPv4, uncompressed
  // IPv6): not a form a browser sends, and not one to match on.
  if (parsed.hostname !== host) return null;
  return { scheme, host, port: port === defaultPort(scheme) ? undefined : port };
}

/** HTTP optional whitespace: space and horizontal tab. */
function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function trimHeader(value: string): string {
  if (typeof value !== 'string') return '';
  // A scan from both ends, not a regex: /[ \t]+$/ retries from every blank of an inner run, which
  // makes an attacker's `Origin: a<50,000 blanks>b` cost seconds on the request path.
  let start = 0;
  let end = value.length;
  while (start < end && isBlank(value.charCodeAt(start))) start++;
  while (end > start && isBlank(value.charCodeAt(end - 1))) end--;
  const trimmed = value.slice(start, end);
  return VISIBLE_ASCII.test(trimmed) ? trimmed : '';
}

function headerText(value: unknown): string {
  if (typeof value === 'string') return value;
  // Some frameworks hand repeated headers over as arrays; repeated Origin is never valid.
  return Array.isArray(value) ? value.join(', ') : String(value);
}
