/**
 * Admin tokens this node verified recently, so that a client's concurrent requests with a valid token
 * do not queue behind each other in the failure backoff (which counts every attempt when it starts,
 * so that guesses sent at once each wait their turn). A token seen valid is not a guess: its next
 * requests skip the backoff, not the check — the store still verifies every request, so a token
 * revoked meanwhile is refused at once (and dropped from here).
 *
 * Kept as SHA-256 digests, never the secrets; bounded in number and time.
 *
 * @example
 * const verified = new VerifiedSecrets();
 * verified.add('ipg_adm_…');
 * verified.has('ipg_adm_…'); // true for 15 minutes
 */
import { createHash } from 'node:crypto';

export class VerifiedSecrets {
  readonly #until = new Map<string, number>();
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: { max?: number; ttlMs?: number; now?: () => number } = {}) {
    this.#max = options.max ?? 1024;
    this.#ttlMs = options.ttlMs ?? 15 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  has(secret: string): boolean {
    const key = digest(secret);
    const until = this.#until.get(key);
    if (until === undefined) return false;
    if (until < this.#now()) {
      this.#until.delete(key);
      return false;
    }
    return true;
  }

  add(secret: string): void {
    const key = digest(secret);
    this.#until.delete(key);
    // Oldest first: a full table forgets the token verified longest ago.
    while (this.#until.size >= this.#max) {
      const oldest = this.#until.keys().next().value as string;
      this.#until.delete(oldest);
    }
    this.#until.set(key, this.#now() + this.#ttlMs);
  }

  delete(secret: string): void {
    this.#until.delete(digest(secret));
  }

  get size(): number {
    return this.#until.size;
  }
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('base64');
}
