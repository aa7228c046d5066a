/**
 * A mistake on the command line that commander cannot see (options that only make sense together,
 * an argument that must stand alone). Reported as `error: <message>` with exit code 2.
 *
 * @example
 * throw new UsageError('"-" reads from standard input and must be the only entry.');
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
