import { type ErrorCode, errors } from './catalogue.js';

export interface IpGateErrorOptions {
  /** How to write it right, for people. Shown under the message. */
  readonly hint?: string;
  /** The offending input, verbatim. */
  readonly input?: string;
  /** The field or setting the input came from, when there is one. */
  readonly field?: string;
  /** Position of the input in a list, when it came from one. */
  readonly index?: number;
  readonly cause?: unknown;
}

/**
 * The one error type ipgate throws for bad input and bad configuration.
 *
 * Anything else escaping from ipgate code is a bug: the fuzz target asserts exactly that.
 *
 * @example
 * try {
 *   parseEntry('10.0.0.1/8');
 * } catch (e) {
 *   if (e instanceof IpGateError && e.code === 'IPG_ENTRY_HOST_BITS') console.error(e.message, e.hint);
 * }
 */
export class IpGateError extends Error {
  override readonly name = 'IpGateError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly input: string | undefined;
  readonly field: string | undefined;
  readonly index: number | undefined;

  constructor(code: ErrorCode, message: string, options: IpGateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.input = options.input;
    this.field = options.field;
    this.index = options.index;
  }

  /** The HTTP status the management API answers this error with. */
  get status(): number {
    return errors[this.code].status;
  }

  /** A copy that says where in a list, or in which field, the input was. */
  withContext(context: { readonly index?: number; readonly field?: string }): IpGateError {
    const index = context.index ?? this.index;
    const field = context.field ?? this.field;
    const prefix = context.index === undefined ? '' : `entry ${context.index + 1}: `;
    return new IpGateError(this.code, prefix + this.message, {
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.input === undefined ? {} : { input: this.input }),
      ...(field === undefined ? {} : { field }),
      ...(index === undefined ? {} : { index }),
      cause: this,
    });
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; field?: string; index?: number } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(this.index === undefined ? {} : { index: this.index }),
    };
  }
}

/** True when `value` is an {@link IpGateError}, also across realms and duplicate package copies. */
export function isIpGateError(value: unknown): value is IpGateError {
  return (
    value instanceof IpGateError ||
    (value instanceof Error && value.name === 'IpGateError' && 'code' in value)
  );
}
