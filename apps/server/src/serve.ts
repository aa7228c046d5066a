/**
 * `ipgate serve`: puts the parts together — store, rules engine, recorder, gateway, management API —
 * and takes them apart again in the right order on SIGTERM.
 */
import { fileURLToPath } from 'node:url';
import { clientAddressStrategy } from '@ipgate/core';
import { pino } from 'pino';
import { buildAdminApp } from './admin/app.js';
import { clusterMetricsRegistry } from './cluster/cluster-metrics.js';
import { clusterRulesEngine } from './cluster/cluster-rules-engine.js';
import { startWorkerPool } from './cluster/start-worker-pool.js';
import { resolveWorkerCount } from './cluster/worker-count.js';
import { explainListenError } from './config/listen-error.js';
import { clientAddressConfig } from './config/load-settings.js';
import { formatHostPort } from './config/setting-parsers.js';
import type { ServeSettings } from './config/settings.js';
import { bootstrapDemoUser, DEMO_USER_NAME } from './console-users.js';
import { demoBannerLines } from './demo/demo-banner.js';
import { type DemoUpstream, startDemoUpstream } from './demo/demo-upstream.js';
import { setUpDemo } from './demo/set-up-demo.js';
import { startGateway } from './gateway/start-gateway.js';
import { tuneHeapForRules } from './heap-tuning.js';
import { registerServerMetrics } from './metrics/server-metrics.js';
import { type EmailTransport, outboxTransport, smtpTransport } from './notify/email-transport.js';
import { startNotificationSender } from './notify/notification-sender.js';
import { webhookTransport } from './notify/webhook-transport.js';
import { bootstrapOwnerToken } from './owner-token.js';
import { createRecorder } from './records/recorder.js';
import { createThreadedRecorder } from './records/threaded-recorder.js';
import type { NetworkFacts } from './review/network-facts.js';
import { startAutoReview } from './review/start-review.js';
import { lastGoodPath } from './snapshot/last-good-path.js';
import { createLastGoodWriter } from './snapshot/last-good-writer.js';
import type { RulesEngine } from './snapshot/rules-engine.js';
import { createSnapshotEngine } from './snapshot/snapshot-engine.js';
import { describeStore, openNodeStore, openNodeStoreNow, storeLocation } from './store/open-store.js';
import type { ReachableStore } from './store/reachable-store.js';
import { startEntryUsage } from './usage/entry-usage.js';

/** Where the start-up banner goes (the CLI's standard output). Logs go to standard error as JSON. */
export interface ServeIo {
  out(line: string): void;
  flush(): Promise<void>;
}

/** A started server. */
export interface RunningServer {
  readonly gatewayUrl: string;
  readonly adminUrl: string;
  /** Set when the demo upstream runs. */
  readonly demoUpstreamUrl: string | undefined;
  /** The owner token made on the first start of an empty store; undefined on later starts. */
  readonly ownerToken: string | undefined;
  /** The demo key's secret, on the start that created the demo. */
  readonly demoKeySecret: string | undefined;
  /**
   * The change version of this process's snapshot engine: read in-process, it tells when a change
   * reached the node without a request's round trip in the measure. With `workers` above 1 the
   * gateway runs in worker processes, each with its own engine, which this does not read.
   */
  rulesVersion(): number;
  /** Stops accepting, drains requests in flight, writes buffered records, closes the store. Idempotent. */
  close(): Promise<void>;
}

const RETENTION_EVERY_MS = 60 * 60 * 1000;

/** Parts a caller may give instead of the built-in ones (tests). */
export interface ServeParts {
  /** Network facts instead of the offline data: tests give 127.0.0.0/8 addresses the facts they need. */
  readonly networkFacts?: NetworkFacts | undefined;
  /** The `auto` writer's flush period instead of its default (tests wait less for an entry). */
  readonly autoFlushMs?: number | undefined;
  /**
   * Stops the start when aborted (SIGTERM while a large store loads): what has started is closed
   * in order and `startServer` rejects with {@link StartStopped}. No effect once it has resolved.
   */
  readonly signal?: AbortSignal | undefined;
}

/** What `startServer` rejects with when its `signal` stopped the start. */
export class StartStopped extends Error {
  constructor(options?: { cause?: unknown }) {
    super('ipgate was asked to stop while it was starting', options);
    this.name = 'StartStopped';
  }
}

/** The built console in this repository's layout (apps/server/dist → apps/console/dist). */
const CONSOLE_DIR = fileURLToPath(new URL('../../console/dist/', import.meta.url));

/**
 * Starts every part of the server with validated settings, prints the banner, and returns.
 *
 * @example
 * const server = await startServer(loadSettings({ flags: { listen: '127.0.0.1:0', adminListen: '127.0.0.1:0' } }), io);
 * await fetch(`${server.adminUrl}/healthz`);
 * await server.close();
 */
export async function startServer(
  settings: ServeSettings,
  io: ServeIo,
  parts: ServeParts = {},
): Promise<RunningServer> {
  const logger = pino({ level: settings.logLevel, base: { service: 'ipgate' } }, pino.destination(2));
  const clientAddress = clientAddressStrategy(clientAddressConfig(settings));
  const cleanups: (() => Promise<void> | void)[] = [];
  const { signal } = parts;
  /** Called after each step of the start: the next one is not begun once a stop is asked for. */
  const unlessStopped = (): void => {
    if (signal?.aborted === true) throw new StartStopped();
  };
  /** Parts that stop a long step of their own when the start is stopped (the rules load, workers). */
  const onStop = new Set<() => void>();
  const stopStarting = (): void => {
    logger.info({}, 'asked to stop while starting; stopping what has started');
    for (const stop of onStop) stop();
  };
  signal?.addEventListener('abort', stopStarting, { once: true });
  const closeAll = async (): Promise<void> => {
    // Reverse order of start: listeners first (no new work), then writers, then the store.
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (e) {
        logger.error({ err: e }, 'error while shutting down');
      }
    }
  };
  try {
    // The demo writes to the store at start, so it needs the store; a node otherwise starts without
    // it (serving its last good rules from disk) and opens it when it can.
    const store: ReachableStore = settings.demo
      ? await openNodeStoreNow(settings)
      : await openNodeStore(settings, logger);
    cleanups.push(() => store.close());
    unlessStopped();

    let demoUpstream: DemoUpstream | undefined;
    let demoKeySecret: string | undefined;
    let demo: Awaited<ReturnType<typeof setUpDemo>>;
    if (settings.demo) {
      demoUpstream = await startDemoUpstream({ port: settings.demoUpstreamPort }).catch((e: unknown) => {
        throw explainListenError(e, 'demoUpstreamPort', '--demo-upstream-port', {
          host: '127.0.0.1',
          port: settings.demoUpstreamPort,
        });
      });
      cleanups.push(() => demoUpstream?.close());
      demo = await setUpDemo(store, { upstreamUrl: demoUpstream.url });
      demoKeySecret = demo?.keySecret;
      unlessStopped();
    }

    const copyPath = lastGoodPath(settings);
    const location = storeLocation(settings);
    // One writer per node: this process. Gateway workers only read the copy, when they start.
    const writer =
      copyPath === undefined
        ? undefined
        : createLastGoodWriter({
            path: copyPath,
            storeLocation: location,
            delayMs: settings.lastGoodWriteDelayMs,
            logger,
          });
    if (writer !== undefined) cleanups.push(() => writer.close());
    const engine = createSnapshotEngine({
      store,
      pollIntervalMs: settings.syncIntervalMs,
      logger,
      lastGood: copyPath === undefined ? undefined : { path: copyPath, storeLocation: location, writer },
    });
    cleanups.push(() => engine.close());
    // A large store takes seconds to load: a stop asked for meanwhile ends the load.
    const closeEngine = (): void => engine.close();
    onStop.add(closeEngine);
    await engine.start();
    onStop.delete(closeEngine);
    unlessStopped();
    // Other nodes' changes: at once by notification where the store offers it, by polling anyway.
    const watch = store.watchChanges?.((listen) => engine.refreshSoon(listen));
    if (watch !== undefined) cleanups.push(() => watch.close());

    // On SQLite, request records are written on a thread of their own with its own connection, as in
    // gateway workers: the driver is synchronous, and while another process holds the file's write
    // lock (another node, a worker, a bulk import) a batch written here would stop this event loop —
    // every request in flight — until it got the lock, for up to the busy timeout.
    const threaded =
      settings.databaseUrl === undefined
        ? await createThreadedRecorder({
            store: { dataDir: settings.dataDir, databaseUrl: settings.databaseUrl },
            recorder: { maxBuffered: settings.recordBuffer, requestLog: settings.requestLog },
            logger,
          })
        : undefined;
    const recorder =
      threaded ??
      createRecorder({
        store,
        logger,
        maxBuffered: settings.recordBuffer,
        requestLog: settings.requestLog,
      });
    cleanups.push(() => recorder.close());
    unlessStopped();
    const { review, writer: autoWriter } = startAutoReview({
      // The `auto` mode's writes through the recorder's thread where there is one, for the same
      // reason: a batch's commit waits for the write lock and an fsync.
      store: threaded ?? store,
      engine,
      settings,
      networkFacts: parts.networkFacts,
      flushMs: parts.autoFlushMs,
      logger,
    });
    // After the gateway has stopped: the trusted addresses still gathered are written, not dropped.
    cleanups.push(() => autoWriter.close());
    const entryUsage = startEntryUsage({
      enabled: settings.entryUsage,
      // Through the recorder's thread where there is one, for the same reason.
      store: threaded ?? store,
      intervalMs: settings.usageFlushIntervalMs,
      logger,
    });
    cleanups.push(() => entryUsage.close());
    const usage = entryUsage.counter;

    const workers = resolveWorkerCount(settings.workers);
    // With workers, the gateway's metrics live in the workers: /metrics gathers them over IPC.
    const metrics = workers > 1 ? clusterMetricsRegistry() : registerServerMetrics({ engine, recorder });
    let gateway: { readonly url: string; close(): Promise<void> };
    // The engine the management API refreshes after each write: with workers, every worker's too.
    let adminEngine: RulesEngine = engine;
    if (workers > 1) {
      // Worker processes run the gateway (each with its own store, engine and recorder); this
      // process keeps the admin listener. The recorder and engine above serve /metrics and check.
      const pool = await startWorkerPool({ settings, count: workers, logger, signal });
      gateway = pool;
      adminEngine = clusterRulesEngine(engine, pool);
    } else {
      gateway = await startGateway({
        engine,
        clientAddress,
        recorder,
        usage,
        host: settings.listen.host,
        port: settings.listen.port,
        logger,
        upstreamTimeoutMs: settings.upstreamTimeoutMs,
        metrics,
        review,
      }).catch((e: unknown) => {
        throw explainListenError(e, 'listen', '--listen', settings.listen);
      });
    }
    cleanups.push(() => gateway.close());
    unlessStopped();

    // Owner notifications: sent in the background from the store's queue, never on the request path
    // (the management API's test send uses the same email transport).
    const email: EmailTransport =
      settings.smtpUrl === undefined
        ? outboxTransport(store.notifications, logger)
        : smtpTransport({
            url: settings.smtpUrl,
            from: settings.smtpFrom,
            requireTls: settings.smtpRequireTls,
            tlsRejectUnauthorized: !settings.smtpTlsInsecure,
          });

    const admin = await buildAdminApp({
      store,
      engine: adminEngine,
      // The live rules (GET /v1/rules/…) follow this process's own engine, also with workers.
      snapshots: engine,
      // The decision endpoint trusts the same proxies as the gateway and records like it.
      decision: { clientAddress: clientAddressConfig(settings), recorder, usage },
      logger: logger.child({ listener: 'admin' }),
      metrics,
      ready: () => engine.ready,
      review: {
        publicUrl: () => publicUrl,
        requireSignIn: settings.reviewRequireSignIn,
        webhookAllowPrivate: settings.webhookAllowPrivate,
      },
      autoReview: review,
      channelTest: { email },
      rulesStatus: () => engine.status,
      consoleDir: CONSOLE_DIR,
    });
    await admin
      .listen({ host: settings.adminListen.host, port: settings.adminListen.port })
      .catch((e: unknown) => {
        throw explainListenError(e, 'adminListen', '--admin-listen', settings.adminListen);
      });
    cleanups.push(() => admin.close());
    unlessStopped();
    const adminAddress = admin.server.address();
    const adminUrl =
      typeof adminAddress === 'object' && adminAddress !== null
        ? `http://${formatHostPort({ host: adminAddress.address, port: adminAddress.port })}`
        : `http://${formatHostPort(settings.adminListen)}`;
    const publicUrl = settings.publicUrl ?? adminUrl;

    const sender = startNotificationSender({
      store,
      email,
      webhooks: webhookTransport({ allowPrivate: settings.webhookAllowPrivate }),
      logger: logger.child({ part: 'notifications' }),
      publicUrl,
      linkTtlMs: settings.reviewLinkTtlMs,
      intervalMs: settings.notifyIntervalMs,
      retry: { baseMs: settings.notifyRetryBaseMs, maxMs: 3_600_000, maxAttempts: 10 },
      digestThreshold: settings.notifyDigestThreshold,
      leaseMs: settings.notifyLeaseMs,
    });
    cleanups.push(() => sender.close());

    const retention = setInterval(() => {
      store
        .pruneRequests(new Date(Date.now() - settings.requestLogRetentionMs))
        .then((n) => n > 0 && logger.info({ deleted: n }, 'request log retention'))
        .catch((e: unknown) => logger.warn({ err: e }, 'request log retention failed; will retry'));
      store
        .pruneObservedIps(new Date(Date.now() - settings.observedRetentionMs))
        .then((n) => n > 0 && logger.info({ deleted: n }, 'observed address retention'))
        .catch((e: unknown) => logger.warn({ err: e }, 'observed address retention failed; will retry'));
      store
        .pruneNotifications(new Date(Date.now() - settings.notificationRetentionMs))
        .then((n) => {
          if (Object.values(n).some((c) => c > 0)) logger.info({ deleted: n }, 'notification retention');
        })
        .catch((e: unknown) => logger.warn({ err: e }, 'notification retention failed; will retry'));
      // Expired console sessions are refused when presented; this only keeps the table small.
      store
        .pruneConsoleSessions(new Date(), new Date(Date.now() - 24 * 3600_000))
        .catch((e: unknown) => logger.warn({ err: e }, 'console session cleanup failed; will retry'));
    }, RETENTION_EVERY_MS);
    retention.unref();
    cleanups.push(() => clearInterval(retention));

    // Only now, with every listener up: a start that failed before this point made no token that
    // nobody saw, so the next start that succeeds still finds no principals and prints one.
    const ownerToken = store.opened ? await bootstrapOwnerToken(store) : undefined;
    if (!store.opened) {
      // A first start against a store that is not there yet: the token is made (and printed) once it is.
      void store.whenOpen.then(async () => {
        const token = await bootstrapOwnerToken(store).catch((e: unknown) => {
          logger.error({ err: e }, 'could not make the owner token');
          return undefined;
        });
        if (token === undefined) return;
        io.out('Owner admin token (shown this once; only its hash is stored — keep it):');
        io.out(`  ${token}`);
        await io.flush();
      });
    }
    // The demo signs in to the console as its owner: the password is printed on the start that makes it.
    const demoUser = settings.demo && store.opened ? await bootstrapDemoUser(store) : undefined;
    unlessStopped();
    signal?.removeEventListener('abort', stopStarting);
    printBanner(io, {
      consoleUrl: `${adminUrl}/console/`,
      demoUser: settings.demo ? { password: demoUser?.generatedPassword } : undefined,
      gatewayUrl: gateway.url,
      adminUrl,
      ownerToken,
      store: describeStore(settings),
      demo:
        demo === undefined
          ? undefined
          : await demoBannerLines({ store, engine, demo, gatewayUrl: gateway.url, adminUrl }),
    });
    await io.flush();
    logger.info(
      {
        gateway: gateway.url,
        admin: adminUrl,
        snapshotVersion: engine.version,
        rules: engine.status,
        workers,
        // Whether this start printed an owner token: the log then tells when one was handed out.
        ownerTokenShown: ownerToken !== undefined,
      },
      'ipgate started',
    );

    let closing: Promise<void> | undefined;
    return {
      gatewayUrl: gateway.url,
      adminUrl,
      demoUpstreamUrl: demoUpstream?.url,
      ownerToken,
      demoKeySecret,
      rulesVersion: () => engine.version,
      close: () => {
        closing ??= closeAll().then(() => logger.info({}, 'ipgate stopped'));
        return closing;
      },
    };
  } catch (e) {
    signal?.removeEventListener('abort', stopStarting);
    await closeAll();
    // Whatever a step threw once the stop was asked for (a load cut short, workers told to go) is
    // the stop itself, not a failure to report.
    if (signal?.aborted === true) {
      logger.info({}, 'ipgate stopped while starting');
      throw e instanceof StartStopped ? e : new StartStopped({ cause: e });
    }
    throw e;
  }
}

/**
 * Starts the server and runs until SIGTERM or SIGINT, then shuts down gracefully and resolves.
 *
 * @example
 * await runServer(loadSettings({ env: process.env }), { out: console.log, flush: async () => {} });
 */
export async function runServer(settings: ServeSettings, io: ServeIo): Promise<void> {
  tuneHeapForRules();
  // Listen for the signals before starting: the banner is printed from within startServer, and a
  // supervisor (or a test) that stops the server as soon as it reads it must get a graceful stop,
  // not the default action of a signal nobody handles yet.
  // A signal during the start stops the start itself (a large store takes seconds to load); a second
  // one meets no handler and ends the process at once.
  const stopping = new AbortController();
  const stop = (): void => {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    stopping.abort();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  let server: RunningServer;
  try {
    server = await startServer(settings, io, { signal: stopping.signal });
  } catch (e) {
    stop();
    if (e instanceof StartStopped) return;
    throw e;
  }
  if (!stopping.signal.aborted)
    await new Promise((done) => stopping.signal.addEventListener('abort', done, { once: true }));
  await server.close();
}

function printBanner(
  io: ServeIo,
  b: {
    gatewayUrl: string;
    adminUrl: string;
    consoleUrl: string;
    /** With the demo: its console user's password on the start that made it. */
    demoUser: { password: string | undefined } | undefined;
    ownerToken: string | undefined;
    store: string;
    /** The demo's lines, when the demo runs. */
    demo: readonly string[] | undefined;
  },
): void {
  io.out(`ipgate is running (${b.store})`);
  io.out(`  gateway (proxy):  ${b.gatewayUrl}`);
  io.out(`  admin API:        ${b.adminUrl}/v1   docs: ${b.adminUrl}/docs   metrics: ${b.adminUrl}/metrics`);
  io.out(`  web console:      ${b.consoleUrl}`);
  if (b.ownerToken !== undefined) {
    io.out('');
    io.out('Owner admin token (shown this once; only its hash is stored — keep it):');
    io.out(`  ${b.ownerToken}`);
    io.out(`  curl -H 'Authorization: Bearer ${b.ownerToken}' ${b.adminUrl}/v1/tenants`);
  }
  if (b.demoUser !== undefined) {
    io.out('');
    if (b.demoUser.password !== undefined) {
      io.out('Web console user (the password is shown this once; only its Argon2id hash is stored):');
      io.out(`  open ${b.consoleUrl} and sign in as ${DEMO_USER_NAME}, password: ${b.demoUser.password}`);
    } else {
      io.out(
        `Web console: open ${b.consoleUrl} and sign in as ${DEMO_USER_NAME} (password printed at first start;`,
      );
      io.out(`  a new one: npx ipgate users reset-password ${DEMO_USER_NAME}).`);
    }
  }
  if (b.demo !== undefined) {
    io.out('');
    for (const line of b.demo) io.out(line);
  }
}
