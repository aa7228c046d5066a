import { IpGateError } from './ip-gate-error.js';

/**
 * The error for an unusable setting (`IPG_CONFIG_INVALID`): which setting, what is wrong with it, and
 * how to write it. One helper, so every package words these the same way.
 *
 * @example
 * throw configError('hops', 'hops must be a whole number from 1 to 64, not 0.', 'Count the proxies in front of the service.');
 */
export function configError(field: string, message: string, hint: string, cause?: unknown): IpGateError {
  return new IpGateError('IPG_CONFIG_INVALID', message, {
    field,
    hint,
    ...(cause === undefined ? {} : { cause }),
  });
}
