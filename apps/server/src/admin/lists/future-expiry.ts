/**
 * The `expiresAt` of an entry written through the management API: absent, null (never), or a time still
 * to come. An entry that has already expired would never be in force — accepting it silently leaves the
 * person believing they listed an address that is in fact denied.
 */
import { IpGateError } from '@ipgate/core';

/**
 * The body's `expiresAt` as a date, refusing one that has passed.
 *
 * @example
 * futureExpiry('2999-01-01T00:00:00Z'); // Date
 * futureExpiry(null); // null (never expires)
 * futureExpiry('2000-01-01T00:00:00Z'); // throws IPG_VALIDATION_FAILED, field expiresAt
 */
export function futureExpiry(
  value: string | null | undefined,
  now: Date = new Date(),
): Date | null | undefined {
  if (value === undefined || value === null) return value;
  const at = new Date(value);
  if (at.getTime() <= now.getTime()) {
    throw new IpGateError(
      'IPG_VALIDATION_FAILED',
      `expiresAt ${value} has passed: the entry would never be in force.`,
      {
        field: 'expiresAt',
        hint: 'Give a time still to come, or null for no expiry. To stop an entry now, set enabled: false or remove it.',
      },
    );
  }
  return at;
}
