/**
 * The exit codes every command shares, so scripts can branch on them.
 *
 * - `ok` (0): allowed, or everything parsed.
 * - `denied` (1): at least one address was denied; nothing was wrong with the input.
 * - `badInput` (2): bad arguments, entries, addresses, files or lines. Beats `denied`, because a
 *   result computed from bad input must not read as a plain "no".
 * - `internal` (70, EX_SOFTWARE): a bug in ipgate; never 1, so that a crash cannot pass for a deny.
 *
 * @example
 * process.exitCode = worstExitCode(ExitCode.denied, ExitCode.ok); // 1
 */
export const ExitCode = { ok: 0, denied: 1, badInput: 2, internal: 70 } as const;

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
