/**
 * At most one test send per channel every `everyMs`, so a button pressed again and again cannot
 * flood an inbox or an endpoint. Kept in this process: each server of a cluster counts on its own,
 * which bounds a channel to a handful of tests per interval however many there are.
 */

export interface TestThrottle {
  /** Takes the channel's turn: 0 when it may send now, else the milliseconds until it may. */
  take(key: string): number;
}

/**
 * A throttle with one slot per key.
 *
 * @example
 * const throttle = testThrottle(10_000);
 * throttle.take('ten_1/nch_1'); // 0
 * throttle.take('ten_1/nch_1'); // ≈ 10000
 */
export function testThrottle(everyMs: number, now: () => number = Date.now): TestThrottle {
  const last = new Map<string, number>();
  return {
    take(key) {
      const t = now();
      const previous = last.get(key);
      if (previous !== undefined && t - previous < everyMs) return everyMs - (t - previous);
      // Forget the slots that are free again, so the map holds only the last interval's channels.
      if (last.size >= 1000) {
        for (const [k, at] of last) if (t - at >= everyMs) last.delete(k);
      }
      last.set(key, t);
      return 0;
    },
  };
}
