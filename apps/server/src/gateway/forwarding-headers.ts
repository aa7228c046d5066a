import type { IncomingHttpHeaders } from 'node:http';
import type { ForwardingHeader, IpAddress } from '@ipgate/core';

// RFC 9110 section 7.6.1 and the classic list: these describe one connection, not the message.
// `host` is set from the upstream URL; `expect` is answered by this server, not passed on.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
]);

/**
 * Single-address "client IP" headers that CDNs and load balancers set and many frameworks believe
 * (`X-Real-IP` in nginx set-ups, Cloudflare's, Akamai's, Fastly's, …). ipgate decides the client
 * address itself and tells the upstream through X-Forwarded-For / Forwarded; a caller's copies of
 * these are dropped, so an upstream that reads one cannot be handed an address nobody checked.
 */
export const CLIENT_IP_HEADERS: ReadonlySet<string> = new Set([
  'x-real-ip',
  'true-client-ip',
  'x-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'x-original-forwarded-for',
  'client-ip',
  'x-originating-ip',
  'x-remote-addr',
  'x-remote-ip',
  'x-proxyuser-ip',
  'x-forwarded',
  'forwarded-for',
  'x-envoy-external-address',
]);

/**
 * Headers that tell software behind a proxy which URL, prefix, port, server or scheme the request
 * "really" had. Upstreams that honour them (IIS URL Rewrite and ASP.NET read `X-Original-URL` /
 * `X-Rewrite-URL`, Laminas and old Symfony too; Spring and ASP.NET Core read `X-Forwarded-Prefix`;
 * Rack reads `X-Forwarded-Ssl` / `-Scheme`) would serve `/admin` after ipgate judged `/public`, so a
 * caller's copies are dropped: ipgate tells the upstream what it saw through the forwarding headers.
 */
export const REWRITE_HEADERS: ReadonlySet<string> = new Set([
  'x-original-url',
  'x-rewrite-url',
  'x-forwarded-prefix',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-forwarded-ssl',
  'x-forwarded-scheme',
  'x-url-scheme',
  'front-end-https',
]);

/** Headers the gateway sets for the upstream; a caller's copies are always removed so they cannot be forged. */
export const IDENTITY_HEADERS = {
  requestId: 'x-request-id',
  tenantId: 'x-ipgate-tenant-id',
  keyId: 'x-ipgate-key-id',
} as const;

/** What the upstream is told about a request that passed the pipeline. */
export interface ForwardingContext {
  /** The socket peer, unmapped. */
  readonly peer: IpAddress;
  /** `peer` as text when the caller has it already (it is cached per connection); else printed here. */
  readonly peerText?: string | undefined;
  /** The client address ipgate decided on, as text. */
  readonly client: string;
  /**
   * The forwarding header the trusted proxies write (`--forwarded-header`), when the client address was
   * read from it: that header alone is extended. Undefined when the client came from the socket.
   * Every other forwarding header is replaced with what ipgate saw, since nobody vouches for it.
   */
  readonly vouched: ForwardingHeader | undefined;
  /** The host ipgate routed on (strict, lower case, with the port when one was sent); undefined for none. */
  readonly host: string | undefined;
  /** The header that carried the ipgate key, removed unless `forwardKey`. */
  readonly keyHeader: string | undefined;
  readonly forwardKey: boolean;
  readonly requestId: string;
  readonly tenantId: string | undefined;
  readonly keyId: string | undefined;
}

/**
 * The headers to send upstream: the caller's, minus hop-by-hop ones, minus the ipgate key (the
 * upstream learns the tenant and key from `X-Ipgate-Tenant-Id` / `X-Ipgate-Key-Id` instead, so the
 * secret stays out of its logs), minus client-address and rewrite headers nobody checked, with honest
 * forwarding headers: only the one the trusted proxies write is extended; `X-Forwarded-Host` is the
 * host ipgate routed on, `X-Forwarded-Proto` the scheme it was reached by, and the other of
 * `X-Forwarded-For` / `Forwarded` names the client ipgate decided on
 * (docs/architecture/pipeline.md#7-forward).
 *
 * Returned as a flat list of name, value, name, value…, which undici takes as it is: an object made
 * per request would cost a dictionary-mode object with one keyed store per header here and a key
 * list in undici. Each name comes once (the gateway's own headers after the caller's), except a
 * header node keeps as a list (`set-cookie`), which comes once per value as node read it.
 *
 * @example
 * upstreamRequestHeaders({ host: 'api.example.com', 'x-forwarded-for': '6.6.6.6' }, {
 *   peer: IpAddress.parse('203.0.113.9'), client: '203.0.113.9', vouched: undefined, host: 'api.example.com',
 *   keyHeader: 'x-api-key', forwardKey: false, requestId: 'req_1', tenantId: 'ten_1', keyId: 'key_1',
 * });
 * // ['x-forwarded-for', '203.0.113.9', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'api.example.com',
 * //  'forwarded', 'for=203.0.113.9;host=api.example.com;proto=http', 'x-request-id', 'req_1', …]
 */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, context: ForwardingContext): string[] {
  const drop = connectionListed(incoming['connection']);
  const out: string[] = [];
  // `for…in` rather than `Object.entries`: this runs on every forwarded request, and entries
  // allocates an array per header. `incoming` is node's header object, which has no inherited keys.
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || HOP_BY_HOP.has(name) || drop.has(name)) continue;
    // The forwarding and identity headers are written below, from what ipgate decided.
    if (SET_BY_GATEWAY.has(name)) continue;
    if (CLIENT_IP_HEADERS.has(name) || REWRITE_HEADERS.has(name)) continue;
    if (name === context.keyHeader && !context.forwardKey) continue;
    if (name.includes('_') && isSetByGateway(name.replaceAll('_', '-'), context.keyHeader)) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const one of value) out.push(name, one);
  }
  const peer = context.peerText ?? context.peer.toString();
  const host = context.host;

  // The vouched header is extended with the peer; the other names the client ipgate decided on. A
  // caller's copies of headers no proxy vouches for never reach the upstream, in any form.
  const xff = context.vouched === 'x-forwarded-for' ? joined(incoming['x-forwarded-for']) : undefined;
  out.push(
    'x-forwarded-for',
    context.vouched === 'x-forwarded-for' ? (xff === undefined ? peer : `${xff}, ${peer}`) : context.client,
  );
  // What ipgate itself saw: it is reached over plain HTTP, on the host it routed on.
  out.push('x-forwarded-proto', 'http');
  if (host !== undefined) out.push('x-forwarded-host', host);

  if (context.vouched === 'forwarded') {
    const element = forwardedElement(context.peer.family, peer, host);
    const forwarded = joined(incoming.forwarded);
    out.push('forwarded', forwarded === undefined ? element : `${forwarded}, ${element}`);
  } else {
    out.push('forwarded', forwardedElement(context.client.includes(':') ? 6 : 4, context.client, host));
  }

  out.push(IDENTITY_HEADERS.requestId, context.requestId);
  if (context.tenantId !== undefined) out.push(IDENTITY_HEADERS.tenantId, context.tenantId);
  if (context.keyId !== undefined) out.push(IDENTITY_HEADERS.keyId, context.keyId);
  return out;
}

/**
 * Response headers as `res.writeHead` takes them: a flat list of name, value, name, value…, a value
 * being a list where the header has several (`set-cookie`).
 */
export type ResponseHeaderList = (string | string[])[];

/**
 * The upstream's response headers to pass to the caller: minus hop-by-hop ones, with the request id,
 * names in lower case. As a flat list for `res.writeHead`: an object made per response would cost one
 * keyed store per header here and an own-property check per header in node's `writeHead`. undici
 * hands over each name once (repeated headers as a list), so each name comes once.
 *
 * @example
 * downstreamResponseHeaders({ 'content-type': 'text/plain', connection: 'close' }, 'req_1');
 * // ['content-type', 'text/plain', 'x-request-id', 'req_1']
 */
export function downstreamResponseHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  requestId: string,
): ResponseHeaderList {
  // undici hands names over in lower case; other clients may not, so `Connection` is also looked up
  // in any case — but only when the lower-case lookup misses, which keeps the common path one pass.
  let connection = headers['connection'];
  if (connection === undefined) {
    for (const name in headers) {
      if (name.toLowerCase() === 'connection') connection = headers[name];
    }
  }
  const drop = connectionListed(connection);
  const out: ResponseHeaderList = [];
  for (const name in headers) {
    const value = headers[name];
    const lower = name.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(lower) || drop.has(lower)) continue;
    // A caller must not see two request ids; the gateway's is the one it logged and recorded.
    if (lower === IDENTITY_HEADERS.requestId) continue;
    out.push(lower, value);
  }
  out.push(IDENTITY_HEADERS.requestId, requestId);
  return out;
}

// Most messages name no header in `Connection` (or say `keep-alive` / `close`): no set is built,
// no string split for them — this runs twice per forwarded request.
const NONE: ReadonlySet<string> = new Set();
const COMMON: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  ['keep-alive', 'Keep-Alive', 'close', 'Close'].map((v) => [v, new Set([v.toLowerCase()])]),
);

function connectionListed(value: string | string[] | undefined): ReadonlySet<string> {
  if (typeof value === 'string') {
    const common = COMMON.get(value);
    if (common !== undefined) return common;
  }
  const text = joined(value);
  if (text === undefined) return NONE;
  return new Set(
    text
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== ''),
  );
}

function joined(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text === undefined || text.trim() === '' ? undefined : text;
}

// Headers the gateway writes (or removes) itself. CGI-style upstreams (WSGI, Rack, PHP) read `-` and
// `_` alike (`X_Ipgate_Tenant_Id` becomes HTTP_X_IPGATE_TENANT_ID), so a caller's underscore spelling of
// one of them would forge it; such spellings are dropped.
const SET_BY_GATEWAY: ReadonlySet<string> = new Set([
  ...Object.values(IDENTITY_HEADERS),
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'forwarded',
]);

function isSetByGateway(dashed: string, keyHeader: string | undefined): boolean {
  return (
    SET_BY_GATEWAY.has(dashed) ||
    CLIENT_IP_HEADERS.has(dashed) ||
    REWRITE_HEADERS.has(dashed) ||
    dashed === keyHeader ||
    HOP_BY_HOP.has(dashed)
  );
}

const VISIBLE = /^[\x21-\x7e]+$/;
const TOKEN = /^[A-Za-z0-9.!#$%&'*+^_`|~-]+$/;

// The last element made, and what it was made of: the requests of a keep-alive connection (and of most
// clients behind one proxy) name the same client and host one after another, and the element is a
// pure function of the three, so the two pattern tests and the text are made once for them.
let lastFamily: 4 | 6 = 4;
let lastPeer: string | undefined;
let lastHost: string | undefined;
let lastElement = '';

function forwardedElement(family: 4 | 6, peer: string, host: string | undefined): string {
  if (peer === lastPeer && host === lastHost && family === lastFamily) return lastElement;
  const element = makeForwardedElement(family, peer, host);
  lastFamily = family;
  lastPeer = peer;
  lastHost = host;
  lastElement = element;
  return element;
}

function makeForwardedElement(family: 4 | 6, peer: string, host: string | undefined): string {
  // RFC 7239: an IPv6 node is bracketed and quoted; a host value is quoted when it is not a token.
  const node = family === 6 ? `"[${peer}]"` : peer;
  // `host` is strict already (parseHostHeader); the check stays as a second line of defence.
  if (host === undefined || !VISIBLE.test(host)) return `for=${node};proto=http`;
  return `for=${node};host=${TOKEN.test(host) ? host : JSON.stringify(host)};proto=http`;
}
