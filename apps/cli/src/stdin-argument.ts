import { UsageError } from './usage-error.js';

/**
 * True when the positional arguments are the lone `-` that means "read standard input".
 *
 * `-` mixed with other arguments is refused rather than read as an entry or address, because either
 * reading would surprise half the people who type it.
 *
 * @example readsStdin(['-'], 'entry'); // true
 * @example readsStdin(['10/8', '-'], 'entry'); // throws UsageError
 */
export function readsStdin(args: readonly string[], what: string): boolean {
  if (!args.includes('-')) return false;
  if (args.length === 1) return true;
  throw new UsageError(`"-" reads one ${what} per line from standard input and must be the only ${what}.`);
}
