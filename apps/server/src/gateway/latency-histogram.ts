import type { Registry } from 'prom-client';

/** Upper bounds in seconds: sub-millisecond resolution where a gateway's own cost lives. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
const NAME = 'ipgate_gateway_request_duration_seconds';

interface Series {
  /** Per bucket (and +Inf last), not cumulative: one increment per request. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * `ipgate_gateway_request_duration_seconds{decision}`: a Prometheus histogram of the time from a
 * request's arrival to its end, kept as plain bucket counters on the request path (a bucket found by
 * a short scan, two additions) and turned into prom-client's histogram shape only when scraped —
 * `histogram.observe()` would hash labels for every request.
 *
 * @example
 * const latency = latencyHistogram(registry);
 * latency.observe('allow', 0.0012);
 * await registry.metrics(); // …_bucket{le="0.0025",decision="allow"} 1 …
 */
export function latencyHistogram(registry: Registry): { observe(decision: string, seconds: number): void } {
  const series = new Map<string, Series>();
  registry.registerMetric({
    name: NAME,
    help: 'Time from a request’s arrival at the gateway to its end, in seconds, by decision.',
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({
      name: NAME,
      help: 'Time from a request’s arrival at the gateway to its end, in seconds, by decision.',
      type: 'histogram',
      aggregator: 'sum',
      values: [...series].flatMap(([decision, s]) => {
        let cumulative = 0;
        const buckets = BUCKETS.map((le, i) => {
          cumulative += s.counts[i] as number;
          return { metricName: `${NAME}_bucket`, labels: { le, decision }, value: cumulative };
        });
        return [
          ...buckets,
          { metricName: `${NAME}_bucket`, labels: { le: '+Inf', decision }, value: s.count },
          { metricName: `${NAME}_sum`, labels: { decision }, value: s.sum },
          { metricName: `${NAME}_count`, labels: { decision }, value: s.count },
        ];
      }),
    }),
    reset: () => series.clear(),
  } as unknown as Parameters<Registry['registerMetric']>[0]);
  return {
    observe(decision: string, seconds: number): void {
      let s = series.get(decision);
      if (s === undefined) {
        s = { counts: new Float64Array(BUCKETS.length + 1), sum: 0, count: 0 };
        series.set(decision, s);
      }
      let i = 0;
      while (i < BUCKETS.length && seconds > (BUCKETS[i] as number)) i++;
      s.counts[i] = (s.counts[i] as number) + 1;
      s.sum += seconds;
      s.count++;
    },
  };
}
