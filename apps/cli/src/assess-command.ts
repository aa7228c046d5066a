import { IpAddress, IpGateError, isIpGateError } from '@ipgate/core';
import { Command } from 'commander';
import { ExitCode } from './exit-code.js';
import { type CommandIo, flushAll, jsonError, printError } from './output.js';

/** Options of `ipgate assess`, as commander hands them over. */
export interface AssessOptions {
  readonly reviewData?: string | undefined;
  readonly json?: boolean | undefined;
}

const EXAMPLES = `
Examples:
  $ ipgate assess 1.1.1.1 2a00:1450:4001::1
  1.1.1.1
    network   1.1.1.0/24
    reserved  no
    ASN       AS13335 Cloudflare, Inc.
    country   US
    hosting   Cloudflare
  …
  $ ipgate assess --json 10.0.0.1              # {"address","network","reserved","asn","asnName","country","hosting","data"}; errors {"input","error"}
  $ ipgate assess --review-data ./newer 8.8.8.8  # newer copies of the data files (docs/review.md)

Prints what the offline network data says about each address: its /24 or /48, whether it is in
reserved space, its network operator (ASN), country, and whether the ASN is a hosting network; then
the data's date and source. These are the facts the auto mode's assessment uses (docs/review.md).
Exit status: 0 when every address parsed, 2 when any did not or the data cannot be read.`;

/**
 * `ipgate assess [--review-data <dir>] [--json] <address…>`: the network facts of addresses.
 *
 * @example assessCommand(processIo()) // added to the program with program.addCommand(…)
 */
export function assessCommand(io: CommandIo): Command {
  return new Command('assess')
    .description('print the network, ASN and country the offline data gives for addresses')
    .argument('<address...>', 'IPv4 or IPv6 addresses')
    .option(
      '--review-data <dir>',
      'a directory with newer network data files (as ipgate serve --review-data)',
    )
    .option('--json', 'print one JSON object per address')
    .addHelpText('after', EXAMPLES)
    .action(async (inputs: string[], options: AssessOptions) => {
      process.exitCode = await runAssess(inputs, options, io);
    });
}

/**
 * Loads the data once, then prints the facts of each address.
 *
 * @example await runAssess(['1.1.1.1'], {}, processIo()); // prints its facts, returns 0
 */
export async function runAssess(
  inputs: readonly string[],
  options: AssessOptions,
  io: CommandIo,
): Promise<ExitCode> {
  const parsed = inputs.map((input) => {
    try {
      return { input, address: IpAddress.parse(input) };
    } catch (e) {
      return { input, error: isIpGateError(e) ? e : new IpGateError('IPG_ADDRESS_INVALID', String(e)) };
    }
  });
  let data: Awaited<ReturnType<typeof import('@ipgate/server')['loadIpLocationData']>>;
  try {
    const { loadIpLocationData } = await import('@ipgate/server');
    data = await loadIpLocationData(options.reviewData);
  } catch (e) {
    const error = isIpGateError(e) ? e : new IpGateError('IPG_CONFIG_INVALID', String(e));
    if (options.json === true) io.out.line(JSON.stringify({ error: jsonError(error) }));
    else printError(io.err, error);
    await flushAll(io);
    return ExitCode.badInput;
  }
  let code: ExitCode = ExitCode.ok;
  for (const p of parsed) {
    if (p.address === undefined) {
      code = ExitCode.badInput;
      if (options.json === true) io.out.line(JSON.stringify({ input: p.input, error: jsonError(p.error) }));
      else printError(io.err, p.error, p.input);
      continue;
    }
    const f = data.facts(p.address);
    if (options.json === true) {
      io.out.line(JSON.stringify({ ...f, data: data.version }));
      continue;
    }
    io.out.line(f.address);
    io.out.line(`  network   ${f.network}`);
    io.out.line(`  reserved  ${f.reserved ?? 'no'}`);
    io.out.line(
      `  ASN       ${f.asn === null ? 'unknown' : `AS${f.asn}${f.asnName === null ? '' : ` ${f.asnName}`}`}`,
    );
    io.out.line(`  country   ${f.country ?? 'unknown'}`);
    io.out.line(`  hosting   ${f.hosting ?? 'no'}`);
  }
  if (options.json !== true) io.out.line(`data: ${data.version.date ?? 'none'} (${data.version.source})`);
  await flushAll(io);
  return code;
}
