import { isIpGateError } from '@ipgate/core';
import { Command } from 'commander';
import { ExitCode } from '../exit-code.js';
import { type CommandIo, flushAll } from '../output.js';
import { UsageError } from '../usage-error.js';
import { AdminClient } from './admin-client.js';
import { RemoteError } from './remote-error.js';
import { DEFAULT_SERVER, serverTarget } from './server-target.js';
import { terminalText } from './terminal-text.js';

/** The options every management command has. */
export interface RemoteOptions {
  readonly server?: string | undefined;
  readonly json?: boolean | undefined;
}

/** What a management command's work gets. */
export interface RemoteContext {
  readonly client: AdminClient;
  /** True with --json: print one JSON document on standard output and nothing else. */
  readonly json: boolean;
  /**
   * Prints the result: with --json the document, else the human lines.
   */
  emit(document: unknown, human: () => readonly string[]): void;
  /** A warning for people (on standard error); with --json it is in the document instead. */
  warn(message: string): void;
  /** A note for people (on standard error), e.g. how to see the next page. */
  note(message: string): void;
  /** The exit code when the work completes (default 0), e.g. 1 for a check that denied. */
  exitWith(code: ExitCode): void;
}

/**
 * A management subcommand with `--server` and `--json`; the token comes from IPGATE_TOKEN.
 *
 * @example remoteCommand('list', 'list tenants').action(…)
 */
export function remoteCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .option(
      '--server <url>',
      `the admin listener of a running ipgate serve [IPGATE_SERVER; default ${DEFAULT_SERVER}]`,
    )
    .option('--json', 'print one JSON document (the API answer) instead of text');
}

/**
 * Runs a management command's work and turns every way it can end into output and an exit code:
 * refusals of the server (its message, field and what to do), a server that cannot be reached, a
 * setting that is missing (IPGATE_TOKEN) or wrong (--server). Usage mistakes go to standard error as
 * text even with --json, as commander's own do.
 *
 * @example
 * .action((options) => runRemote(io, options, async (ctx) => { … }))
 */
export async function runRemote(
  io: CommandIo,
  options: RemoteOptions,
  work: (ctx: RemoteContext) => Promise<void>,
): Promise<void> {
  const json = options.json === true;
  let code: ExitCode = ExitCode.ok;
  try {
    const client = new AdminClient(serverTarget(options.server, process.env));
    const ctx: RemoteContext = {
      client,
      json,
      emit(document, human) {
        if (json) io.out.line(JSON.stringify(document, null, 2));
        else for (const line of human()) io.out.line(line);
      },
      warn(message) {
        if (!json) io.err.line(`warning: ${terminalText(message)}`);
      },
      note(message) {
        if (!json) io.err.line(message);
      },
      exitWith(exit) {
        code = exit;
      },
    };
    await work(ctx);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (error instanceof RemoteError) {
      printRemoteError(io, json, error);
      code = error.exitCode;
    } else if (isIpGateError(error)) {
      printRemoteError(
        io,
        json,
        new RemoteError(error.message, {
          code: error.code,
          status: null,
          field: error.field,
          option: error.field,
          hint: error.hint,
          exitCode: ExitCode.badInput,
        }),
      );
      code = ExitCode.badInput;
    } else {
      throw error;
    }
  }
  await flushAll(io);
  process.exitCode = code;
}

function printRemoteError(io: CommandIo, json: boolean, error: RemoteError): void {
  if (json) {
    io.out.line(
      JSON.stringify(
        {
          error: {
            code: error.code,
            message: error.message,
            field: error.field ?? null,
            option: error.option ?? null,
            hint: error.hint ?? null,
            status: error.status,
          },
        },
        null,
        2,
      ),
    );
    return;
  }
  io.err.line(`error: ${terminalText(error.message)}`);
  if (error.field !== undefined) {
    const option = error.option === undefined || error.option === error.field ? '' : ` (${error.option})`;
    io.err.line(`  field: ${terminalText(error.field)}${option}`);
  }
  if (error.hint !== undefined) io.err.line(`  hint: ${terminalText(error.hint)}`);
  if (error.status !== null) io.err.line(`  (${error.code}, HTTP ${error.status})`);
  else io.err.line(`  (${error.code})`);
}
