/** How a failed delivery is retried: exponential backoff with a ceiling, then given up. */
export interface RetryPolicy {
  /** The wait after the first failure; doubled after each further one. */
  readonly baseMs: number;
  readonly maxMs: number;
  /** Attempts in all; after the last one the delivery is `failed`. */
  readonly maxAttempts: number;
}

/** 30 s, 1 min, 2 min … up to an hour between tries, ten tries in all (about five hours). */
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 30_000, maxMs: 3_600_000, maxAttempts: 10 };

/**
 * When to try again after failed attempt number `attempt` (1-based), or null to give up.
 *
 * @example
 * retryAt(new Date(0), 1, DEFAULT_RETRY)?.getTime(); // 30000
 * retryAt(new Date(0), 3, DEFAULT_RETRY)?.getTime(); // 120000
 */
export function retryAt(now: Date, attempt: number, policy: RetryPolicy): Date | null {
  if (attempt >= policy.maxAttempts) return null;
  const delay = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return new Date(now.getTime() + delay);
}
