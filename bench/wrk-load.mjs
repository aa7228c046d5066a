/**
 * One wrk measurement (Debian's `wrk`, a C load generator): the same answer as `gateway-load.mjs`
 * (autocannon) — requests/s, p50/p99 (ms), counts and the generator's own CPU seconds.
 *
 * Why a second generator: on two cores, autocannon (JavaScript) saturates its own CPU at ~85k
 * requests/s, before node:http, Fastify or Hono saturate theirs, so their requests/s was partly the
 * client's limit and a 3 % difference between two servers hid in it. wrk drives them to their own
 * limit with CPU to spare, so requests/s measures the server.
 *
 * @example
 * const r = await wrkLoad({ url: 'http://127.0.0.1:8080/', connections: 50, durationS: 8, cpu: 1 });
 * r.rps; r.p99; r.cpuS;
 */
import { execFileSync } from 'node:child_process';
import { runProcess } from './gateway-processes.mjs';

/** True when `wrk` is on the PATH (`apt-get install wrk`). */
export function hasWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version prints its usage and exits 1; only a missing binary is ENOENT.
    return error.code !== 'ENOENT';
  }
}

/** wrk's version line, for the report. */
export function wrkVersion() {
  try {
    execFileSync('wrk', ['--version'], { encoding: 'utf8' });
  } catch (error) {
    return /wrk (\S+)/.exec(String(error.stdout))?.[1] ?? '?';
  }
  return '?';
}

/**
 * Runs wrk (one thread, `connections` keep-alive connections) for `durationS`, on CPU `cpu` when
 * given, sending `headers` with every request, at niceness `nice` when given (it then yields its core
 * to what runs beside it). Its CPU time comes from the shell that ran it (`times`: the children's user
 * and system time).
 */
export async function wrkLoad({ url, connections, durationS, cpu, nice, headers = {} }) {
  const script = 'wrk "$@" && times';
  // --timeout: a slow peer (express-ipfilter answers in seconds under load) is measured, not failed.
  const args = [
    '-c',
    script,
    'wrk',
    '-t1',
    `-c${connections}`,
    `-d${durationS}s`,
    '--timeout',
    '60s',
    '--latency',
    ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    url,
  ];
  const niced = nice === undefined ? ['bash', ...args] : ['nice', '-n', String(nice), 'bash', ...args];
  const out =
    cpu === undefined
      ? await runProcess(niced[0], niced.slice(1))
      : await runProcess('taskset', ['-c', String(cpu), ...niced]);
  return parseWrk(out);
}

/** The numbers in wrk's `--latency` report (plus the `times` lines after it). */
export function parseWrk(out) {
  const number = (re) => {
    const m = re.exec(out);
    if (m === null) throw new Error(`wrk output without ${re}:\n${out}`);
    return Number(m[1]);
  };
  const latencyMs = (percent) => {
    const m = new RegExp(`^\\s*${percent}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
    if (m === null) throw new Error(`wrk output without its ${percent}% latency:\n${out}`);
    const scale = { us: 1e-3, ms: 1, s: 1e3 }[m[2]];
    return Math.round(Number(m[1]) * scale * 100) / 100;
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  // `times` prints the shell's own times, then its children's: "0m1.234s 0m0.567s".
  const times = [...out.matchAll(/^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/gm)];
  const children = times.at(-1);
  return {
    rps: number(/Requests\/sec:\s*([\d.]+)/),
    p50: latencyMs(50),
    p99: latencyMs(99),
    total: number(/(\d+) requests in /),
    non2xx: /Non-2xx or 3xx responses: (\d+)/.test(out) ? number(/Non-2xx or 3xx responses: (\d+)/) : 0,
    errors:
      socketErrors === null ? 0 : Number(socketErrors[1]) + Number(socketErrors[2]) + Number(socketErrors[3]),
    timeouts: socketErrors === null ? 0 : Number(socketErrors[4]),
    cpuS:
      children === undefined
        ? Number.NaN
        : Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4]),
  };
}
