import { IpGateError } from '@ipgate/core';

/**
 * IPG_NOT_FOUND for a resource that does not exist or belongs to another tenant; the two are
 * deliberately indistinguishable.
 */
export function notFound(what: string, id: string): IpGateError {
  return new IpGateError('IPG_NOT_FOUND', `No ${what} ${JSON.stringify(id)}.`, { input: id });
}

/**
 * IPG_VERSION_CONFLICT when the caller's expected version is stale.
 *
 * @example
 * if (expected !== undefined && row.version !== expected) throw versionConflict('tenant', id, row.version, expected);
 */
export function versionConflict(what: string, id: string, actual: number, expected: number): IpGateError {
  return new IpGateError(
    'IPG_VERSION_CONFLICT',
    `The ${what} ${JSON.stringify(id)} is at version ${actual}, not ${expected}: it changed since it was read.`,
    { hint: 'Read it again, reapply the change and send the new version.', field: 'version' },
  );
}

/**
 * Throws IPG_VERSION_CONFLICT unless `expected` is absent or equals the row's version.
 *
 * @example
 * checkVersion('tenant', row, opts.expectedVersion);
 */
export function checkVersion(
  what: string,
  row: { readonly id: string; readonly version: number },
  expected: number | undefined,
): void {
  if (expected !== undefined && row.version !== expected) {
    throw versionConflict(what, row.id, row.version, expected);
  }
}

/**
 * IPG_LIMIT_REACHED for a list that is full.
 *
 * @example
 * if (count >= limit) throw limitReached('tenant IP list', limit);
 */
export function limitReached(list: string, limit: number): IpGateError {
  return new IpGateError('IPG_LIMIT_REACHED', `The ${list} holds its limit of ${limit} entries.`, {
    hint: 'Remove an entry first, or ask for a higher limit.',
  });
}

/**
 * IPG_ALREADY_EXISTS naming the entry that already holds the same canonical value.
 *
 * @example
 * throw alreadyExists('10.0.0.0/8', { id: 'ent_…', name: 'office', value: '10.0.0.0/8' });
 */
export function alreadyExists(
  canonical: string,
  existing: { readonly id: string; readonly name: string; readonly value: string },
): IpGateError {
  const label = existing.name === '' ? '' : ` (${JSON.stringify(existing.name)})`;
  return new IpGateError(
    'IPG_ALREADY_EXISTS',
    `${canonical} is already listed as entry ${existing.id}${label}, written ${JSON.stringify(existing.value)}.`,
    { hint: 'Edit the existing entry instead of adding it again.', field: 'value', input: existing.id },
  );
}

/**
 * Bad input to a store operation that core's parsers do not cover (names, limits, URLs …).
 *
 * @example
 * throw invalid('name', 'A name is required.');
 */
export function invalid(field: string, message: string, hint?: string): IpGateError {
  return new IpGateError('IPG_CONFIG_INVALID', message, {
    field,
    ...(hint === undefined ? {} : { hint }),
  });
}

/**
 * IPG_STORE_UNAVAILABLE wrapping the driver's error.
 */
export function storeUnavailable(cause: unknown): IpGateError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new IpGateError('IPG_STORE_UNAVAILABLE', `The store cannot be reached${detail}.`, { cause });
}
