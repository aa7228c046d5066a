/**
 * Counts distinct strings in bounded memory: exactly up to `exactLimit` of them, and beyond that by a
 * HyperLogLog estimate (4,096 registers, about 1.6 % standard error), so a simulation over a million
 * requests from a million addresses never holds them all.
 */

const REGISTER_BITS = 12;
const REGISTERS = 1 << REGISTER_BITS;
// The bias correction of HyperLogLog for m = 4096 registers.
const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS);

/**
 * A distinct counter.
 *
 * @example
 * const c = new DistinctCounter(100_000);
 * c.add('203.0.113.7'); c.add('203.0.113.7');
 * c.count; // 1
 * c.exact; // true
 */
export class DistinctCounter {
  private seen: Set<string> | undefined = new Set();
  private registers: Uint8Array | undefined;

  constructor(private readonly exactLimit: number) {}

  add(value: string): void {
    const seen = this.seen;
    if (seen !== undefined) {
      seen.add(value);
      if (seen.size <= this.exactLimit) return;
      // Past the limit: every value seen so far goes into the estimate, and the set is let go.
      this.registers = new Uint8Array(REGISTERS);
      for (const v of seen) this.estimate(v);
      this.seen = undefined;
      return;
    }
    this.estimate(value);
  }

  /** True while the count is exact. */
  get exact(): boolean {
    return this.seen !== undefined;
  }

  get count(): number {
    if (this.seen !== undefined) return this.seen.size;
    const registers = this.registers as Uint8Array;
    let sum = 0;
    let zeros = 0;
    for (const r of registers) {
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const raw = (ALPHA * REGISTERS * REGISTERS) / sum;
    // Small ranges are estimated better by linear counting.
    const estimate = raw <= 2.5 * REGISTERS && zeros > 0 ? REGISTERS * Math.log(REGISTERS / zeros) : raw;
    return Math.max(this.exactLimit, Math.round(estimate));
  }

  private estimate(value: string): void {
    const h = hash32(value);
    const index = h >>> (32 - REGISTER_BITS);
    const rest = (h << REGISTER_BITS) | (1 << (REGISTER_BITS - 1));
    const rank = Math.clz32(rest) + 1;
    const registers = this.registers as Uint8Array;
    if (rank > (registers[index] as number)) registers[index] = rank;
  }
}

/** FNV-1a over UTF-16 code units, finished with murmur3's mix so every bit depends on every input bit. */
function hash32(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
