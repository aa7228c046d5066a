import { IpGateError } from '@ipgate/core';
import { expect } from 'vitest';

/**
 * The IPG_CONFIG_INVALID error `run` throws; fails the test when it throws anything else or nothing.
 *
 * @example expect(configError(() => loadSettings({ flags: { listen: 'x' } })).message).toMatch(/listen/);
 */
export function configError(run: () => unknown): IpGateError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(IpGateError);
    expect((e as IpGateError).code).toBe('IPG_CONFIG_INVALID');
    return e as IpGateError;
  }
  throw new Error('expected IPG_CONFIG_INVALID');
}
