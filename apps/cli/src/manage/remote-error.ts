import { ExitCode } from '../exit-code.js';

/** What a {@link RemoteError} carries besides its message. */
export interface RemoteErrorDetails {
  /** The API's code (`IPG_…`), or `IPG_SERVER_UNREACHABLE` when no usable answer came. */
  readonly code: string;
  /** The HTTP status, or null when no answer came. */
  readonly status: number | null;
  /** The request field the API named. */
  readonly field?: string | undefined;
  /** The command-line option or argument that sets that field. */
  readonly option?: string | undefined;
  /** How to fix it: the command's advice, else the API's hint. */
  readonly hint?: string | undefined;
  readonly exitCode: ExitCode;
}

/**
 * A management request that failed: refused by the server (its `{"error": …}` body) or with no usable
 * answer at all. The message is the API's own; the hint says what to do from the command line.
 *
 * @example
 * throw new RemoteError('The admin token is not valid.', { code: 'IPG_AUTH_REQUIRED', status: 401, exitCode: 1 });
 */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  readonly code: string;
  readonly status: number | null;
  readonly field: string | undefined;
  readonly option: string | undefined;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(message: string, details: RemoteErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.code = details.code;
    this.status = details.status;
    this.field = details.field;
    this.option = details.option;
    this.hint = details.hint;
    this.exitCode = details.exitCode;
  }
}

/**
 * The exit code for an answer of the management API: 400 and the other "your request is malformed"
 * statuses are bad input (2); the other refusals (401, 403, 404, 409, 412, …) are for the user to read
 * (1); a failing server (5xx) is as good as none (3).
 *
 * @example exitCodeForStatus(412); // 1
 */
export function exitCodeForStatus(status: number): ExitCode {
  if (status >= 500) return ExitCode.unreachable;
  if (status === 400 || status === 413 || status === 414 || status === 415 || status === 422) {
    return ExitCode.badInput;
  }
  return ExitCode.denied;
}
