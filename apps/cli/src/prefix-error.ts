import { IpGateError } from '@ipgate/core';

/**
 * The same error, with its message prefixed by where the input came from (`--allow: `, `line 3: `).
 * Code, hint and input are kept, so JSON output and exit codes do not change.
 *
 * @example prefixError(error, '--trust: ').message; // '--trust: "10.0.0.1/8" has host bits set after /8.'
 */
export function prefixError(error: IpGateError, prefix: string): IpGateError {
  return new IpGateError(error.code, prefix + error.message, {
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    ...(error.input === undefined ? {} : { input: error.input }),
    ...(error.field === undefined ? {} : { field: error.field }),
    cause: error,
  });
}
