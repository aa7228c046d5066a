import type { Entry, EntryWarning } from './entry.js';

/** An entry with the name it is known by, for list analysis. */
export interface NamedEntry {
  readonly entry: Entry;
  readonly name?: string | undefined;
}

/**
 * Warnings about a list as a whole, at most one per entry:
 * - `IPG_WARN_DUPLICATE` on every copy but the first of the same addresses, naming the first;
 * - `IPG_WARN_COVERED_BY` on an entry that a wider entry covers, wherever that one stands in the list
 *   (a /8 added after a /32 makes the /32 redundant, and the /32 is where a person needs to see it);
 * - `IPG_WARN_OVERLAPS` on an entry that shares addresses with one starting before it, neither covering the other.
 *
 * One sort and one sweep, O(n log n): lists of a million entries are normal.
 *
 * @returns one array of list warnings per input entry (same order); entry-level warnings are not repeated.
 * @example
 * const list = ['10.0.0.0/8', '10.1.0.0/16'].map((v) => ({ entry: parseEntry(v) }));
 * analyzeEntries(list)[1]?.[0]?.code; // 'IPG_WARN_COVERED_BY'
 */
export function analyzeEntries(list: readonly NamedEntry[]): EntryWarning[][] {
  const result: EntryWarning[][] = list.map(() => []);
  const lows = list.map((x) => x.entry.first.toBigInt());
  const highs = list.map((x) => x.entry.last.toBigInt());
  for (const family of [4, 6] as const) {
    // By start, wider first, then list order: whatever can cover an entry comes before it.
    const sorted = list
      .map((_, i) => i)
      .filter((i) => list[i]?.entry.family === family)
      .sort((a, b) => cmp(lows[a]!, lows[b]!) || cmp(highs[b]!, highs[a]!) || a - b);
    // The furthest-reaching entry among the groups (same bounds) already passed; earliest on a tie.
    let reach = -1n;
    let reacher = -1;
    for (let p = 0; p < sorted.length; ) {
      const first = sorted[p]!;
      const lo = lows[first]!;
      const hi = highs[first]!;
      let end = p + 1;
      while (end < sorted.length && lows[sorted[end]!] === lo && highs[sorted[end]!] === hi) end++;
      // `first` has the lowest list position of its group: the copies after it are its duplicates.
      for (let q = p + 1; q < end; q++)
        result[sorted[q]!]!.push(warning('IPG_WARN_DUPLICATE', 'Same addresses as', list, first));
      if (reacher >= 0 && reach >= hi) {
        result[first]!.push(warning('IPG_WARN_COVERED_BY', 'Already covered by', list, reacher));
      } else if (reacher >= 0 && reach >= lo) {
        result[first]!.push(warning('IPG_WARN_OVERLAPS', 'Shares addresses with', list, reacher));
      }
      if (hi > reach) {
        reach = hi;
        reacher = first;
      }
      p = end;
    }
  }
  return result;
}

function warning(
  code: EntryWarning['code'],
  verb: string,
  list: readonly NamedEntry[],
  other: number,
): EntryWarning {
  const x = list[other]!;
  const label =
    x.name === undefined ? `entry ${other + 1} (${x.entry.canonical})` : `"${x.name}" (${x.entry.canonical})`;
  return {
    code,
    message: `${verb} ${label}.`,
    related: {
      index: other,
      canonical: x.entry.canonical,
      ...(x.name === undefined ? {} : { name: x.name }),
    },
  };
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
