import { DistinctCounter } from './distinct-counter.js';

/** One direction of change a simulation reports: allowed→denied or denied→allowed. */
export interface FlipSummary {
  /** Recorded requests whose decision would flip. */
  readonly requests: number;
  /** Of those, requests without a key: denied by the API allowlist before authentication, so only the allowlist was decided again. */
  readonly requestsWithoutKey: number;
  /** Distinct client addresses among them. */
  readonly addresses: number;
  /** Distinct keys among them. */
  readonly keys: number;
  /** The addresses with the most flipped requests, most first. */
  readonly topAddresses: readonly { readonly address: string; readonly requests: number }[];
  /**
   * False when more addresses flipped than the simulation tracks one by one: `addresses` and `keys`
   * are then estimates (within a few percent) and `topAddresses` counts may be low.
   */
  readonly exact: boolean;
}

/** Limits of a {@link FlipTally}: what keeps a simulation's memory bounded whatever the window holds. */
export interface FlipTallyLimits {
  /** Distinct addresses (and keys) counted exactly; beyond, estimated. */
  readonly exactDistinct: number;
  /** Addresses whose request counts are tracked for the top list. */
  readonly trackedAddresses: number;
}

/**
 * Tallies the requests of one flip direction in bounded memory.
 *
 * Top addresses: counts are kept per address up to `trackedAddresses`; when twice that many are held,
 * the lower half is dropped (a batched Misra–Gries). An address with many requests is never dropped
 * once it leads, so the top list stays right for the addresses that matter; only counts of late
 * newcomers may be low, and `exact` says so.
 *
 * @example
 * const t = new FlipTally({ exactDistinct: 100_000, trackedAddresses: 10_000 });
 * t.add('203.0.113.7', 'key_1');
 * t.summary(10).topAddresses; // [{ address: '203.0.113.7', requests: 1 }]
 */
export class FlipTally {
  private requests = 0;
  private withoutKey = 0;
  private pruned = false;
  private readonly counts = new Map<string, number>();
  private readonly addresses: DistinctCounter;
  private readonly keys: DistinctCounter;

  constructor(private readonly limits: FlipTallyLimits) {
    this.addresses = new DistinctCounter(limits.exactDistinct);
    this.keys = new DistinctCounter(limits.exactDistinct);
  }

  add(address: string, keyId: string | null): void {
    this.requests++;
    if (keyId === null) this.withoutKey++;
    else this.keys.add(keyId);
    this.addresses.add(address);
    this.counts.set(address, (this.counts.get(address) ?? 0) + 1);
    if (this.counts.size >= 2 * this.limits.trackedAddresses) this.prune();
  }

  summary(top: number): FlipSummary {
    return {
      requests: this.requests,
      requestsWithoutKey: this.withoutKey,
      addresses: this.addresses.count,
      keys: this.keys.count,
      topAddresses: [...this.counts]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, top)
        .map(([address, requests]) => ({ address, requests })),
      exact: !this.pruned && this.addresses.exact && this.keys.exact,
    };
  }

  private prune(): void {
    this.pruned = true;
    const kept = [...this.counts].sort((a, b) => b[1] - a[1]).slice(0, this.limits.trackedAddresses);
    this.counts.clear();
    for (const [address, n] of kept) this.counts.set(address, n);
  }
}
