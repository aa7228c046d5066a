/**
 * A bucket index in two arrays read side by side: a 32-bit count every 2^group buckets and a byte per
 * bucket counting from its group's first bucket, so the count of bucket b is
 * `groups[b >>> group] + within[b]`.
 *
 * Why: a lookup from text parses its address before it searches, so the processor cannot overlap one
 * lookup's memory reads with the next one's, and each read on the path is paid in full. A read from
 * 1 MiB costs about 50 ns less than one from 4 MiB on the benchmark machine, and the two reads here do
 * not wait for each other (bench/README.md, "What one lookup waits for, and the index in 1.1 MiB").
 * Groups narrow (group from 5 down to 0) until every byte fits, so a crowded list keeps exact counts;
 * at group 0 the bytes are all zero and the 32-bit counts are the whole index.
 */
export interface BucketCounts {
  /** Buckets per group, as a power of two. */
  readonly group: number;
  readonly groups: Uint32Array;
  readonly within: Uint8Array;
}

/** Groups start at 2^5 buckets and narrow until every bucket's count from its group's first fits a byte. */
const WIDEST_GROUP = 5;

/**
 * Splits `below` (how many items lie in the buckets below each bucket: nondecreasing) into a count per group and a byte per
 * bucket, with the widest groups whose bytes all fit.
 */
export function twoLevel(below: Uint32Array): BucketCounts {
  let group = WIDEST_GROUP;
  // Largest count from a group's first bucket, for groups of 2^g buckets: shrink g until it fits.
  while (group > 0 && widestSpan(below, group) > 255) group--;
  const groups = new Uint32Array((below.length >>> group) + 1);
  const within = new Uint8Array(below.length);
  for (let b = 0; b < below.length; b++) {
    const first = b >>> group;
    if ((b & ((1 << group) - 1)) === 0) groups[first] = below[b] as number;
    within[b] = (below[b] as number) - (groups[first] as number);
  }
  return { group, groups, within };
}

/** The most items any group of 2^group buckets adds over its first bucket's count. */
function widestSpan(below: Uint32Array, group: number): number {
  let widest = 0;
  for (let b = 0; b < below.length; b++) {
    const span = (below[b] as number) - (below[b & ~((1 << group) - 1)] as number);
    if (span > widest) widest = span;
  }
  return widest;
}
