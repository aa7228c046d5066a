import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { RecorderStats } from '../records/recorder.js';
import type { RulesStatus, SnapshotEngine } from '../snapshot/snapshot-engine.js';

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
  readonly engine: Pick<SnapshotEngine, 'version' | 'ready'> & Partial<Pick<SnapshotEngine, 'status'>>;
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
  const status = engine.status === undefined ? undefined : () => engine.status as RulesStatus;
  if (status !== undefined) {
    new Gauge({
      name: 'ipgate_rules_age_seconds',
      help: 'Seconds since the rules in force were last known to be the store’s: small while the store answers, growing while it does not (from the copy’s writing time when serving the last good copy on disk). -1 when no rules are loaded.',
      registers: [registry],
      // Across gateway workers: the oldest rules any of them serves.
      aggregator: 'max',
      collect() {
        this.set(status().ageSeconds ?? -1);
      },
    });
    new Gauge({
      name: 'ipgate_rules_source',
      help: 'Where the rules in force came from: 1 for the one source in force (store, last-good-copy, none), 0 for the others.',
      labelNames: ['source'],
      registers: [registry],
      aggregator: 'max',
      collect() {
        const source = status().source;
        for (const s of ['store', 'last-good-copy', 'none'] as const)
          this.set({ source: s }, s === source ? 1 : 0);
      },
    });
  }
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
