import { AggregatorRegistry, Registry } from 'prom-client';

/**
 * `/metrics` of a server with gateway workers: the primary's own metrics (the management API's)
 * followed by the workers' metrics summed over the workers (prom-client's cluster aggregation, over
 * the same IPC channel the refresh messages use; each metric says how it aggregates: counters and
 * histograms add up, the snapshot version takes the oldest worker's).
 *
 * @example
 * const registry = clusterMetricsRegistry();       // primary: hand it to buildAdminApp as `metrics`
 * reportWorkerMetrics(registerServerMetrics(...)); // in each worker
 */
export function clusterMetricsRegistry(): Registry {
  return new ClusterMetricsRegistry();
}

/**
 * Makes this worker answer the primary's metric requests with `registry`.
 */
export function reportWorkerMetrics(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's worker-side message listener (once per process).
  new AggregatorRegistry();
}

class ClusterMetricsRegistry extends Registry {
  readonly #workers = new AggregatorRegistry();

  override async metrics(): Promise<string> {
    const own = await super.metrics();
    let workers: string;
    try {
      workers = await this.#workers.clusterMetrics();
    } catch (e) {
      // A worker that does not answer in time (restarting) must not take /metrics down with it.
      workers = `# ipgate: worker metrics unavailable: ${(e as Error).message.replace(/\n/g, ' ')}\n`;
    }
    return `${own.trimEnd()}\n${workers}`;
  }
}
