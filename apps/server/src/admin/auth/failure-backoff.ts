/**
 * Slows down repeated authentication failures from one address
 * (docs/architecture/management.md#principals-roles-and-scopes). In memory and per node on purpose: it blunts
 * guessing at a node's listener without a store round trip, and 256-bit tokens make guessing hopeless anyway.
 */

/** How the backoff grows. */
export interface FailureBackoffOptions {
  /** Failures answered at full speed before slowing down; default 3. */
  readonly freeFailures?: number | undefined;
  /** The first delay; doubles per further failure. Default 100 ms. */
  readonly baseDelayMs?: number | undefined;
  /** The longest delay; default 5000 ms. */
  readonly maxDelayMs?: number | undefined;
  /** After this long without a failure an address starts afresh; default 15 minutes. */
  readonly forgetAfterMs?: number | undefined;
  /** Most addresses remembered; the oldest are forgotten first. Default 10 000. */
  readonly maxAddresses?: number | undefined;
  /** For tests. */
  readonly now?: (() => number) | undefined;
}

interface Record {
  failures: number;
  last: number;
}

/**
 * Counts failures per address and says how long to wait before answering the next attempt.
 *
 * @example
 * const backoff = new FailureBackoff();
 * await sleep(backoff.delayFor(ip)); // 0 until three failures, then 100, 200, 400 … ms
 * if (!ok) backoff.failed(ip); else backoff.succeeded(ip);
 */
export class FailureBackoff {
  readonly #records = new Map<string, Record>();
  readonly #free: number;
  readonly #base: number;
  readonly #max: number;
  readonly #forget: number;
  readonly #capacity: number;
  readonly #now: () => number;

  constructor(options: FailureBackoffOptions = {}) {
    this.#free = options.freeFailures ?? 3;
    this.#base = options.baseDelayMs ?? 100;
    this.#max = options.maxDelayMs ?? 5000;
    this.#forget = options.forgetAfterMs ?? 15 * 60_000;
    this.#capacity = options.maxAddresses ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds to wait before checking the next credentials from `address`. */
  delayFor(address: string): number {
    const r = this.#current(address);
    if (r === undefined || r.failures < this.#free) return 0;
    return Math.min(this.#max, this.#base * 2 ** (r.failures - this.#free));
  }

  /** Records a failed attempt. */
  failed(address: string): void {
    const r = this.#current(address) ?? { failures: 0, last: 0 };
    r.failures++;
    r.last = this.#now();
    // Re-insert so the map's order stays oldest-failure first, which is what eviction drops.
    this.#records.delete(address);
    this.#records.set(address, r);
    if (this.#records.size > this.#capacity) {
      const oldest = this.#records.keys().next().value;
      if (oldest !== undefined) this.#records.delete(oldest);
    }
  }

  /** Forgets the address's failures: its owner has shown a valid token. */
  succeeded(address: string): void {
    this.#records.delete(address);
  }

  #current(address: string): Record | undefined {
    const r = this.#records.get(address);
    if (r !== undefined && this.#now() - r.last > this.#forget) {
      this.#records.delete(address);
      return undefined;
    }
    return r;
  }
}
