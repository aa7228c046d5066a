import { decide, IpAddress, isIpGateError } from '@ipgate/core';
import { Command } from 'commander';
import { type AllowRules, loadAllowRules } from './allow-rules.js';
import { collect } from './collect.js';
import { answerEachStdinLine } from './each-stdin-line.js';
import { ExitCode } from './exit-code.js';
import { runServerCheck } from './manage/server-check.js';
import { DEFAULT_SERVER } from './manage/server-target.js';
import { type CommandIo, flushAll, jsonError, printError } from './output.js';
import { readsStdin } from './stdin-argument.js';
import { UsageError } from './usage-error.js';

/** Options of `ipgate check`, as commander hands them over. */
export interface CheckOptions {
  readonly allow?: readonly string[] | undefined;
  readonly allowFile?: readonly string[] | undefined;
  readonly json?: boolean | undefined;
  /** Set: ask a running server instead of checking against --allow rules. */
  readonly tenant?: string | undefined;
  readonly key?: string | undefined;
  readonly api?: string | undefined;
  readonly origin?: string | undefined;
  readonly server?: string | undefined;
}

const EXAMPLES = `
Examples:
  $ ipgate check 203.0.113.7 --allow 203.0.113.0/24 --allow 2001:db8::/32
  allowed 203.0.113.7 (matched 203.0.113.0/24)

  $ ipgate check 198.51.100.1 --allow-file allow.txt; echo $?
  denied 198.51.100.1
  1

  $ ipgate check --json 203.0.113.20 --allow-file allow.txt
  {"address":"203.0.113.20","allowed":true,"matched":{"input":"203.0.113.0/24","canonical":"203.0.113.0/24","name":"office"}}

  $ awk '{print $1}' access.log | ipgate check - --allow-file allow.txt

  $ ipgate check 198.51.100.7 --tenant ten_… --key key_… --api api_…    # ask a running server
  denied 198.51.100.7 (tenant ten_…, key key_…, API api_…)
    stage:   tenant-restriction (HTTP 403)
    reason:  tenant-ip-not-listed: The client address is not on the tenant's IP list.
    …

The allow file holds one entry per line, optionally followed by a name; blank lines and # comments
are skipped:
  # office and branch
  203.0.113.0/24               office
  203.0.113.5 - 203.0.113.9    branch office   # a dash range is one entry

A bad address is an error, never a deny: "error: …" on standard error, or with --json
{"address","error":{"code","message","hint"}} on standard output. Bad rules (entries, files, none
at all) are always reported on standard error, every one of them, and nothing is checked.
With -, one address per line is read from standard input (blank lines skipped, spaces around an
address ignored) and one result is printed per address; after a bad address the rest are still
checked.
With --tenant, the address is decided by a running ipgate (--server, IPGATE_SERVER, default
${DEFAULT_SERVER}; the admin token from IPGATE_TOKEN) with the rules its gateway enforces now: the
tenant's IP restriction, and with --key the key's own rules, with --api the API's allowlist, with
--origin a browser request from that Origin. --json prints the server's answer. Exit 3 when the server
cannot be reached.
Exit status: 0 allowed, 1 denied (with -: any denied), 2 bad input (bad address, entry or file, no
rules; with -: any bad line), 3 server unreachable (--tenant).`;

/**
 * `ipgate check <address|-> --allow <entry>… [--allow-file FILE]… [--json]`.
 *
 * @example program.addCommand(checkCommand(processIo()));
 */
export function checkCommand(io: CommandIo): Command {
  return new Command('check')
    .description(
      'check whether addresses are allowed by a list of entries, or by a running server (--tenant)',
    )
    .argument('<address>', 'the address to check, or - to read one address per line from standard input')
    .option('--allow <entry>', 'an allowed entry, in any form of the entry grammar (repeatable)', collect)
    .option(
      '--allow-file <file>',
      'a file of entries, one per line with an optional name (repeatable)',
      collect,
    )
    .option('--json', 'print one JSON object per address')
    .option('--tenant <tenantId>', "ask a running server how it decides for this tenant's callers")
    .option('--key <keyId>', "with --tenant: the key the request carries (the key's own rules apply)")
    .option('--api <apiId>', 'with --tenant: the API the request goes to (its allowlist applies)')
    .option('--origin <origin>', 'with --tenant: the Origin a browser would send')
    .option('--server <url>', `with --tenant: the admin listener [IPGATE_SERVER; default ${DEFAULT_SERVER}]`)
    .addHelpText('after', EXAMPLES)
    .action(async (address: string, options: CheckOptions) => {
      if (options.tenant !== undefined) {
        if (options.allow !== undefined || options.allowFile !== undefined) {
          throw new UsageError(
            '--tenant asks the server, --allow and --allow-file check a list here: give one or the other.',
          );
        }
        if (address === '-')
          throw new UsageError('with --tenant, give one address (- reads a list only with --allow).');
        await runServerCheck(address, { ...options, tenant: options.tenant }, io);
        return;
      }
      const serverOnly = (['key', 'api', 'origin', 'server'] as const).filter(
        (o) => options[o] !== undefined,
      );
      if (serverOnly.length > 0) {
        throw new UsageError(`--${serverOnly[0]} asks a running server and needs --tenant <tenantId>.`);
      }
      process.exitCode = await runCheck(address, options, io);
    });
}

/**
 * Builds the set once, then checks each address against it.
 *
 * @example await runCheck('10.1.2.3', { allow: ['10.0.0.0/8'] }, processIo()); // 0
 */
export async function runCheck(address: string, options: CheckOptions, io: CommandIo): Promise<ExitCode> {
  const stdin = readsStdin([address], 'address');
  const loaded = await loadAllowRules(options.allow ?? [], options.allowFile ?? []);
  if (!loaded.ok) {
    for (const error of loaded.errors) printError(io.err, error);
    await flushAll(io);
    return ExitCode.badInput;
  }
  const { rules } = loaded;
  if (!stdin) {
    const code = checkOne(address, rules, options, io);
    await flushAll(io);
    return code;
  }
  return answerEachStdinLine(io, 'addresses', (line) => checkOne(line.trim(), rules, options, io));
}

function checkOne(input: string, rules: AllowRules, options: CheckOptions, io: CommandIo): ExitCode {
  let address: IpAddress;
  try {
    address = IpAddress.parse(input);
  } catch (error) {
    if (!isIpGateError(error)) throw error;
    if (options.json === true) io.out.json({ address: input, error: jsonError(error) });
    else printError(io.err, error, input);
    return ExitCode.badInput;
  }
  // The same decision function as the gateway and the middlewares: the rules act as an IP restriction
  // that is on, so an address they do not list is denied.
  const decision = decide({
    client: address.unmap(),
    origin: { kind: 'server' },
    tenant: { mode: 'manual', list: rules.set },
  });
  const match = decision.matched[0];
  const entry = match === undefined ? undefined : rules.entries[match.index];
  if (options.json === true) {
    io.out.json({
      address: input,
      allowed: match !== undefined,
      matched:
        entry === undefined
          ? null
          : {
              input: entry.input,
              canonical: entry.canonical,
              ...(match?.name === undefined ? {} : { name: match.name }),
            },
    });
  } else if (entry === undefined) {
    io.out.line(`denied ${input}`);
  } else {
    const name = match?.name === undefined ? '' : ` ${JSON.stringify(match.name)}`;
    io.out.line(`allowed ${input} (matched ${entry.canonical}${name})`);
  }
  return entry === undefined ? ExitCode.denied : ExitCode.ok;
}
