/**
 * Node's `--trace-gc` lines, summed: what a gateway's collector paused its event loop for in a
 * window of its standard output (`review.bench.mjs --interleave --trace-gc`). A line reads
 *
 *   [pid:0x…]  12345 ms: Scavenge 40.1 (45.2) -> 38.9 (46.2) MB, 1.23 / 0.00 ms  (average mu = …) allocation failure;
 *   [pid:0x…]  12399 ms: Mark-Compact 80.3 (90.1) -> 61.0 (88.2) MB, 5.10 / 0.00 ms  (+ 30.2 ms in 41 steps since start of marking, …) …
 *
 * The pause is the first figure after "MB,"; incremental and concurrent marking (the "+ … ms in
 * steps") is not in it: those run between requests or on V8's helper threads, and are in the
 * process's CPU time, not in the pause.
 */

const LINE =
  /: (Scavenge|Minor Mark-Compact|Mark-Compact|Mark-Sweep)\b[^\d]*([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, ([\d.]+) \//;

/**
 * Count and summed pause (ms) of the young-generation collections (`young`: Scavenge, Minor
 * Mark-Compact) and the full ones (`full`: Mark-Compact, Mark-Sweep), and the heap (MB) after the last
 * full one (`liveMb`, null when none ran). Other lines are ignored.
 *
 * @example
 * gcPauses('[1:0x1]  10 ms: Scavenge 4.0 (5.0) -> 3.0 (5.0) MB, 1.50 / 0.00 ms  (…) allocation failure;\n');
 * // { young: { count: 1, ms: 1.5 }, full: { count: 0, ms: 0 }, liveMb: null }
 */
export function gcPauses(text) {
  const young = { count: 0, ms: 0 };
  const full = { count: 0, ms: 0 };
  let liveMb = null;
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (m === null) continue;
    const kind = m[1];
    const to = kind === 'Scavenge' || kind === 'Minor Mark-Compact' ? young : full;
    to.count++;
    to.ms += Number(m[4]);
    if (to === full) liveMb = Number(m[3]);
  }
  return { young, full, liveMb };
}
