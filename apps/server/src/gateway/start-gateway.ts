import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { type ClientAddressStrategy, IpAddress } from '@ipgate/core';
import { Counter, Registry } from 'prom-client';
import type { Recorder } from '../records/recorder.js';
import { type Logger, silentLogger } from '../snapshot/logger.js';
import type { SnapshotEngine } from '../snapshot/snapshot-engine.js';
import type { RequestRecord } from '../store/store.js';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './forwarding-headers.js';
import { type GatewayAnswer, gatewayAnswer } from './gateway-responses.js';
import { type PipelineOutcome, runPipeline } from './pipeline.js';
import { upstreamPath } from './upstream-path.js';
import { createUpstreamPools } from './upstream-pools.js';

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  /** Where the rules come from; the gateway reads `engine.current` once per request. */
  readonly engine: Pick<SnapshotEngine, 'current' | 'loaded'>;
  /** How to find the client address (stage 1). */
  readonly clientAddress: ClientAddressStrategy;
  /** Receives one call per finished request. */
  readonly recorder: Pick<Recorder, 'record'>;
  readonly host: string;
  /** 0 picks a free port (see the returned `url`). */
  readonly port: number;
  readonly logger?: Logger | undefined;
  /** Connect, response-headers and idle-body timeout towards the upstream; past it the caller gets 504. */
  readonly upstreamTimeoutMs: number;
  /** Pass the ipgate key header on to the upstream; default false (see `upstreamRequestHeaders`). */
  readonly forwardKeyHeader?: boolean | undefined;
  /**
   * Whether the strategy trusts some proxy. Default: every strategy except the socket peer's. When no
   * proxy is trusted, forwarding headers are a misconfiguration or a spoofing attempt: logged and counted.
   */
  readonly trustsProxies?: boolean | undefined;
  /** How long `close()` waits for requests in flight before cutting connections; default 10 000 ms. */
  readonly drainTimeoutMs?: number | undefined;
  /** Where the gateway's counters are registered; default a registry of its own (`gateway.metrics`). */
  readonly metrics?: Registry | undefined;
}

/** A running gateway. */
export interface Gateway {
  /** `http://host:port` as bound. */
  readonly url: string;
  readonly metrics: Registry;
  /** Stops accepting connections, lets requests in flight finish (up to the drain timeout), closes upstream pools. */
  close(): Promise<void>;
}

const WARN_EVERY_MS = 60_000;

/**
 * Starts the proxy listener: every request runs the pipeline of design section 3 (stages 1–6) against
 * the snapshot in force, is answered by the gateway when denied, and is otherwise forwarded to its
 * API's upstream with bodies streamed both ways. Every response carries `X-Request-Id`; every request
 * is handed to the recorder when it ends.
 *
 * @example
 * const gateway = await startGateway({
 *   engine, clientAddress: socketPeer(), recorder, host: '127.0.0.1', port: 8080, upstreamTimeoutMs: 30_000,
 * });
 * console.log(gateway.url); // 'http://127.0.0.1:8080'
 * await gateway.close();
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { engine, clientAddress, recorder } = options;
  const logger = options.logger ?? silentLogger;
  const trustsProxies = options.trustsProxies ?? clientAddress.description !== 'socket peer';
  const pools = createUpstreamPools({ timeoutMs: options.upstreamTimeoutMs });
  const metrics = options.metrics ?? new Registry();
  const requestsTotal = new Counter({
    name: 'ipgate_gateway_requests_total',
    help: 'Requests through the gateway, by decision and the stage that decided.',
    labelNames: ['decision', 'stage'] as const,
    registers: [metrics],
  });
  const untrustedForwarding = new Counter({
    name: 'ipgate_gateway_untrusted_forwarding_headers_total',
    help: 'Requests with X-Forwarded-For or Forwarded while no proxy is trusted (the headers were ignored).',
    registers: [metrics],
  });
  const upstreamErrors = new Counter({
    name: 'ipgate_gateway_upstream_errors_total',
    help: 'Forwarded requests the upstream did not answer, by kind.',
    labelNames: ['kind'] as const,
    registers: [metrics],
  });
  let lastForwardingWarning = Number.NEGATIVE_INFINITY;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const at = new Date();
    const requestId = `req_${randomBytes(12).toString('base64url')}`;
    inFlight++;
    let recorded: Pick<RequestRecord, 'decision' | 'stage' | 'reason'> = {
      decision: 'deny',
      stage: null,
      reason: null,
    };
    let outcome: PipelineOutcome | undefined;
    res.setHeader('x-request-id', requestId);
    res.once('close', () => {
      inFlight--;
      requestsTotal.inc({ decision: recorded.decision, stage: recorded.stage ?? 'none' });
      try {
        recorder.record({
          request: {
            requestId,
            at,
            tenantId: outcome?.key?.tenantId ?? null,
            apiId: outcome?.api?.id ?? null,
            keyId: outcome?.key?.id ?? null,
            client: outcome?.client?.toString() ?? null,
            method: req.method ?? '',
            // The path only: queries may carry secrets and personal data.
            path: outcome?.path?.raw ?? '',
            status: res.headersSent ? res.statusCode : 499,
            ...recorded,
            latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
          },
          observation:
            outcome?.observation === undefined || outcome.key === undefined || outcome.client === undefined
              ? undefined
              : {
                  tenantId: outcome.key.tenantId,
                  keyId: outcome.key.id,
                  address: outcome.client.toString(),
                  status: outcome.observation,
                  reason: outcome.observation === 'pending' ? outcome.reason : undefined,
                },
        });
      } catch (e) {
        logger.error({ err: e, requestId }, 'recorder failed');
      }
      if (inFlight === 0) drained?.();
    });

    if (!engine.loaded) {
      recorded = { decision: 'deny', stage: 'route', reason: 'not-ready' };
      answer(res, 'not-ready', requestId);
      return;
    }
    const snapshot = engine.current;
    outcome = runPipeline(snapshot, clientAddress, {
      method: req.method ?? '',
      target: req.url,
      headers: req.headers,
      peer: req.socket.remoteAddress,
    });
    recorded = { decision: outcome.allow ? 'allow' : 'deny', stage: outcome.stage, reason: outcome.reason };
    if (outcome.sawForwardingHeaders && !trustsProxies) warnForwarding(req, requestId);
    if (!outcome.allow) {
      logger.info(
        {
          requestId,
          stage: outcome.stage,
          reason: outcome.reason,
          detail: outcome.detail,
          client: outcome.client?.toString(),
          apiId: outcome.api?.id,
          keyId: outcome.key?.id,
        },
        'request denied',
      );
      const kind: GatewayAnswer =
        outcome.status === 400
          ? 'bad-target'
          : outcome.status === 401
            ? 'unauthenticated'
            : outcome.status === 404
              ? 'no-route'
              : 'denied';
      if (kind === 'unauthenticated' && outcome.api?.authHeader === 'authorization') {
        res.setHeader('www-authenticate', 'Bearer');
      }
      answer(res, kind, requestId);
      return;
    }
    void forward(req, res, outcome, requestId, (failure) => {
      recorded = { decision: 'allow', stage: 'upstream', reason: failure };
    });
  }

  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    outcome: PipelineOutcome,
    requestId: string,
    // Called before the answer goes out, so the record written at 'close' says why.
    failed: (reason: string) => void,
  ): Promise<void> {
    const api = outcome.api;
    const path = outcome.path;
    const peer = IpAddress.tryParse(req.socket.remoteAddress ?? '')?.unmap();
    if (api === undefined || path === undefined || peer === undefined || api.upstream === undefined) {
      upstreamErrors.inc({ kind: 'unusable' });
      failed('upstream-unusable');
      answer(res, 'upstream-unreachable', requestId);
      return;
    }
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const hasBody =
      req.headers['transfer-encoding'] !== undefined ||
      (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    try {
      const response = await pools.get(api.upstream).request({
        method: (req.method ?? 'GET') as 'GET',
        path: upstreamPath(api.upstream, path, api.pathPrefix, api.stripPrefix),
        headers: upstreamRequestHeaders(req.headers, {
          peer,
          clientVia: outcome.clientVia ?? 'socket',
          keyHeader: api.authHeader,
          forwardKey: options.forwardKeyHeader ?? false,
          requestId,
          tenantId: outcome.key?.tenantId,
          keyId: outcome.key?.id,
        }) as Record<string, string | string[]>,
        body: hasBody ? req : null,
        signal: controller.signal,
      });
      res.writeHead(
        response.statusCode,
        downstreamResponseHeaders(
          response.headers as Record<string, string | string[] | undefined>,
          requestId,
        ),
      );
      try {
        await pipeline(response.body, res);
      } catch (e) {
        // Headers are out: all that can be said now is cutting the connection, which pipeline did.
        if (!controller.signal.aborted) {
          upstreamErrors.inc({ kind: 'body' });
          logger.warn({ err: e, requestId, apiId: api.id }, 'upstream response body failed');
          failed('upstream-body-failed');
        }
      }
    } catch (e) {
      if (controller.signal.aborted) {
        failed('client-closed');
        return;
      }
      const timeout = isTimeout(e);
      upstreamErrors.inc({ kind: timeout ? 'timeout' : 'unreachable' });
      logger.warn({ err: e, requestId, apiId: api.id, upstream: api.upstream.origin }, 'upstream failed');
      failed(timeout ? 'upstream-timeout' : 'upstream-unreachable');
      if (res.headersSent) res.destroy();
      else answer(res, timeout ? 'upstream-timeout' : 'upstream-unreachable', requestId);
      // The caller may still be sending a body nobody will read.
      if (!req.complete) req.resume();
    }
  }

  function warnForwarding(req: IncomingMessage, requestId: string): void {
    untrustedForwarding.inc();
    const now = Date.now();
    if (now - lastForwardingWarning < WARN_EVERY_MS) return;
    lastForwardingWarning = now;
    logger.warn(
      { requestId, peer: req.socket.remoteAddress, strategy: clientAddress.description },
      'forwarding headers received but no proxy is trusted; they were ignored (configure trusted proxies if a proxy is in front)',
    );
  }

  // A bug in the request path must cost one request (closed: nothing forwarded), never the process.
  function guarded(req: IncomingMessage, res: ServerResponse): void {
    try {
      handle(req, res);
    } catch (e) {
      logger.error({ err: e, requestId: res.getHeader('x-request-id') }, 'request path failed');
      if (res.headersSent) res.destroy();
      else answer(res, 'internal-error', String(res.getHeader('x-request-id') ?? ''));
    }
  }

  const server = createServer(guarded);
  // A slow or silent client must not hold a connection forever.
  server.headersTimeout = 30_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostText = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostText}:${address.port}`,
    metrics,
    close(): Promise<void> {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight > 0) {
          const timeout = options.drainTimeoutMs ?? 10_000;
          await new Promise<void>((resolve) => {
            drained = resolve;
            setTimeout(resolve, timeout).unref();
          });
        }
        server.closeAllConnections();
        await stopped;
        await pools.close();
      })();
      return closing;
    },
  };
}

function answer(res: ServerResponse, kind: GatewayAnswer, requestId: string): void {
  const { status, body } = gatewayAnswer(kind, requestId);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
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
