/**
 * The exit codes every command shares, so scripts can branch on them.
 *
 * - `ok` (0): allowed, or everything parsed, or the server did what was asked.
 * - `denied` (1): at least one address was denied, or the server refused the request for a reason
 *   to read (token unknown or too weak, not found, a limit, a conflicting edit, a lockout guard);
 *   nothing was wrong with the input's form.
 * - `badInput` (2): bad arguments, entries, addresses, files or lines, a setting missing or wrong
 *   (`IPGATE_TOKEN`, `--server`), or a request the server found malformed (400). Beats `denied`,
 *   because a result computed from bad input must not read as a plain "no".
 * - `unreachable` (3): the management API could not be used: nothing listens at `--server`, no
 *   answer in time, an answer that is not the management API's, or the server failing (5xx).
 * - `internal` (70, EX_SOFTWARE): a bug in ipgate; never 1, so that a crash cannot pass for a deny.
 *
 * @example
 * process.exitCode = worstExitCode(ExitCode.denied, ExitCode.ok); // 1
 */
export const ExitCode = { ok: 0, denied: 1, badInput: 2, unreachable: 3, internal: 70 } as const;

/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The exit code for several results together: bad input over denied over ok.
 *
 * @example worstExitCode(ExitCode.ok, ExitCode.badInput, ExitCode.denied); // 2
 */
export function worstExitCode(...codes: ExitCode[]): ExitCode {
  let worst: ExitCode = ExitCode.ok;
  for (const code of codes) if (code > worst) worst = code;
  return worst;
}
