import type { ServerResponse } from 'node:http';
import type { GatewayReason } from '@ipgate/core';
import type { Dispatcher } from 'undici';
import { withCorsHeaders } from './cors.js';
import { downstreamResponseHeaders } from './forwarding-headers.js';

/** Why a forwarded request did not get the upstream's complete answer (reasons of core's catalogue). */
export type ExchangeFailure = Extract<
  GatewayReason,
  'client-closed' | 'upstream-timeout' | 'upstream-unreachable' | 'upstream-body-failed'
>;

/**
 * Told once when an exchange fails, before anything is answered: `error` is undici's (undefined
 * for `client-closed`). It answers the caller itself when `res.headersSent` is false; when the
 * headers are out, the exchange has already cut the connection.
 */
export type ExchangeFailed = (reason: ExchangeFailure, error: Error | undefined) => void;

/** Why the upstream request is aborted when the caller leaves first. */
class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
}

/**
 * One forwarded request as an undici dispatch handler: the upstream's status and headers go to
 * `res` (hop-by-hop ones dropped, `X-Request-Id` added), its body chunks are written to `res` as
 * they come, with backpressure (undici pauses while `res` is full), and the exchange ends with the
 * upstream's body. Hand it to `pool.dispatch(options, exchange)`; call `clientClosed()` when `res`
 * closes before it finished.
 *
 * Why not `pool.request()` + `stream.pipeline(body, res)`: under load that costs, per request, an
 * `AbortController` (with its `DOMException`) to cancel on client close, a promise, a `Readable`
 * for the body and a pipeline with its listeners — ~15 % of a worker's CPU together. undici's
 * dispatch API hands the same events to this one object; the controller it passes aborts the
 * upstream request, so no signal is needed. Bodies are still streamed, never buffered.
 *
 * @example
 * const exchange = new UpstreamExchange(res, requestId, undefined, (reason, error) => {
 *   if (!res.headersSent) answer(res, reason === 'upstream-timeout' ? 'upstream-timeout' : 'upstream-unreachable');
 * });
 * res.once('close', () => exchange.clientClosed());
 * pool.dispatch({ method: 'GET', path: '/v1/users', headers, body: null }, exchange);
 */
export class UpstreamExchange implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #done = false;
  #clientGone = false;
  readonly #res: ServerResponse;
  readonly #requestId: string;
  readonly #failed: ExchangeFailed;

  readonly #corsOrigin: string | undefined;

  /** `corsOrigin`: the origin to name in CORS headers, when a key's domain rules let a browser call through. */
  constructor(
    res: ServerResponse,
    requestId: string,
    corsOrigin: string | undefined,
    failed: ExchangeFailed,
  ) {
    this.#res = res;
    this.#requestId = requestId;
    this.#corsOrigin = corsOrigin;
    this.#failed = failed;
  }

  /** True once the upstream's answer was passed on completely, or the exchange failed. */
  get done(): boolean {
    return this.#done;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    // The caller left while the request waited for a pooled connection: do not send it at all.
    if (this.#clientGone) controller.abort(new ClientClosedError('the caller closed the connection'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // Informational answers (103 Early Hints…) are not passed on, as `request()` did not either.
    if (statusCode < 200 || this.#clientGone) return;
    const out = downstreamResponseHeaders(headers, this.#requestId);
    this.#res.writeHead(
      statusCode,
      this.#corsOrigin === undefined ? out : withCorsHeaders(out, this.#corsOrigin),
    );
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#clientGone) return;
    if (!this.#res.write(chunk)) {
      // The caller reads slower than the upstream sends: stop reading the upstream until it drains.
      controller.pause();
      this.#res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.#done = true;
    if (!this.#clientGone) this.#res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#clientGone) {
      this.#failed('client-closed', undefined);
      return;
    }
    if (this.#res.headersSent) {
      this.#failed('upstream-body-failed', error);
      // The status is out: the only honest signal left is cutting the connection.
      this.#res.destroy();
      return;
    }
    this.#failed(isTimeout(error) ? 'upstream-timeout' : 'upstream-unreachable', error);
  }

  /** The caller's connection closed: abort the upstream request unless it already finished. */
  clientClosed(): void {
    if (this.#done || this.#clientGone) return;
    this.#clientGone = true;
    this.#controller?.abort(new ClientClosedError('the caller closed the connection'));
  }
}

function isTimeout(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'ETIMEDOUT'
  );
}
