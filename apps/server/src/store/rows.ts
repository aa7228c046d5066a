/**
 * Turns a stored time into a `Date`: SQLite gives the ISO string we wrote, PostgreSQL a `Date`.
 *
 * @example
 * toDate('2025-01-02T03:04:05.000Z').getTime(); // 1735787045000
 */
export function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

/**
 * Like {@link toDate}, keeping null.
 *
 * @example
 * toDateOrNull(null); // null
 */
export function toDateOrNull(value: Date | string | null): Date | null {
  return value === null ? null : toDate(value);
}

/**
 * Turns a stored flag into a boolean: SQLite gives 0/1, PostgreSQL a boolean.
 *
 * @example
 * toBool(1); // true
 */
export function toBool(value: number | boolean): boolean {
  return value === true || value === 1;
}

/**
 * A flag as written to either dialect (see `Flag` in database.ts).
 *
 * @example
 * flag(true); // 1
 */
export function flag(value: boolean): number {
  return value ? 1 : 0;
}

/**
 * The time a transaction stamps on what it writes: ISO-8601 UTC with milliseconds, which sorts as time
 * in SQLite's text columns and round-trips exactly through PostgreSQL's timestamptz.
 *
 * @example
 * nowIso(); // '2025-01-02T03:04:05.678Z'
 */
export function nowIso(): string {
  return new Date().toISOString();
}
