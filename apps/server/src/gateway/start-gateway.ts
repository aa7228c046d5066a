import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ClientAddressStrategy, DecisionReason, GatewayReason } from '@ipgate/core';
import { Counter, Registry } from 'prom-client';
import { type Logger, silentLogger } from '../log/logger.js';
import type { Recorder } from '../records/recorder.js';
import type { AutoReview } from '../review/auto-review.js';
import type { SnapshotEngine } from '../snapshot/snapshot-engine.js';
import type { RequestRecord } from '../store/store.js';
import type { UsageCounter } from '../usage/usage-counter.js';
import { callRecord } from './call-record.js';
import { connectionPeer } from './connection-peer.js';
import { preflightHeaders } from './cors.js';
import { logDenial } from './denial-log.js';
import { upstreamRequestHeaders } from './forwarding-headers.js';
import { badRequestAnswer, type GatewayAnswer, gatewayAnswer } from './gateway-responses.js';
import { latencyHistogram } from './latency-histogram.js';
import { outcomeCounter } from './outcome-counter.js';
import { type PipelineOutcome, runPipeline } from './pipeline.js';
import { withEveryCopy } from './presented-key.js';
import { createRequestIds } from './request-ids.js';
import { UpstreamExchange } from './upstream-exchange.js';
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
  /**
   * Counts which list entries let each request through (docs/architecture/storage.md#entry-usage);
   * none when entry usage is off.
   */
  readonly usage?: UsageCounter | undefined;
  /** Where the gateway's counters are registered; default a registry of its own (`gateway.metrics`). */
  readonly metrics?: Registry | undefined;
  /** The `auto` mode's assessment (docs/architecture/review.md#auto-on-the-request-path); without it `auto` acts as `manual`. */
  readonly review?: AutoReview | undefined;
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
 * Starts the proxy listener: every request runs the pipeline (docs/architecture/pipeline.md, stages 1–6)
 * against the snapshot in force, is answered by the gateway when denied, and is otherwise forwarded to its
 * API's upstream with bodies streamed both ways. Every response carries `X-Request-Id`; every request is
 * handed to the recorder when it ends.
 *
 * @example
 * const gateway = await startGateway({
 *   engine, clientAddress: socketPeer(), recorder, host: '127.0.0.1', port: 8080, upstreamTimeoutMs: 30_000,
 * });
 * console.log(gateway.url); // 'http://127.0.0.1:8080'
 * await gateway.close();
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { engine, clientAddress, recorder, usage } = options;
  const logger = options.logger ?? silentLogger;
  const trustsProxies = options.trustsProxies ?? clientAddress.description !== 'socket peer';
  const pools = createUpstreamPools({ timeoutMs: options.upstreamTimeoutMs });
  const metrics = options.metrics ?? new Registry();
  const requestsTotal = outcomeCounter(metrics);
  const latency = latencyHistogram(metrics);
  const requestIds = createRequestIds();
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

  function handle(req: IncomingMessage, res: ServerResponse, call: Call): void {
    inFlight++;
    // One listener for everything that happens when the exchange is over (one closure, not two
    // `once` wrappers): record the call, and stop the upstream side if the caller left first.
    res.on('close', () => closed(req, res, call));

    if (!engine.loaded) {
      call.decided('deny', 'route', 'not-ready');
      answer(res, 'not-ready', call.requestId);
      return;
    }
    const snapshot = engine.current;
    const outcome = runPipeline(
      snapshot,
      clientAddress,
      {
        method: req.method ?? '',
        target: req.url,
        headers: withEveryCopy(req.headers, req.rawHeaders),
        peer: req.socket.remoteAddress,
      },
      options.review,
    );
    call.outcome = outcome;
    if (usage !== undefined && outcome.matched.length > 0) {
      usage.countMatched(outcome.matched, outcome.api, outcome.tenant, outcome.key, call.at.getTime());
    }
    call.decided(
      outcome.wouldDeny ? 'would-deny' : outcome.allow ? 'allow' : 'deny',
      outcome.stage,
      outcome.reason,
    );
    if (outcome.sawForwardingHeaders && !trustsProxies) warnForwarding(req, call.requestId);
    logDenial(logger, outcome, call.requestId);
    if (!outcome.allow) {
      const kind: GatewayAnswer =
        outcome.status === 400
          ? badRequestAnswer(outcome.reason)
          : outcome.status === 401
            ? 'unauthenticated'
            : outcome.status === 404
              ? 'no-route'
              : 'denied';
      const bearer = kind === 'unauthenticated' && outcome.api?.authHeader === 'authorization';
      answer(res, kind, call.requestId, bearer);
      return;
    }
    if (outcome.preflight) {
      answerPreflight(req, res, call.requestId);
      return;
    }
    forward(req, res, outcome, call);
  }

  /** The end of every request, whichever way it went: counters, the record, the drain. */
  function closed(req: IncomingMessage, res: ServerResponse, call: Call): void {
    inFlight--;
    // The caller left before the upstream's answer was passed on: abort the upstream request.
    if (call.exchange !== undefined && !res.writableFinished) call.exchange.clientClosed();
    const elapsedMs = performance.now() - call.started;
    requestsTotal.add(call.decision, call.stage ?? 'none', call.reason ?? 'none');
    latency.observe(call.decision, elapsedMs / 1000);
    try {
      recorder.record(
        callRecord(call.outcome, {
          requestId: call.requestId,
          at: call.at,
          method: req.method ?? '',
          status: res.headersSent ? res.statusCode : 499,
          latencyMs: elapsedMs,
          decision: call.decision,
          stage: call.stage,
          reason: call.reason,
        }),
      );
    } catch (e) {
      logger.error({ err: e, requestId: call.requestId }, 'recorder failed');
    }
    if (inFlight === 0) drained?.();
  }

  function forward(req: IncomingMessage, res: ServerResponse, outcome: PipelineOutcome, call: Call): void {
    const api = outcome.api;
    const path = outcome.path;
    const peer = connectionPeer(req.socket);
    const requestId = call.requestId;
    if (api === undefined || path === undefined || peer === undefined || api.upstream === undefined) {
      upstreamErrors.inc({ kind: 'unusable' });
      call.upstreamFailed('upstream-unusable');
      answer(res, 'upstream-unreachable', requestId);
      return;
    }
    const hasBody =
      req.headers['transfer-encoding'] !== undefined ||
      (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    // Told before any answer goes out, so the record written at 'close' says why.
    const exchange = new UpstreamExchange(res, requestId, outcome.corsOrigin, (reason, error) => {
      call.upstreamFailed(reason);
      if (reason === 'client-closed') return;
      if (reason === 'upstream-body-failed') {
        upstreamErrors.inc({ kind: 'body' });
        logger.warn({ err: error, requestId, apiId: api.id }, 'upstream response body failed');
        return;
      }
      const timeout = reason === 'upstream-timeout';
      upstreamErrors.inc({ kind: timeout ? 'timeout' : 'unreachable' });
      logger.warn(
        { err: error, requestId, apiId: api.id, upstream: api.upstream?.origin },
        'upstream failed',
      );
      answer(res, timeout ? 'upstream-timeout' : 'upstream-unreachable', requestId);
      // The caller may still be sending a body nobody will read.
      if (!req.complete) req.resume();
    });
    call.exchange = exchange;
    pools.get(api.upstream).dispatch(
      {
        method: (req.method ?? 'GET') as 'GET',
        path: upstreamPath(api.upstream, path, api.pathPrefix, api.stripPrefix),
        headers: upstreamRequestHeaders(req.headers, {
          peer: peer.address,
          peerText: peer.text,
          client: outcome.clientVia === 'header' ? (outcome.client?.toString() ?? peer.text) : peer.text,
          vouched: outcome.clientVia === 'header' ? clientAddress.header : undefined,
          host: outcome.host,
          keyHeader: api.authHeader,
          forwardKey: options.forwardKeyHeader ?? false,
          requestId,
          tenantId: outcome.key?.tenantId,
          keyId: outcome.key?.id,
        }),
        body: hasBody ? req : null,
      },
      exchange,
    );
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
    const call = new Call(requestIds.next());
    try {
      handle(req, res, call);
    } catch (e) {
      logger.error({ err: e, requestId: call.requestId }, 'request path failed');
      if (res.headersSent) res.destroy();
      else answer(res, 'internal-error', call.requestId);
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

function answer(res: ServerResponse, kind: GatewayAnswer, requestId: string, bearer = false): void {
  const { status, body } = gatewayAnswer(kind, requestId);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': requestId,
  };
  if (bearer) headers['www-authenticate'] = 'Bearer';
  res.writeHead(status, headers);
  res.end(body);
}

/** The gateway's own answer to an allowed CORS preflight (docs/architecture/pipeline.md#cors). */
function answerPreflight(req: IncomingMessage, res: ServerResponse, requestId: string): void {
  const requested = req.headers['access-control-request-headers'];
  res.writeHead(204, {
    ...preflightHeaders(
      req.headers['origin'] as string,
      req.headers['access-control-request-method'] as string,
      typeof requested === 'string' ? requested : undefined,
    ),
    'cache-control': 'no-store',
    'x-request-id': requestId,
  });
  res.end();
}

/**
 * What the gateway knows of one request while it runs, read when it closes to write its record.
 * A class, so every request has the same object shape (and one allocation, not several).
 */
class Call {
  readonly at = new Date();
  readonly started = performance.now();
  decision: RequestRecord['decision'] = 'deny';
  stage: RequestRecord['stage'] = null;
  reason: RequestRecord['reason'] = null;
  outcome: PipelineOutcome | undefined = undefined;
  exchange: UpstreamExchange | undefined = undefined;

  constructor(readonly requestId: string) {}

  decided(decision: RequestRecord['decision'], stage: string, reason: DecisionReason | GatewayReason): void {
    this.decision = decision;
    this.stage = stage;
    this.reason = reason;
  }

  /** A forwarded request's upstream failed: recorded as such, unless what matters more is that it would have been denied. */
  upstreamFailed(reason: GatewayReason): void {
    if (this.decision === 'would-deny') return;
    this.decided('allow', 'upstream', reason);
  }
}
