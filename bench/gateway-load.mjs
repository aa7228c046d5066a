/**
 * One autocannon measurement, in a process of its own so the load generator never shares an event
 * loop with anything it measures. Prints one JSON line: requests/s, p50/p99 latency (ms), counts.
 *
 *   node bench/gateway-load.mjs '{"url":"http://127.0.0.1:8080/","connections":50,"durationS":10}'
 *   node bench/gateway-load.mjs '{"url":"…","connections":10,"durationS":10,"rate":2000}'   # fixed offered load
 *
 * autocannon's own latency histogram has 1 ms resolution, too coarse for a "< 1 ms added at p99"
 * target, so the percentiles come from every response time it reports (hrtime, fractional ms).
 */
import autocannon from 'autocannon';

const { url, connections, durationS, headers, rate } = JSON.parse(process.argv[2]);
const times = [];
// `rate` (requests/s over all connections) holds the offered load below saturation, so latency
// shows what a proxy adds to a request rather than how long requests queue for a busy CPU.
const instance = autocannon({
  url,
  connections,
  duration: durationS,
  headers: headers ?? {},
  ...(rate === undefined ? {} : { overallRate: rate }),
});
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  if (statusCode >= 200 && statusCode < 300) times.push(responseTime);
});
const result = await instance;
times.sort((a, b) => a - b);
/** Nearest-rank percentile. */
const percentile = (p) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] ?? NaN;
const round = (ms) => Math.round(ms * 100) / 100;
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    p50: round(percentile(50)),
    p99: round(percentile(99)),
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    // The load generator's own CPU, so the report can say how much of the machine it took.
    cpuS: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  })}\n`,
);
