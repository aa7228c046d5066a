import cluster from 'node:cluster';
import { clientAddressStrategy, isIpGateError } from '@ipgate/core';
import { pino } from 'pino';
import { explainListenError } from '../config/listen-error.js';
import { clientAddressConfig } from '../config/load-settings.js';
import type { ServeSettings } from '../config/settings.js';
import { startGateway } from '../gateway/start-gateway.js';
import { tuneHeapForRules } from '../heap-tuning.js';
import { registerServerMetrics } from '../metrics/server-metrics.js';
import { createThreadedRecorder } from '../records/threaded-recorder.js';
import { startAutoReview } from '../review/start-review.js';
import { lastGoodPath } from '../snapshot/last-good-path.js';
import { createSnapshotEngine, type SnapshotEngine } from '../snapshot/snapshot-engine.js';
import { openNodeStore, storeLocation } from '../store/open-store.js';
import { startEntryUsage } from '../usage/entry-usage.js';
import { type FromWorker, isToWorker } from './cluster-messages.js';
import { reportWorkerMetrics } from './cluster-metrics.js';

/**
 * The body of a gateway worker process: its own store connection, rules engine (polling every
 * `syncIntervalMs` as a safety net), recorder (writing through a thread with a connection of its
 * own) and gateway on the shared proxy port. It refreshes when
 * the server process asks and acknowledges, and stops in order (drain, flush records, close the
 * store, exit 0) when the server process says `stop` or the worker itself gets SIGTERM.
 *
 * @example
 * // worker-main.ts, run by node:cluster in each worker:
 * await runWorker(JSON.parse(process.env.IPGATE_WORKER_SETTINGS ?? '{}'));
 */
export async function runWorker(settings: ServeSettings): Promise<void> {
  tuneHeapForRules();
  const workerId = cluster.worker?.id ?? 0;
  const logger = pino(
    { level: settings.logLevel, base: { service: 'ipgate', worker: workerId } },
    pino.destination(2),
  );
  const send = (message: FromWorker): void => {
    process.send?.(message);
  };
  const cleanups: (() => Promise<void> | void)[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (exitCode: number): Promise<void> => {
    stopping ??= (async () => {
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch (e) {
          logger.error({ err: e }, 'error while shutting down a gateway worker');
        }
      }
      logger.info({ pid: process.pid }, 'gateway worker stopped');
      process.exit(exitCode);
    })();
    return stopping;
  };

  // Registered before anything starts: a refresh asked for while the store is still opening is
  // answered after a load that began after the ask, so it too sees the change behind it.
  let engineReady!: (engine: SnapshotEngine) => void;
  const engine = new Promise<SnapshotEngine>((resolve) => {
    engineReady = resolve;
  });
  process.on('message', (message: unknown) => {
    if (!isToWorker(message)) return;
    if (message.ipgate === 'stop') {
      void stop(0);
      return;
    }
    const { id } = message;
    engine
      .then((e) => e.refresh())
      .then(
        () => send({ ipgate: 'refreshed', id }),
        (e: unknown) => send({ ipgate: 'refreshed', id, error: e instanceof Error ? e.message : String(e) }),
      );
  });
  // Ctrl-C in a terminal signals the whole process group; the server process stops the workers in
  // order (after its admin listener), so a worker waits for that instead of leaving on its own.
  process.on('SIGINT', () => {});
  // A SIGTERM sent to this worker alone: leave cleanly; the server process starts a replacement.
  process.on('SIGTERM', () => void stop(0));

  try {
    const store = await openNodeStore(settings, logger);
    cleanups.push(() => store.close());
    const copyPath = lastGoodPath(settings);
    // The server process keeps the node's copy up to date; a worker only reads it, when it starts
    // while the store cannot be reached.
    const snapshots = createSnapshotEngine({
      store,
      pollIntervalMs: settings.syncIntervalMs,
      logger,
      lastGood:
        copyPath === undefined ? undefined : { path: copyPath, storeLocation: storeLocation(settings) },
    });
    cleanups.push(() => snapshots.close());
    engineReady(snapshots);
    await snapshots.start();
    const watch = store.watchChanges?.((listen) => snapshots.refreshSoon(listen));
    if (watch !== undefined) cleanups.push(() => watch.close());

    // Store writes on a thread of their own: a synchronous SQLite batch write must not stop this
    // worker's event loop (and every request in flight on it) several times a second.
    const recorder = await createThreadedRecorder({
      store: { dataDir: settings.dataDir, databaseUrl: settings.databaseUrl },
      recorder: { maxBuffered: settings.recordBuffer, requestLog: settings.requestLog },
      logger,
    });
    cleanups.push(() => recorder.close());
    // Through the recorder's thread: a synchronous SQLite write must not stop this event loop.
    const entryUsage = startEntryUsage({
      enabled: settings.entryUsage,
      store: recorder,
      intervalMs: settings.usageFlushIntervalMs,
      logger,
    });
    cleanups.push(() => entryUsage.close());
    const usage = entryUsage.counter;
    const workerMetrics = registerServerMetrics({ engine: snapshots, recorder });
    reportWorkerMetrics(workerMetrics);
    // The `auto` mode's writes too: a batch's commit (the write lock, an fsync) on SQLite.
    const autoReview = startAutoReview({ store: recorder, engine: snapshots, settings, logger });
    // After the gateway has stopped: the trusted addresses still gathered are written, not dropped.
    cleanups.push(() => autoReview.writer.close());
    const gateway = await startGateway({
      engine: snapshots,
      clientAddress: clientAddressStrategy(clientAddressConfig(settings)),
      recorder,
      usage,
      host: settings.listen.host,
      port: settings.listen.port,
      logger,
      upstreamTimeoutMs: settings.upstreamTimeoutMs,
      metrics: workerMetrics,
      review: autoReview.review,
    });
    cleanups.push(() => gateway.close());
    logger.info(
      { pid: process.pid, gateway: gateway.url, snapshotVersion: snapshots.version },
      'gateway worker listening',
    );
    send({ ipgate: 'listening', url: gateway.url });
  } catch (caught) {
    // A taken or privileged port is a setting to change, said the same way as without workers.
    const e = explainListenError(caught, 'listen', '--listen', settings.listen);
    logger.error({ err: e }, 'gateway worker could not start');
    send({
      ipgate: 'failed',
      message: e instanceof Error ? e.message : String(e),
      ...(isIpGateError(e)
        ? {
            error: {
              code: e.code,
              ...(e.field === undefined ? {} : { field: e.field }),
              ...(e.hint === undefined ? {} : { hint: e.hint }),
            },
          }
        : {}),
    });
    await stop(1);
  }
}
