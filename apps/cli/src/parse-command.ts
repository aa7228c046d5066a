import { type Entry, type EntryType, tryParseEntry } from '@ipgate/core';
import { Command, Option } from 'commander';
import { answerEachStdinLine } from './each-stdin-line.js';
import { ExitCode, worstExitCode } from './exit-code.js';
import { type CommandIo, flushAll, jsonError, printError } from './output.js';
import { readsStdin } from './stdin-argument.js';

/** Options of `ipgate parse`, as commander hands them over. */
export interface ParseOptions {
  readonly type?: EntryType | undefined;
  readonly json?: boolean | undefined;
}

const EXAMPLES = `
Examples:
  $ ipgate parse 192.168.0/16 10.0.0.0/255.0.0.0 '192.168.10.10-20' 2001:DB8::1
  192.168.0.0/16
  10.0.0.0/8
  192.168.10.10-192.168.10.20
  2001:db8::1

  $ ipgate parse --type ip 203.0.113.7          # exit 2 for anything but a single address
  $ ipgate parse --json 10.0.0.1/8              # exit 2: host bits set; the hint names 10.0.0.0/8
  $ cut -d' ' -f1 allow.txt | ipgate parse -    # one entry per line from standard input

Prints one canonical entry per line; warnings go to standard error as "warning: …", errors as
"error: …" with a hint. With --json, one object per entry on standard output:
  {"input","type","canonical","family","first","last","cidrs","warnings":[{"code","message"}]}
  {"input","error":{"code","message","hint"}}
On standard input, blank lines are skipped and spaces around an entry ignored.
Exit status: 0 when every entry parsed, 2 when any did not.`;

/**
 * `ipgate parse [--type ip|range] [--json] <entry…>`: canonical forms of entries.
 *
 * @example parseCommand(processIo()) // added to the program with program.addCommand(…)
 */
export function parseCommand(io: CommandIo): Command {
  return new Command('parse')
    .description('print the canonical form of allowlist entries (any form of the entry grammar)')
    .argument('<entry...>', 'entries to parse, or - alone to read one entry per line from standard input')
    .addOption(
      new Option('--type <type>', 'require a single address (ip) or a range form (range)').choices([
        'ip',
        'range',
      ]),
    )
    .option('--json', 'print one JSON object per entry')
    .addHelpText('after', EXAMPLES)
    .action(async (inputs: string[], options: ParseOptions) => {
      process.exitCode = await runParse(inputs, options, io);
    });
}

/**
 * Parses each entry and prints the result; the exit code says whether all parsed.
 *
 * @example await runParse(['10/8'], {}, processIo()); // prints 10.0.0.0/8, returns 0
 */
export async function runParse(
  inputs: readonly string[],
  options: ParseOptions,
  io: CommandIo,
): Promise<ExitCode> {
  let code: ExitCode = ExitCode.ok;
  if (!readsStdin(inputs, 'entry')) {
    for (const input of inputs) code = worstExitCode(code, report(input, options, io));
    await flushAll(io);
    return code;
  }
  return answerEachStdinLine(io, 'entries', (line) => report(line.trim(), options, io));
}

function report(input: string, options: ParseOptions, io: CommandIo): ExitCode {
  const result = tryParseEntry(input, { type: options.type });
  if (options.json === true) {
    io.out.json(result.ok ? entryJson(result.entry) : { input, error: jsonError(result.error) });
  } else if (result.ok) {
    io.out.line(result.entry.canonical);
    for (const w of result.entry.warnings) io.err.line(`warning: ${input}: ${w.message}`);
  } else {
    printError(io.err, result.error, input);
  }
  return result.ok ? ExitCode.ok : ExitCode.badInput;
}

function entryJson(entry: Entry): object {
  return {
    input: entry.input,
    type: entry.type,
    canonical: entry.canonical,
    family: entry.family,
    first: entry.first.toString(),
    last: entry.last.toString(),
    cidrs: entry.cidrs,
    warnings: entry.warnings.map((w) => ({ code: w.code, message: w.message })),
  };
}
