import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus metrics of one server process, served at the admin listener's `/metrics`. */
export interface ServerMetrics {
  readonly registry: Registry;
  /** Requests decided by the gateway, by outcome, stage and reason. */
  readonly decisions: Counter<'decision' | 'stage' | 'reason'>;
  /** Time from request to response head, in seconds, by outcome. */
  readonly latency: Histogram<'decision'>;
  /** The change version of the snapshot in force. */
  readonly snapshotVersion: Gauge;
  /** Requests that carried forwarding headers while no proxy is trusted (a misconfiguration sign). */
  readonly untrustedForwardingHeaders: Counter;
  /** Request-log and observed-address records dropped because the store could not keep up. */
  readonly recordsDropped: Counter<'kind'>;
}

/**
 * Creates the metrics on a fresh registry (so tests and several servers in one process do not share
 * counters), with Node's default process metrics.
 *
 * @example
 * const metrics = createServerMetrics();
 * metrics.decisions.inc({ decision: 'deny', stage: 'tenant-restriction', reason: 'tenant-ip-not-listed' });
 * await metrics.registry.metrics(); // Prometheus text
 */
export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ipgate_' });
  return {
    registry,
    decisions: new Counter({
      name: 'ipgate_decisions_total',
      help: 'Requests decided by the gateway, by decision, stage and reason.',
      labelNames: ['decision', 'stage', 'reason'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'ipgate_request_duration_seconds',
      help: 'Gateway latency from request to response head, in seconds.',
      labelNames: ['decision'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    snapshotVersion: new Gauge({
      name: 'ipgate_snapshot_version',
      help: 'Change version of the compiled rules snapshot in force on this node.',
      registers: [registry],
    }),
    untrustedForwardingHeaders: new Counter({
      name: 'ipgate_untrusted_forwarding_headers_total',
      help: 'Requests with X-Forwarded-For/Forwarded while no proxy is trusted; the headers were ignored.',
      registers: [registry],
    }),
    recordsDropped: new Counter({
      name: 'ipgate_records_dropped_total',
      help: 'Request-log and observed-address records dropped because the store could not keep up.',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
  };
}
