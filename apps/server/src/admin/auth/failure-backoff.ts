/**
 * Slows down repeated authentication failures per client address and per credential subject (an admin
 * token's public prefix, a console user's name): docs/security.md#admin-authentication-backoff. In
 * memory and per node on purpose: it blunts guessing at a node's listener without a store round trip,
 * and 256-bit tokens make guessing hopeless anyway.
 *
 * Three properties matter and each is tested:
 * - Every attempt counts when it starts, not when it fails, and takes its own turn in each of its
 *   buckets: N guesses sent at once wait one after another (d, d + 2d, …), not all the same d. An
 *   attempt whose turn would be further away than the longest delay is refused at once, unchecked, so
 *   a flood neither gets through faster nor holds connections open.
 * - A success forgives only what the same subject caused: it clears that subject's bucket and that
 *   subject's failures in the address's bucket. Another principal's valid token from the same address
 *   forgives nothing.
 * - Memory is bounded: at most `maxBuckets` buckets, each forgotten `forgetAfterMs` after its last
 *   attempt. When the table is full of live buckets, new addresses or subjects share one overflow
 *   bucket, so spraying addresses or prefixes ends in one shared, slowed queue instead of fresh ones.
 */

/** How the backoff grows. */
export interface FailureBackoffOptions {
  /** Failures answered at full speed before slowing down; default 3. */
  readonly freeFailures?: number | undefined;
  /** The first delay; doubles per further failure. Default 100 ms. */
  readonly baseDelayMs?: number | undefined;
  /** The longest delay, and the longest an attempt waits for its turn; default 5000 ms. */
  readonly maxDelayMs?: number | undefined;
  /** After this long without an attempt a bucket is forgotten; default 15 minutes. */
  readonly forgetAfterMs?: number | undefined;
  /** Most buckets (addresses and subjects together) remembered; default 10 000. */
  readonly maxBuckets?: number | undefined;
  /** For tests. */
  readonly now?: (() => number) | undefined;
}

/** What an attempt may do: wait its turn and be checked, or be refused unchecked. */
export type AttemptTurn =
  | {
      readonly refused: false;
      /** Milliseconds to wait before checking the credentials. */
      readonly waitMs: number;
      /** The credentials were wrong: the attempt stays counted. */
      failed(): void;
      /** The credentials were right: forgive what this subject caused. */
      succeeded(): void;
    }
  | {
      readonly refused: true;
      /** When this address or subject may try again. */
      readonly retryAfterMs: number;
    };

interface Bucket {
  /** Attempts counted and not forgiven: failures plus those still being checked. */
  count: number;
  /** When the last attempt given a turn is checked; the next waits for it. */
  busyUntil: number;
  /** The last attempt; the bucket is forgotten `forgetAfterMs` later. */
  last: number;
  /** Address buckets only: how much of `count` each subject caused, so its success forgives just that. */
  bySubject: Map<string, number> | undefined;
}

/** Subjects tracked one by one in an address bucket; further ones stay counted but cannot be forgiven. */
const SUBJECTS_PER_ADDRESS = 16;

/**
 * Gives each authentication attempt its turn.
 *
 * @example
 * const backoff = new FailureBackoff();
 * const turn = backoff.begin('192.0.2.1', 'ipg_adm_Zk3x');
 * if (turn.refused) throw tooMany(turn.retryAfterMs);
 * await sleep(turn.waitMs); // 0 for the first three failures, then 100, 200, 400 … ms
 * if (ok) turn.succeeded(); else turn.failed();
 */
export class FailureBackoff {
  readonly #addresses = new Map<string, Bucket>();
  readonly #subjects = new Map<string, Bucket>();
  readonly #free: number;
  readonly #base: number;
  readonly #max: number;
  readonly #forget: number;
  readonly #capacity: number;
  readonly #now: () => number;
  #overflowAddress = newBucket(true, 0);
  #overflowSubject = newBucket(false, 0);

  constructor(options: FailureBackoffOptions = {}) {
    this.#free = options.freeFailures ?? 3;
    this.#base = options.baseDelayMs ?? 100;
    this.#max = options.maxDelayMs ?? 5000;
    this.#forget = options.forgetAfterMs ?? 15 * 60_000;
    // Half for addresses, half for subjects: filling one kind never pushes out the other.
    this.#capacity = Math.max(1, Math.floor((options.maxBuckets ?? 10_000) / 2));
    this.#now = options.now ?? Date.now;
  }

  /** Buckets held now (for the memory bound's test and metrics). */
  get size(): number {
    return this.#addresses.size + this.#subjects.size;
  }

  /**
   * Counts an attempt from `address` (a bucket key, see backoffAddressKey) presenting credentials of
   * `subject`, and gives it its turn.
   */
  begin(address: string, subject: string): AttemptTurn {
    const now = this.#now();
    const a = this.#bucket(this.#addresses, address, now);
    const s = this.#bucket(this.#subjects, subject, now);
    const at = Math.max(this.#turn(a, now), this.#turn(s, now));
    if (at - now > this.#max) {
      return { refused: true, retryAfterMs: Math.max(a.busyUntil, s.busyUntil) - now };
    }
    for (const b of [a, s]) {
      b.count++;
      b.busyUntil = Math.max(b.busyUntil, at);
      b.last = now;
    }
    const caused = a.bySubject;
    if (caused !== undefined && (caused.has(subject) || caused.size < SUBJECTS_PER_ADDRESS)) {
      caused.set(subject, (caused.get(subject) ?? 0) + 1);
    }
    let settled = false;
    return {
      refused: false,
      waitMs: at - now,
      failed: () => {
        settled = true;
      },
      succeeded: () => {
        if (settled) return;
        settled = true;
        this.#forgive(address, a, subject, s);
      },
    };
  }

  /** When an attempt in `b` may be checked: after the bucket's last turn, plus the delay its count earns. */
  #turn(b: Bucket, now: number): number {
    const delay = b.count < this.#free ? 0 : Math.min(this.#max, this.#base * 2 ** (b.count - this.#free));
    return Math.max(now, b.busyUntil) + delay;
  }

  #forgive(address: string, a: Bucket, subject: string, s: Bucket): void {
    // The subject's owner has shown its credentials: guesses at it start afresh.
    if (this.#subjects.get(subject) === s) this.#subjects.delete(subject);
    const caused = a.bySubject?.get(subject) ?? 0;
    a.bySubject?.delete(subject);
    a.count = Math.max(0, a.count - caused);
    if (a.count === 0 && this.#addresses.get(address) === a) this.#addresses.delete(address);
  }

  /** The live bucket of `key`, made if need be; the shared overflow bucket when the table is full. */
  #bucket(map: Map<string, Bucket>, key: string, now: number): Bucket {
    const found = map.get(key);
    if (found !== undefined && now - found.last <= this.#forget) {
      // Re-insert so the map's order stays least recently used first, which is what expiry sweeps.
      map.delete(key);
      map.set(key, found);
      return found;
    }
    if (found !== undefined) map.delete(key);
    this.#sweep(map, now);
    const forAddresses = map === this.#addresses;
    if (map.size < this.#capacity) {
      const fresh = newBucket(forAddresses, now);
      map.set(key, fresh);
      return fresh;
    }
    // Full of live buckets: someone is spraying. Latecomers share one bucket rather than each getting
    // free attempts, and rather than pushing out a bucket someone is being slowed by.
    const shared = forAddresses ? this.#overflowAddress : this.#overflowSubject;
    if (now - shared.last <= this.#forget) return shared;
    const fresh = newBucket(forAddresses, now);
    if (forAddresses) this.#overflowAddress = fresh;
    else this.#overflowSubject = fresh;
    return fresh;
  }

  /** Drops expired buckets from the least recently used end, a few per call. */
  #sweep(map: Map<string, Bucket>, now: number): void {
    let budget = 8;
    for (const [key, b] of map) {
      if (budget-- === 0 || now - b.last <= this.#forget) return;
      map.delete(key);
    }
  }
}

function newBucket(forAddresses: boolean, now: number): Bucket {
  return { count: 0, busyUntil: 0, last: now, bySubject: forAddresses ? new Map() : undefined };
}
