/**
 * The management API (docs/architecture/management.md): one Fastify app with TypeBox schemas, bearer-token
 * auth, the uniform error body, OpenAPI at `/openapi.json`, docs at `/docs` and the probes.
 */

import { registerAjvFormats } from '@fastify/type-provider-typebox';
import { type ClientAddressConfig, IpGateError } from '@ipgate/core';
import Fastify, { type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import { Counter, Registry } from 'prom-client';
import { channelTester, TEST_TIMEOUT_MS } from '../notify/channel-tester.js';
import { type EmailTransport, outboxTransport } from '../notify/email-transport.js';
import { webhookTransport } from '../notify/webhook-transport.js';
import { createDecider, type Decider } from '../proxy-decision/decider.js';
import { answerDecision, isEnvoyAsk, registerDecisionRoutes } from '../proxy-decision/decision-routes.js';
import type { Recorder } from '../records/recorder.js';
import type { AutoReview } from '../review/auto-review.js';
import { createSimulator } from '../simulation/simulator.js';
import type { RulesEngine } from '../snapshot/rules-engine.js';
import type { RulesStatus, SnapshotEngine } from '../snapshot/snapshot-engine.js';
import type { Store } from '../store/store.js';
import type { UsageCounter } from '../usage/usage-counter.js';
import { installAuthentication } from './auth/authenticate.js';
import { FailureBackoff, type FailureBackoffOptions } from './auth/failure-backoff.js';
import { registerConsoleAssets } from './console/console-assets.js';
import { type ConsoleSessionOptions, sessionPolicy } from './console/session-policy.js';
import { acceptEmptyJsonBodies } from './http/empty-json-body.js';
import { errorBody, installErrorHandlers } from './http/error-handler.js';
import { type LazyCompilers, lazyCompilers } from './lazy-compile.js';
import { listEntryNames } from './lists/entry-names.js';
import { createRulesPublisher, type SnapshotSource } from './published/rules-publisher.js';
import { registerReviewActionRoutes } from './review-actions/action-routes.js';
import { registerApiRoutes } from './routes/apis.js';
import { registerAuditRoutes } from './routes/audit-events.js';
import { registerCheckRoutes } from './routes/check.js';
import type { AdminApp } from './routes/context.js';
import { registerDocs } from './routes/docs.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerIpRestrictionRoutes } from './routes/ip-restriction.js';
import { registerKeyRestrictionRoutes } from './routes/key-restrictions.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerNotificationRoutes } from './routes/notifications.js';
import { registerObservedIpRoutes } from './routes/observed-ips.js';
import { registerPublishedRulesRoutes } from './routes/published-rules.js';
import { registerRequestRoutes } from './routes/requests.js';
import { registerSessionRoutes } from './routes/session.js';
import { registerSimulationRoutes } from './routes/simulations.js';
import { registerTenantIpEntryRoutes } from './routes/tenant-ip-entries.js';
import { registerTenantRoutes } from './routes/tenants.js';
import { registerTokenRoutes } from './routes/tokens.js';

/** What the management app is built from. */
export interface AdminAppOptions {
  readonly store: Store;
  readonly engine: RulesEngine;
  /** A pino logger (or `false`/absent for none). */
  readonly logger?: FastifyBaseLogger | undefined;
  /** Where `/metrics` reads from; a new registry when absent. */
  readonly metrics?: Registry | undefined;
  /** Readiness for `/readyz`; default: the store answers. */
  readonly ready?: (() => Promise<boolean> | boolean) | undefined;
  /** Where the rules in force came from, shown by `/readyz` (and why it is not ready). */
  readonly rulesStatus?: (() => RulesStatus) | undefined;
  /**
   * The snapshot engine whose rules `GET /v1/rules/…` publishes and whose swaps wake long-polls.
   * Default: `engine` when it is a snapshot engine (with workers, pass the server process's own).
   */
  readonly snapshots?: (SnapshotSource & Pick<SnapshotEngine, 'loaded'>) | undefined;
  /**
   * The decision endpoint's settings (`/v1/decide/…`): the server's client-address settings, which
   * also say which proxies may ask, and where decided requests are recorded. Default: nobody may ask.
   */
  readonly decision?:
    | {
        readonly clientAddress: ClientAddressConfig;
        readonly recorder?: Pick<Recorder, 'record'> | undefined;
        /** Counts the list entries decisions matched; none when entry usage is off. */
        readonly usage?: UsageCounter | undefined;
      }
    | undefined;
  /** The built web console to serve at /console/ (docs/architecture/console.md#serving); none when absent. */
  readonly consoleDir?: string | undefined;
  /** Console session lifetimes (docs/architecture/console.md#sessions). */
  readonly consoleSessions?: ConsoleSessionOptions | undefined;
  /**
   * Notifications and the one-click action pages: where links point (default: this app's own
   * address as it listens), whether the two weakening actions need an admin token on the form, and
   * whether webhook URLs may name private addresses.
   */
  readonly review?:
    | {
        readonly publicUrl?: (() => string) | undefined;
        readonly requireSignIn?: boolean | undefined;
        readonly webhookAllowPrivate?: boolean | undefined;
      }
    | undefined;
  /**
   * The test send of a channel (`POST …/notification-channels/{channelId}/test`): the email transport
   * the notification sender uses (default: the outbox), the test's deadline (default 10 s) and how
   * often one channel may be tested (default every 10 s).
   */
  readonly channelTest?:
    | {
        readonly email?: EmailTransport | undefined;
        readonly timeoutMs?: number | undefined;
        readonly everyMs?: number | undefined;
        readonly now?: (() => number) | undefined;
      }
    | undefined;
  /** The `auto` mode's assessment of this process: the decision endpoint uses it, the re-assess route asks it. */
  readonly autoReview?: AutoReview | undefined;
  /** How repeated authentication failures are slowed down. */
  readonly authBackoff?: (FailureBackoffOptions & { sleep?: (ms: number) => Promise<void> }) | undefined;
  /** The schema compilers (each compiles on a route's first use); a test passes its own to compile all. */
  readonly compilers?: LazyCompilers | undefined;
}

let formatsRegistered = false;

/**
 * Builds the management app; the caller listens.
 *
 * @example
 * const store = await openSqliteStore({ path: 'ipgate.db' });
 * const engine = await createSnapshotEngine({ store });
 * const app = await buildAdminApp({ store, engine });
 * await app.listen({ host: '127.0.0.1', port: 8081 });
 */
export async function buildAdminApp(options: AdminAppOptions): Promise<AdminApp> {
  if (!formatsRegistered) {
    // TypeBox's format registry is global; ajv-formats gives it date-time and friends once.
    registerAjvFormats();
    formatsRegistered = true;
  }
  const { store, engine } = options;
  // Set below, once the snapshots exist; the router's bad-URL answer needs it for Envoy's checks.
  let decider: Decider | undefined;
  const compilers = options.compilers ?? lazyCompilers();
  const app: AdminApp = Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    // Validation errors are reported one at a time, the most useful first (see validation-error.ts).
    ajv: { customOptions: { allErrors: false } },
    // Serializers compiled on a route's first use, not while starting (see lazy-compile.ts).
    schemaController: { compilersFactory: { buildSerializer: compilers.buildSerializer } },
    return503OnClosing: true,
    frameworkErrors: (error, request, reply) => {
      // Fastify's generic request and reply; the plain ones are all this needs.
      const plain = {
        request: request as unknown as FastifyRequest,
        reply: reply as unknown as FastifyReply,
      };
      if (error.code === 'FST_ERR_BAD_URL' && decider !== undefined && isEnvoyAsk(request.raw.url)) {
        return answerDecision(decider, 'envoy', plain.request, plain.reply);
      }
      if (error.code !== 'FST_ERR_BAD_URL') return plain.reply.code(error.statusCode ?? 400).send(error);
      const bad = new IpGateError(
        'IPG_VALIDATION_FAILED',
        'The URL has a percent-escape that is not UTF-8.',
        {
          hint: 'Percent-encode path text as UTF-8 (%C3%A9 for é).',
        },
      );
      return plain.reply.code(400).type('application/json; charset=utf-8').send(errorBody(bad));
    },
  })
    .setValidatorCompiler(compilers.validatorCompiler)
    .withTypeProvider();

  const registry = options.metrics ?? new Registry();
  countRequests(app, registry);
  installErrorHandlers(app);
  acceptEmptyJsonBodies(app);
  const sleep = options.authBackoff?.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const backoff = new FailureBackoff(options.authBackoff);
  const sessions = sessionPolicy(options.consoleSessions);
  installAuthentication(app, { store, backoff, sleep, sessions });
  await registerDocs(app);

  // Simulations decide recorded traffic with the rules this process enforces.
  const rulesInForce = options.snapshots ?? (isSnapshotSource(engine) ? engine : undefined);
  const simulator =
    rulesInForce === undefined ? undefined : createSimulator(store, () => rulesInForce.current);
  const deps = { store, engine, simulator, autoReview: options.autoReview };
  registerSessionRoutes(app, { ...deps, sessions, backoff, sleep });
  if (options.consoleDir !== undefined) registerConsoleAssets(app, options.consoleDir);
  registerTenantRoutes(app, deps);
  registerIpRestrictionRoutes(app, deps);
  registerTenantIpEntryRoutes(app, deps);
  registerKeyRoutes(app, deps);
  registerKeyRestrictionRoutes(app, deps);
  registerApiRoutes(app, deps);
  registerObservedIpRoutes(app, deps);
  registerCheckRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerRequestRoutes(app, deps);
  registerTokenRoutes(app, deps);
  const webhookAllowPrivate = options.review?.webhookAllowPrivate ?? false;
  const timeoutMs = options.channelTest?.timeoutMs ?? TEST_TIMEOUT_MS;
  const tester = channelTester({
    store,
    email: options.channelTest?.email ?? outboxTransport(store.notifications, app.log),
    // Its own transport, so the test's short timeout does not cut the background sender's short.
    webhooks: webhookTransport({ allowPrivate: webhookAllowPrivate, timeoutMs }),
    timeoutMs,
    everyMs: options.channelTest?.everyMs,
    now: options.channelTest?.now,
  });
  app.addHook('onClose', async () => tester.close());
  registerNotificationRoutes(app, deps, { webhookAllowPrivate, tester });
  registerReviewActionRoutes(app, {
    ...deps,
    publicUrl: options.review?.publicUrl ?? (() => listeningUrl(app)),
    requireSignIn: options.review?.requireSignIn ?? false,
  });
  const snapshots = options.snapshots ?? (isSnapshotSource(engine) ? engine : undefined);
  if (simulator !== undefined) registerSimulationRoutes(app, { simulator });
  if (snapshots !== undefined) {
    const publisher = createRulesPublisher(snapshots, {
      names: (scope) => listEntryNames(store, scope),
      logger: app.log,
    });
    // Long-polls would hold close() for up to a minute: answer them 304 first.
    app.addHook('preClose', async () => publisher.close());
    registerPublishedRulesRoutes(app, { publisher });
  }
  decider = createDecider({
    snapshots,
    clientAddress: options.decision?.clientAddress ?? { mode: 'socket' },
    recorder: options.decision?.recorder,
    usage: options.decision?.usage,
    logger: app.log,
    review: options.autoReview,
  });
  registerDecisionRoutes(app, { decider });
  registerHealthRoutes(app, {
    registry,
    rulesStatus: options.rulesStatus,
    ready:
      options.ready ??
      (async () => {
        await store.currentVersion();
        return true;
      }),
  });
  return app;
}

/** `http://host:port` of the app as it listens (the default public URL of the action pages). */
function listeningUrl(app: AdminApp): string {
  const a = app.server.address();
  if (typeof a !== 'object' || a === null) return 'http://127.0.0.1';
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}

function isSnapshotSource(
  engine: RulesEngine,
): engine is RulesEngine & SnapshotSource & Pick<SnapshotEngine, 'loaded'> {
  return 'onSwap' in engine && 'current' in engine && 'loaded' in engine;
}

/** `ipgate_admin_requests_total` by method, route and status; reused when the registry has it already. */
function countRequests(app: AdminApp, registry: Registry): void {
  const name = 'ipgate_admin_requests_total';
  const counter =
    (registry.getSingleMetric(name) as Counter<'method' | 'route' | 'status'> | undefined) ??
    new Counter({
      name,
      help: 'Management API requests by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
  app.addHook('onResponse', async (request, reply) => {
    counter.inc({
      method: request.method,
      route: request.routeOptions.url ?? 'unknown',
      status: String(reply.statusCode),
    });
  });
}
