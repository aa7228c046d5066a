import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { gcPauses } from './gc-trace.mjs';

describe('gcPauses', () => {
  it("sums the young and the full collections' pauses and keeps the heap after the last full one", () => {
    const text = [
      '[7:0x55]      141 ms: Scavenge 3.8 (4.0) -> 3.4 (5.0) MB, 4.98 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure; ',
      '{"level":40,"msg":"a log line between them"}',
      '[7:0x55]     2199 ms: Mark-Compact 80.3 (90.1) -> 61.0 (88.2) MB, 5.10 / 0.00 ms  (+ 30.2 ms in 41 steps since start of marking, biggest step 1.9 ms, walltime since start of marking 120 ms) (average mu = 0.99, current mu = 0.98) finalize incremental marking via task; GC in old space requested',
      '[7:0x55]     2500 ms: Scavenge 62.0 (88.2) -> 61.5 (88.2) MB, 0.52 / 0.00 ms  (average mu = 0.99) task; ',
      '[7:0x55]     9000 ms: Mark-Compact (reduce) 70.1 (88.2) -> 58.25 (80.0) MB, 12.00 / 0.00 ms  (average mu = 0.9) memory reducer; ',
    ].join('\n');
    const g = gcPauses(text);
    expect(g.young).toEqual({ count: 2, ms: expect.closeTo(5.5, 9) });
    expect(g.full).toEqual({ count: 2, ms: expect.closeTo(17.1, 9) });
    expect(g.liveMb).toBe(58.25);
    expect(gcPauses('no collections here\n')).toEqual({
      young: { count: 0, ms: 0 },
      full: { count: 0, ms: 0 },
      liveMb: null,
    });
  });

  it("reads this Node's own --trace-gc output", () => {
    const child = spawnSync(
      process.execPath,
      [
        '--trace-gc',
        '--expose-gc',
        '-e',
        'let a = []; for (let i = 0; i < 2e6; i++) { a.push({ i }); if (a.length > 1e5) a = []; } gc();',
      ],
      { encoding: 'utf8' },
    );
    const g = gcPauses(child.stdout);
    expect(g.young.count).toBeGreaterThan(0);
    expect(g.full.count).toBeGreaterThan(0);
    expect(g.liveMb).toBeGreaterThan(0);
  });
});
