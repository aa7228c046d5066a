/**
 * CPU time of a process and all its descendants, from /proc (Linux): what the gateway benchmark uses
 * to say where the two cores went during a measurement (target, upstream, load generator).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond;

/**
 * User + system CPU seconds used so far by `pid` and every descendant still running.
 *
 * @example
 * const before = treeCpuSeconds(child.pid);
 * // … load …
 * const used = treeCpuSeconds(child.pid) - before;
 */
export function treeCpuSeconds(pid) {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  let ticks = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const p = pending.pop();
    try {
      // Fields after the command name (which may contain spaces): utime and stime are 14 and 15.
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children !== '') pending.push(...children.split(' ').map(Number));
      }
    } catch {
      // Gone meanwhile: its time is no longer counted, which only matters outside a measurement.
    }
  }
  return ticks / ticksPerSecond;
}
