import { isIpGateError } from '@ipgate/core';
import { Command, CommanderError } from 'commander';
import { adminTokenCommand } from './admin-token-command.js';
import { assessCommand } from './assess-command.js';
import { checkCommand } from './check-command.js';
import { clientIpCommand } from './client-ip-command.js';
import { ExitCode } from './exit-code.js';
import { apisCommand } from './manage/apis-command.js';
import { entriesCommand } from './manage/entries-command.js';
import { keysCommand } from './manage/keys-command.js';
import { observedCommand } from './manage/observed-command.js';
import { requestsCommand } from './manage/requests-command.js';
import { simulateCommand } from './manage/simulate-command.js';
import { tenantsCommand } from './manage/tenants-command.js';
import { type CommandIo, flushAll, printError } from './output.js';
import { parseCommand } from './parse-command.js';
import { serveCommand } from './serve-command.js';
import { UsageError } from './usage-error.js';
import { usersCommand } from './users-command.js';
import { cliVersion } from './version.js';

const EXAMPLES = `
Examples:
  $ ipgate parse '192.168.0/16' '10.0.0.0/255.0.0.0' '192.168.10.10-20' '2001:DB8::1'
  $ ipgate check 203.0.113.7 --allow 203.0.113.0/24 --allow 2001:db8::/32
  $ ipgate assess 1.1.1.1              # network, ASN and country from the offline data
  $ ipgate client-ip --remote 10.0.0.5 --trust 10.0.0.0/8 --header 'X-Forwarded-For: 198.51.100.7, 10.0.0.9'
  $ ipgate serve --demo
  $ ipgate admin-token create --owner   # lost the owner token? a new one, from the data directory or database
  $ ipgate users add ana --role editor  # a web console user (prints a generated password once)
  $ export IPGATE_TOKEN=ipg_adm_…    # the admin token ipgate serve printed; read from here only
  $ ipgate tenants list
  $ ipgate entries add 203.0.113.0/24 --tenant ten_… --name office
  $ ipgate check 203.0.113.7 --tenant ten_… --key key_…
  $ ipgate requests show req_… --tenant ten_…       # a denial's requestId: stage, reason, entries matched
  $ ipgate simulate --tenant ten_… --remove ent_…   # what the change would do to recorded traffic

The management commands (tenants, apis, keys, entries, observed, requests, check --tenant, simulate) talk to a running
ipgate serve: --server <url> or IPGATE_SERVER (default http://127.0.0.1:8081, the admin listener),
the admin token from IPGATE_TOKEN. Each has --json for one JSON document instead of text.
Run "ipgate <command> --help" for a command's options and examples.

Exit status:
  0   ok, or allowed
  1   denied (simulate: the draft would deny requests allowed now), or refused by the server for a
      reason to read (token unknown or too weak, not found, a limit, a concurrent change, the lockout guard)
  2   bad input or usage (arguments, entries, files; IPGATE_TOKEN or --server missing or wrong;
      a request the server found malformed)
  3   the server cannot be used: nothing listens at --server, no answer in time, not ipgate's
      management API there, or the server failing (5xx)
  70  internal error in ipgate (a bug: please report it)`;

/**
 * The `ipgate` program with its commands. Commander never exits the process itself; {@link runCli}
 * turns its errors into exit codes.
 *
 * @example await createProgram(processIo()).parseAsync(process.argv);
 */
export function createProgram(io: CommandIo): Command {
  const program = new Command('ipgate')
    .description(
      'Decide who may call an API by network address: run the gateway, manage it from the shell, parse entries, check addresses, find client addresses.',
    )
    .version(cliVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage and examples)')
    .addHelpText('after', EXAMPLES);
  for (const command of [
    parseCommand(io),
    checkCommand(io),
    clientIpCommand(io),
    assessCommand(io),
    serveCommand(io),
    adminTokenCommand(io),
    usersCommand(io),
    tenantsCommand(io),
    apisCommand(io),
    keysCommand(io),
    entriesCommand(io),
    observedCommand(io),
    requestsCommand(io),
    simulateCommand(io),
  ]) {
    program.addCommand(command.copyInheritedSettings(program));
    // Subcommands (admin-token create, tenants list, …) too: commander must throw, not exit, on their errors.
    for (const sub of command.commands) sub.copyInheritedSettings(command);
  }
  return program;
}

/**
 * Runs the command line and returns the exit code; output is flushed, nothing calls `process.exit`.
 *
 * Commander's own errors (unknown option, missing argument, bad choice) have printed their message
 * already and become exit code 2; `--help` and `--version` are 0.
 *
 * @example process.exitCode = await runCli(process.argv, processIo());
 */
export async function runCli(argv: readonly string[], io: CommandIo): Promise<number> {
  try {
    await createProgram(io).parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
    if (error instanceof UsageError || isIpGateError(error)) {
      printError(io.err, error);
      await flushAll(io);
      return ExitCode.badInput;
    }
    io.err.line(
      `error: internal error in ipgate, please report it: ${error instanceof Error ? error.stack : String(error)}`,
    );
    await flushAll(io);
    return ExitCode.internal;
  }
}
