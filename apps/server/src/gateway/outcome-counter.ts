import { Counter, type Registry } from 'prom-client';

/**
 * `ipgate_gateway_requests_total{decision, stage}`, counted in plain numbers on the request path
 * and handed to prom-client when the registry is read.
 *
 * Why: `counter.inc({ decision, stage })` — and equally a child from `counter.labels(…)`, which
 * prom-client re-hashes on every `inc` — builds and validates a label key per request. Here a
 * request costs one map lookup and an addition; the labels are hashed once per scrape instead.
 *
 * @example
 * const requests = outcomeCounter(registry);
 * requests.add('allow', 'complete');
 * await registry.metrics(); // ipgate_gateway_requests_total{decision="allow",stage="complete"} 1
 */
export function outcomeCounter(registry: Registry): { add(decision: string, stage: string): void } {
  // decision → stage → requests not yet handed to prom-client.
  const pending = new Map<string, Map<string, number>>();
  new Counter({
    name: 'ipgate_gateway_requests_total',
    help: 'Requests through the gateway, by decision and the stage that decided.',
    labelNames: ['decision', 'stage'] as const,
    registers: [registry],
    collect() {
      for (const [decision, stages] of pending) {
        for (const [stage, count] of stages) {
          if (count > 0) this.inc({ decision, stage }, count);
          stages.set(stage, 0);
        }
      }
    },
  });
  return {
    add(decision: string, stage: string): void {
      let stages = pending.get(decision);
      if (stages === undefined) {
        stages = new Map();
        pending.set(decision, stages);
      }
      stages.set(stage, (stages.get(stage) ?? 0) + 1);
    },
  };
}
