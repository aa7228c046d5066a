import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { RecorderStats } from '../records/recorder.js';
import type { SnapshotEngine } from '../snapshot/snapshot-engine.js';

/**
 * The process-wide part of `/metrics`: Node's process metrics, the snapshot in force and the
 * recorder's backlog. The gateway registers its request counters on the same registry.
 * A fresh registry each time, so tests and several servers in one process do not share counters.
 *
 * @example
 * const registry = registerServerMetrics({ engine, recorder });
 * const gateway = await startGateway({ ..., metrics: registry });
 * await registry.metrics(); // Prometheus text
 */
export function registerServerMetrics(parts: {
  readonly engine: Pick<SnapshotEngine, 'version' | 'ready'>;
  readonly recorder: { readonly stats: RecorderStats };
}): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ipgate_' });
  const { engine, recorder } = parts;
  // Gauges read at scrape time, so nothing on the request path updates them.
  new Gauge({
    name: 'ipgate_snapshot_version',
    help: 'Change version of the compiled rules snapshot in force on this node.',
    registers: [registry],
    // Across gateway workers: the oldest snapshot any of them serves.
    aggregator: 'min',
    collect() {
      this.set(engine.version);
    },
  });
  new Gauge({
    name: 'ipgate_store_ready',
    help: '1 when the last read of the store succeeded, 0 while serving the last good snapshot.',
    registers: [registry],
    aggregator: 'min',
    collect() {
      this.set(engine.ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ipgate_records_buffered',
    help: 'Request records and observed addresses waiting to be written to the store.',
    registers: [registry],
    collect() {
      this.set(recorder.stats.buffered);
    },
  });
  // A counter, not a gauge: it only grows, and alerts take its rate().
  let droppedSeen = 0;
  new Counter({
    name: 'ipgate_records_dropped_total',
    help: 'Request records and observed addresses dropped because the store could not keep up.',
    registers: [registry],
    collect() {
      const dropped = recorder.stats.dropped;
      if (dropped > droppedSeen) this.inc(dropped - droppedSeen);
      droppedSeen = Math.max(droppedSeen, dropped);
    },
  });
  let rejectedSeen = 0;
  new Counter({
    name: 'ipgate_records_rejected_total',
    help: 'Request records and observed addresses left out because the store refuses them (each is logged).',
    registers: [registry],
    collect() {
      const rejected = recorder.stats.rejected;
      if (rejected > rejectedSeen) this.inc(rejected - rejectedSeen);
      rejectedSeen = Math.max(rejectedSeen, rejected);
    },
  });
  return registry;
}
