import { describe, expect, it } from 'vitest';
import { parseWrk } from './wrk-load.mjs';

// Printed by `bash -c 'wrk "$@" && times' wrk -t1 -c5 -d1s --timeout 60s --latency URL` (wrk 4.1.0).
const REPORT = `Running 1s test @ http://127.0.0.1:18123/x
  1 threads and 5 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   154.90us  456.43us   7.56ms   93.99%
    Req/Sec    89.81k    29.86k  107.45k    81.82%
  Latency Distribution
     50%   47.00us
     75%   66.00us
     90%  145.00us
     99%    2.50ms
  97964 requests in 1.10s, 12.24MB read
  Non-2xx or 3xx responses: 97964
  Socket errors: connect 1, read 2, write 3, timeout 4
Requests/sec:  89054.30
Transfer/sec:     11.13MB
0m0.002s 0m0.000s
1m0.077s 0m0.667s
`;

describe('parseWrk', () => {
  it('reads requests/s, the percentiles in ms whatever unit wrk chose, the counts and the CPU of its children', () => {
    expect(parseWrk(REPORT)).toEqual({
      rps: 89054.3,
      p50: 0.05,
      p99: 2.5,
      total: 97964,
      non2xx: 97964,
      errors: 6,
      timeouts: 4,
      cpuS: 60.744,
    });
  });

  it('counts no failures when wrk prints none', () => {
    const clean = REPORT.replace(/ {2}Non-2xx.*\n/, '').replace(/ {2}Socket errors.*\n/, '');
    expect(parseWrk(clean)).toMatchObject({ non2xx: 0, errors: 0, timeouts: 0 });
  });

  it('refuses a report without its figures rather than measuring zero', () => {
    expect(() => parseWrk(REPORT.replace(/Requests\/sec.*\n/, ''))).toThrow(/Requests/);
    expect(() => parseWrk(REPORT.replace(/ {5}99%.*\n/, ''))).toThrow(/99% latency/);
  });
});
