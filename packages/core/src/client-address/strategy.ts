import type { IpAddress } from '../address/ip-address.js';

/**
 * One header as a server framework hands it over: one line, several lines, or none.
 *
 * @example
 * const one: HeaderValue = '203.0.113.7, 10.0.0.2';
 * const lines: HeaderValue = ['203.0.113.7', '10.0.0.2'];
 */
export type HeaderValue = string | readonly string[] | undefined;

/**
 * Header names in lower case, as node's IncomingMessage.headers has them.
 *
 * Adapters for runtimes with a `Headers` object (Hono, fetch) must lower-case the names they copy:
 * a header under `X-Forwarded-For` is not read.
 *
 * @example
 * const headers: RequestHeaders = { 'x-forwarded-for': '203.0.113.7', forwarded: undefined };
 */
export type RequestHeaders = Readonly<Record<string, HeaderValue>>;

/**
 * The forwarding header a strategy reads. `X-Real-IP` and friends are not offered: they carry one
 * address that whoever sent the request last may have set, so no rightmost-untrusted walk is possible.
 */
export type ForwardingHeader = 'x-forwarded-for' | 'forwarded';

/**
 * The outcome of resolving the client address of one request (stage 1 of the pipeline:
 * docs/architecture/pipeline.md#1-client-address).
 *
 * `sawForwardingHeaders` is reported on both branches so the gateway can log and count forwarding
 * headers that it was not told to trust (a sign of a missing proxy setting, or of spoofing attempts).
 *
 * @example
 * const r: ClientAddressResult = socketPeer().resolve('::ffff:192.0.2.1', {});
 * if (r.ok) r.address.toString(); // '192.0.2.1'
 * else console.warn(r.reason, r.detail);
 */
export type ClientAddressResult =
  | {
      ok: true;
      /** Unmapped: `::ffff:a.b.c.d` comes back as IPv4. */
      address: IpAddress;
      via: 'socket' | 'header';
      sawForwardingHeaders: boolean;
    }
  | {
      ok: false;
      reason:
        | 'client-address-invalid'
        | 'forwarded-header-malformed'
        | 'forwarded-element-invalid'
        | 'too-few-hops';
      /** For operators: what was wrong, e.g. the offending element (quoted and shortened, safe to log). */
      detail: string;
      sawForwardingHeaders: boolean;
    };

/**
 * How a request's client address is found. Separate from matching (docs/architecture/client-address.md), so
 * the same compiled sets serve a gateway behind a load balancer and a service facing the internet.
 *
 * @example
 * const strategy: ClientAddressStrategy = trustedProxies({ trusted: ['10.0.0.0/8'] });
 * const r = strategy.resolve(req.socket.remoteAddress, req.headers);
 * const decision = r.ok ? undefined : denyClientAddress(r.reason, r.detail); // deny with 403
 */
export interface ClientAddressStrategy {
  /** peer = the socket's remoteAddress (may be undefined when the socket is gone → deny). */
  resolve(peer: string | undefined, headers: RequestHeaders): ClientAddressResult;
  /** e.g. 'socket peer', 'x-forwarded-for from 2 trusted ranges', for logs and `ipgate client-ip`. */
  readonly description: string;
  /**
   * The forwarding header the strategy reads the client from, when it reads one: the one header the
   * trusted proxies vouch for. A gateway extends that header for its upstream and replaces every other.
   */
  readonly header?: ForwardingHeader | undefined;
}
