/**
 * The decision service (docs/decision-endpoint.md): answers a proxy's "may this request pass?" by running the
 * gateway's pipeline (docs/architecture/pipeline.md, stages 1–6) on the request the proxy describes, and
 * records the request and the observed address exactly as the gateway does. Free of HTTP server code, like
 * the pipeline.
 */
import { performance } from 'node:perf_hooks';
import { type ClientAddressConfig, clientAddressStrategy, denialBody, type HeaderValue } from '@ipgate/core';
import { callRecord, outcomeDecision } from '../gateway/call-record.js';
import { logDenial } from '../gateway/denial-log.js';
import { badRequestAnswer, gatewayAnswer } from '../gateway/gateway-responses.js';
import { type PipelineOutcome, runPipeline } from '../gateway/pipeline.js';
import { createRequestIds } from '../gateway/request-ids.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { Recorder } from '../records/recorder.js';
import type { AutoReview } from '../review/auto-review.js';
import type { SnapshotEngine } from '../snapshot/snapshot-engine.js';
import type { UsageCounter } from '../usage/usage-counter.js';
import { type DecisionAsk, originalRequest, type ProxyKind } from './proxy-kinds.js';
import { proxyTrust } from './proxy-trust.js';

/** Options of {@link createDecider}. */
export interface DeciderOptions {
  /** The rules in force; undefined or not loaded → 503 (the proxy fails closed). */
  readonly snapshots: Pick<SnapshotEngine, 'current' | 'loaded'> | undefined;
  /** The server's client-address settings: whose forwarding header is believed, and who may ask. */
  readonly clientAddress: ClientAddressConfig;
  readonly recorder?: Pick<Recorder, 'record'> | undefined;
  /** Counts the list entries that matched (docs/architecture/storage.md#entry-usage); none when off. */
  readonly usage?: UsageCounter | undefined;
  readonly logger?: Logger | undefined;
  /** The `auto` mode's assessment, shared with the gateway of this process. */
  readonly review?: AutoReview | undefined;
}

/** What to answer the proxy. */
export interface DecisionAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON text; undefined for an empty answer (204). */
  readonly body: string | undefined;
}

/** An ask with the socket peer it came from. */
export interface PeerAsk extends DecisionAsk {
  /** The socket's remote address: the proxy. */
  readonly peer: string | undefined;
}

/**
 * Decides asks.
 *
 * @example
 * const decider = createDecider({ snapshots: engine, clientAddress: { mode: 'trusted-proxies', trusted: ['127.0.0.1'] } });
 * decider.decide('nginx', { method: 'GET', url: '/v1/decide/nginx', headers, peer: '127.0.0.1' }).status; // 204, 401 or 403
 */
export interface Decider {
  decide(kind: ProxyKind, ask: PeerAsk): DecisionAnswer;
}

const WARN_EVERY_MS = 60_000;
/** Headers an allowed answer carries for the proxy to pass upstream (the gateway's names). */
const TENANT_HEADER = 'x-ipgate-tenant-id';
const KEY_HEADER = 'x-ipgate-key-id';

/**
 * Builds the decider.
 *
 * Answers: allowed → 204 for nginx (`auth_request` needs a 2xx, and 204 has no body to buffer), 200
 * for Traefik and Envoy (Envoy's HTTP ext_authz allows on 200 only); denied → 403 with the denial
 * body (docs/architecture/pipeline.md#the-denial-body) and `X-Request-Id`; missing or unknown key → 401
 * (`WWW-Authenticate: Bearer` when the API reads `Authorization`). No route (404) and an unroutable target
 * (400) stay what the gateway answers for Traefik and Envoy, which pass the status to the client; nginx gets
 * 403 instead, because `auth_request` turns any status but 2xx/401/403 into a 500 for the client — the
 * request log keeps the real stage and reason. An ask from a peer that is not a trusted proxy gets 403
 * without a decision; an ask lacking the original URI gets 400 (a proxy configured wrongly, or an ask that did not
 * come through it).
 *
 * @example
 * const answer = decider.decide('traefik', { method: 'GET', url: '/v1/decide/traefik', headers, peer });
 * reply.code(answer.status).headers(answer.headers).send(answer.body);
 */
export function createDecider(options: DeciderOptions): Decider {
  const logger = options.logger ?? silentLogger;
  const strategy = clientAddressStrategy(options.clientAddress);
  const trust = proxyTrust(options.clientAddress);
  const recorder = options.recorder;
  let lastWarning = Number.NEGATIVE_INFINITY;
  // The gateway's ids: same form, so an operator looks either up the same way.
  const requestIds = createRequestIds();

  function warn(fields: Record<string, unknown>, message: string): void {
    // Once a minute: a misconfigured proxy asks on every request.
    const now = Date.now();
    if (now - lastWarning < WARN_EVERY_MS) return;
    lastWarning = now;
    logger.warn(fields, message);
  }

  return {
    decide(kind, ask) {
      const requestId = requestIds.next();
      if (!trust.trusts(ask.peer)) {
        warn(
          { requestId, peer: ask.peer, proxy: kind, trusted: trust.description },
          'decision asked by a peer that is not a trusted proxy; refused (set trustProxy to the proxy address)',
        );
        return json(403, requestId, { error: 'Decisions are answered to trusted proxies only.', requestId });
      }
      const original = originalRequest(kind, ask);
      if (!original.ok) {
        warn(
          { requestId, peer: ask.peer, proxy: kind, missing: original.missing },
          'decision ask without the original request',
        );
        return json(400, requestId, {
          error: `The proxy did not send ${original.missing}; see docs/decision-endpoint.md.`,
          requestId,
        });
      }
      const at = new Date();
      const started = performance.now();
      const snapshots = options.snapshots;
      if (snapshots === undefined || !snapshots.loaded) {
        const { status, body } = gatewayAnswer('not-ready', requestId);
        return json(status, requestId, JSON.parse(body) as object);
      }
      const headers: Record<string, HeaderValue> = { ...ask.headers };
      if (original.host === undefined) delete headers['host'];
      else headers['host'] = original.host;
      const outcome = runPipeline(
        snapshots.current,
        strategy,
        { method: original.method, target: original.target, headers, peer: ask.peer },
        options.review,
      );
      if (options.usage !== undefined && outcome.matched.length > 0) {
        options.usage.countMatched(outcome.matched, outcome.api, outcome.tenant, outcome.key, at.getTime());
      }
      const answer = answerFor(kind, outcome, requestId);
      record(outcome, answer.status, original.method, requestId, at, started);
      logDenial(logger, outcome, requestId, kind);
      return answer;
    },
  };

  function record(
    outcome: PipelineOutcome,
    status: number,
    method: string,
    requestId: string,
    at: Date,
    started: number,
  ): void {
    if (recorder === undefined) return;
    try {
      recorder.record(
        callRecord(outcome, {
          requestId,
          at,
          method,
          status,
          latencyMs: performance.now() - started,
          ...outcomeDecision(outcome),
        }),
      );
    } catch (e) {
      logger.error({ err: e, requestId }, 'recorder failed');
    }
  }
}

function answerFor(kind: ProxyKind, outcome: PipelineOutcome, requestId: string): DecisionAnswer {
  if (outcome.allow) {
    const headers: Record<string, string> = { 'x-request-id': requestId, 'cache-control': 'no-store' };
    if (outcome.key !== undefined) {
      headers[TENANT_HEADER] = outcome.key.tenantId;
      headers[KEY_HEADER] = outcome.key.id;
    }
    return { status: kind === 'nginx' ? 204 : 200, headers, body: undefined };
  }
  if (outcome.status === 401) {
    const { status, body } = gatewayAnswer('unauthenticated', requestId);
    const bearer = outcome.api?.authHeader === 'authorization';
    return {
      status,
      headers: { ...jsonHeaders(requestId), ...(bearer ? { 'www-authenticate': 'Bearer' } : {}) },
      body,
    };
  }
  if (outcome.status === 403 || kind === 'nginx') {
    return { status: 403, headers: jsonHeaders(requestId), body: JSON.stringify(denialBody(requestId)) };
  }
  const { status, body } = gatewayAnswer(
    outcome.status === 404 ? 'no-route' : badRequestAnswer(outcome.reason),
    requestId,
  );
  return { status, headers: jsonHeaders(requestId), body };
}

function json(status: number, requestId: string, body: object): DecisionAnswer {
  return { status, headers: jsonHeaders(requestId), body: JSON.stringify(body) };
}

function jsonHeaders(requestId: string): Record<string, string> {
  return { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-request-id': requestId };
}
