import { describe, expect, it } from 'vitest';
import { formatReport, runFuzz } from './run.js';

describe('fuzz target (short CI run; `npm run fuzz` runs it for longer)', () => {
  it('for ~3 s: nothing but IpGateError escapes, no call hangs, the invariants hold', async () => {
    const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() >>> 0);
    // Inputs up to 10,000 characters and one failure per target keep a slow target from stretching the run.
    const report = await runFuzz({
      budgetMs: 3000,
      seed,
      maxFailures: 10,
      maxFailuresPerTarget: 1,
      maxLength: 10_000,
    });
    console.log(formatReport(report));
    expect(report.failures, formatReport(report)).toEqual([]);
    // The run really exercised every core target, with inputs accepted and rejected.
    expect(report.inputs).toBeGreaterThan(500);
    for (const target of [
      'IpAddress.tryParse',
      'parseEntry',
      'tryParseEntry',
      'IpSet.from',
      'IpSet.has/match',
      'parsePublishedRules',
    ]) {
      expect(report.calls[target], target).toBeGreaterThan(500);
      expect(report.accepted[target], target).toBeGreaterThan(10);
      expect(report.accepted[target], target).toBeLessThan(report.calls[target] as number);
    }
  }, 60_000);

  it('a fixed seed replays the same inputs', async () => {
    const options = { budgetMs: 0, seed: 1234, only: ['Ip', 'Entry'], maxLength: 1000 };
    const a = await runFuzz(options);
    const b = await runFuzz(options);
    expect(a.inputs).toBe(b.inputs);
    expect(a.accepted).toEqual(b.accepted);
  });

  // A regression guard, not a benchmark: the old regex trim took ~2 s here (quadratic), a scan takes microseconds.
  it('parseOrigin and parseRefererOrigin stay linear on a long run of inner blanks', async () => {
    const domain = (await import('../src/domain/index.js')) as Record<string, unknown>;
    const input = `https://example.com${' '.repeat(20000)}x`;
    for (const name of ['parseOrigin', 'parseRefererOrigin']) {
      const f = domain[name] as (s: string) => unknown;
      const t0 = performance.now();
      f(input);
      expect(performance.now() - t0, name).toBeLessThan(50);
    }
  });
});
