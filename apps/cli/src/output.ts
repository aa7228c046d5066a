import { type IpGateError, isIpGateError } from '@ipgate/core';

/**
 * Collects lines for one stream and writes them in one `write` per batch, waiting for `drain`.
 *
 * Waiting for `drain` keeps memory flat when stdout is a slow pipe, and keeps the process from
 * ending before its output is out: commands set `process.exitCode` and return instead of exiting.
 *
 * @example
 * const out = new LineWriter(process.stdout);
 * out.line('10.0.0.0/8');
 * await out.flush();
 */
export class LineWriter {
  private pending: string[] = [];

  constructor(private readonly stream: NodeJS.WritableStream) {}

  /** Queues one line; nothing is written until {@link flush}. */
  line(text: string): void {
    this.pending.push(text, '\n');
  }

  /** Queues a value as one line of JSON. */
  json(value: unknown): void {
    this.line(JSON.stringify(value));
  }

  /** Writes the queued lines and resolves once the stream can take more. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    if (!this.stream.write(chunk)) await drained(this.stream);
  }
}

/** The two streams a command writes to. */
export interface CommandIo {
  readonly stdin: AsyncIterable<string | Buffer>;
  readonly out: LineWriter;
  readonly err: LineWriter;
}

/**
 * The I/O of the running process.
 */
export function processIo(): CommandIo {
  return { stdin: process.stdin, out: new LineWriter(process.stdout), err: new LineWriter(process.stderr) };
}

/** Flushes both output streams, stdout first. */
export async function flushAll(io: CommandIo): Promise<void> {
  await io.out.flush();
  await io.err.flush();
}

function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    // A closed or failed stream never drains; give up waiting instead of hanging.
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}

/** An error as the `--json` outputs carry it; `hint` is null rather than absent, for a fixed shape. */
export interface JsonError {
  readonly code: string;
  readonly message: string;
  readonly hint: string | null;
}

/**
 * The JSON form of an error.
 *
 * @example jsonError(parseEntryError); // { code: 'IPG_ENTRY_HOST_BITS', message: '…', hint: '…' }
 */
export function jsonError(error: IpGateError): JsonError {
  return { code: error.code, message: error.message, hint: error.hint ?? null };
}

/**
 * Queues `error: <message>` and, when there is one, `  hint: <hint>`.
 *
 * `input` names the offending text when the message does not already quote it, so every error says
 * what it is about.
 *
 * @example printError(io.err, error, '10.0.0.1/8');
 */
export function printError(err: LineWriter, error: IpGateError | Error, input?: string): void {
  const named = input === undefined || error.message.includes(input) ? '' : `${JSON.stringify(input)}: `;
  err.line(`error: ${named}${error.message}`);
  if (isIpGateError(error) && error.hint !== undefined) err.line(`  hint: ${error.hint}`);
}
