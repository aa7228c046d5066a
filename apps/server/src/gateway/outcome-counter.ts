import { Counter, type Registry } from 'prom-client';

/**
 * `ipgate_gateway_requests_total{decision, stage, reason}`, counted in plain numbers on the request
 * path and handed to prom-client when the registry is read.
 *
 * Why: `counter.inc({ decision, stage, reason })` — and equally a child from `counter.labels(…)`,
 * which prom-client re-hashes on every `inc` — builds and validates a label key per request. Here a
 * request costs three map lookups and an addition; the labels are hashed once per scrape instead.
 * Reasons come from core's catalogue and the gateway's own few, so the label set stays small.
 *
 * @example
 * const requests = outcomeCounter(registry);
 * requests.add('deny', 'tenant-restriction', 'tenant-ip-not-listed');
 * await registry.metrics(); // ipgate_gateway_requests_total{decision="deny",stage="tenant-restriction",reason="tenant-ip-not-listed"} 1
 */
export function outcomeCounter(registry: Registry): {
  add(decision: string, stage: string, reason: string): void;
} {
  // decision → stage → reason → requests not yet handed to prom-client.
  const pending = new Map<string, Map<string, Map<string, number>>>();
  new Counter({
    name: 'ipgate_gateway_requests_total',
    help: 'Requests through the gateway, by decision, the stage that decided and the reason.',
    labelNames: ['decision', 'stage', 'reason'] as const,
    registers: [registry],
    collect() {
      for (const [decision, stages] of pending) {
        for (const [stage, reasons] of stages) {
          for (const [reason, count] of reasons) {
            if (count > 0) this.inc({ decision, stage, reason }, count);
            reasons.set(reason, 0);
          }
        }
      }
    },
  });
  return {
    add(decision: string, stage: string, reason: string): void {
      let stages = pending.get(decision);
      if (stages === undefined) {
        stages = new Map();
        pending.set(decision, stages);
      }
      let reasons = stages.get(stage);
      if (reasons === undefined) {
        reasons = new Map();
        stages.set(stage, reasons);
      }
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    },
  };
}
