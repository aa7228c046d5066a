import {
  type ClientAddressStrategy,
  type ForwardingHeader,
  IpAddress,
  type IpGateError,
  isIpGateError,
} from '@ipgate/core';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  chooseStrategy,
  forwardingHeaders,
  type StrategyChoice,
  type StrategyResult,
} from './client-address-strategy.js';
import { type ClientIpRequest, parseClientIpRequest } from './client-ip-request.js';
import { collect } from './collect.js';
import { answerEachStdinLine } from './each-stdin-line.js';
import { ExitCode } from './exit-code.js';
import { headersFromOptions, type RequestHeaders } from './header-option.js';
import { type CommandIo, flushAll, jsonError, printError } from './output.js';
import { prefixError } from './prefix-error.js';
import { UsageError } from './usage-error.js';

/** Options of `ipgate client-ip`, as commander hands them over. */
export interface ClientIpOptions {
  readonly remote?: string | undefined;
  readonly trust?: readonly string[] | undefined;
  readonly hops?: number | undefined;
  readonly source?: ForwardingHeader | undefined;
  readonly header?: readonly string[] | undefined;
  readonly json?: boolean | undefined;
}

const EXAMPLES = `
Examples:
  $ ipgate client-ip --remote 10.0.0.5 --trust 10.0.0.0/8 --header 'X-Forwarded-For: 198.51.100.7, 10.0.0.9'
  198.51.100.7

  # The peer is not a trusted proxy, so the header it sent is ignored:
  $ ipgate client-ip --remote 198.51.100.7 --trust 10.0.0.0/8 --header 'X-Forwarded-For: 1.2.3.4'
  198.51.100.7

  $ ipgate client-ip --remote 10.0.0.5 --trust 10.0.0.0/8 --source forwarded --header 'Forwarded: for="[2001:db8::7]:443"'
  2001:db8::7

  $ ipgate client-ip --remote 10.0.0.5 --hops 2 --header 'X-Forwarded-For: 198.51.100.7'
  denied: too-few-hops (…)

  $ echo '{"remote":"10.0.0.5","headers":{"x-forwarded-for":"198.51.100.7"},"trusted":["10.0.0.0/8"]}' | ipgate client-ip --json -
  {"client":"198.51.100.7","reason":null,"via":"header","sawForwardingHeaders":true}

Without --trust or --hops the client is the socket peer (--remote) and headers are ignored.
--header may be repeated; the same name twice gives two lines of that header.

With -, each line of standard input is one JSON object:
  {"remote":"…","headers":{"name":"value" or ["line","line"]},"trusted":["…"],"source":"…","hops":n}
"headers", "trusted", "source" and "hops" are optional; a line with none of the last three uses
--trust/--hops/--source from the command line. One result is printed per line (blank lines skipped).
With --json a result is {"client":"…","reason":null,"via":"socket"|"header","sawForwardingHeaders":…}
when an address was found, and {"client":null,"reason":"<why>","detail":"…","sawForwardingHeaders":…}
when the request is denied; a bad line prints {"line":n,"error":{"code","message","hint"}} and the
rest are still read.
Exit status: 0 client found, 1 denied (with -: any denied), 2 bad options (with -: any bad line).`;

const CLI_LABEL = { trusted: '--trust', hops: '--hops', source: '--source' } as const;
const LINE_LABEL = { trusted: '"trusted"', hops: '"hops"', source: '"source"' } as const;

/**
 * `ipgate client-ip --remote ADDR [--trust CIDR…|--hops N] [--source …] [--header 'Name: value'…] [--json] [-]`.
 *
 * @example program.addCommand(clientIpCommand(processIo()));
 */
export function clientIpCommand(io: CommandIo): Command {
  return new Command('client-ip')
    .description('find the client address of a request, from its socket peer and forwarding headers')
    .argument('[-]', 'read one JSON request per line from standard input instead of --remote and --header')
    .option('--remote <address>', 'the socket peer: the address the connection came from')
    .addOption(
      new Option('--trust <cidr>', 'a trusted proxy address or range (repeatable)')
        .argParser(collect)
        .conflicts('hops'),
    )
    .addOption(new Option('--hops <n>', 'the number of proxies in front of the service').argParser(parseHops))
    .addOption(
      new Option('--source <header>', 'the forwarding header to read (default: x-forwarded-for)').choices(
        forwardingHeaders,
      ),
    )
    .option('--header <line>', "a request header, 'Name: value' (repeatable)", collect)
    .option('--json', 'print one JSON object per request')
    .addHelpText('after', EXAMPLES)
    .action(async (input: string | undefined, options: ClientIpOptions) => {
      process.exitCode = await runClientIp(input, options, io);
    });
}

/**
 * Resolves the client address of one request given on the command line, or of each JSON line.
 *
 * @example await runClientIp(undefined, { remote: '10.0.0.5' }, processIo()); // prints 10.0.0.5
 */
export async function runClientIp(
  input: string | undefined,
  options: ClientIpOptions,
  io: CommandIo,
): Promise<ExitCode> {
  if (input !== undefined && input !== '-') {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(input)}: give --remote <address>, or - to read JSON lines from standard input.`,
    );
  }
  const base = chooseStrategy(
    { trusted: options.trust, hops: options.hops, source: options.source },
    CLI_LABEL,
  );
  if (!base.ok) {
    for (const error of base.errors) printError(io.err, error);
    await flushAll(io);
    return ExitCode.badInput;
  }
  const code =
    input === undefined ? resolveOptions(options, base, io) : await resolveLines(options, base, io);
  await flushAll(io);
  return code;
}

function resolveOptions(
  options: ClientIpOptions,
  base: StrategyResult & { ok: true },
  io: CommandIo,
): ExitCode {
  if (options.remote === undefined) {
    throw new UsageError(
      '--remote <address> is required (or give - to read JSON lines from standard input).',
    );
  }
  const headers = headersFromOptions(options.header ?? []);
  const error = remoteError(options.remote, '--remote: ');
  if (error !== undefined) {
    if (options.json === true) io.out.json({ error: jsonError(error) });
    else printError(io.err, error);
    return ExitCode.badInput;
  }
  return report(base, options.remote, headers, options, io, '');
}

async function resolveLines(
  options: ClientIpOptions,
  base: StrategyResult & { ok: true },
  io: CommandIo,
): Promise<ExitCode> {
  if (options.remote !== undefined || options.header !== undefined) {
    throw new UsageError(
      'with -, each JSON line carries its own "remote" and "headers"; leave out --remote and --header.',
    );
  }
  // Few distinct proxy settings recur over many lines; compile each once.
  const strategies = new Map<string, StrategyResult>();
  return answerEachStdinLine(io, 'requests', (line, lineNumber) => {
    const where = `line ${lineNumber}: `;
    const prepared = prepareLine(line, base, strategies);
    if (!prepared.ok) {
      for (const error of prepared.errors) {
        if (options.json === true) io.out.json({ line: lineNumber, error: jsonError(error) });
        else printError(io.err, prefixError(error, where));
      }
      return ExitCode.badInput;
    }
    const { chosen, request } = prepared;
    return report(chosen, request.remote, request.headers, options, io, where);
  });
}

function report(
  chosen: { readonly strategy: ClientAddressStrategy; readonly trustsProxies: boolean },
  remote: string,
  headers: RequestHeaders,
  options: ClientIpOptions,
  io: CommandIo,
  where: string,
): ExitCode {
  const r = chosen.strategy.resolve(remote, headers);
  if (options.json === true) {
    io.out.json(
      r.ok
        ? {
            client: r.address.toString(),
            reason: null,
            via: r.via,
            sawForwardingHeaders: r.sawForwardingHeaders,
          }
        : { client: null, reason: r.reason, detail: r.detail, sawForwardingHeaders: r.sawForwardingHeaders },
    );
  } else if (r.ok) {
    io.out.line(r.address.toString());
    if (!chosen.trustsProxies && r.sawForwardingHeaders) {
      io.err.line(
        `warning: ${where}the request carries forwarding headers, but no proxy is trusted, so they were ignored ` +
          'and the socket peer is the client; give --trust or --hops if a proxy forwards to this service.',
      );
    }
  } else {
    io.out.line(`denied: ${r.reason} (${r.detail})`);
  }
  return r.ok ? ExitCode.ok : ExitCode.denied;
}

function prepareLine(
  line: string,
  base: StrategyResult & { ok: true },
  strategies: Map<string, StrategyResult>,
):
  | { ok: true; chosen: StrategyResult & { ok: true }; request: ClientIpRequest }
  | { ok: false; errors: readonly IpGateError[] } {
  const parsed = parseClientIpRequest(line);
  if (!parsed.ok) return { ok: false, errors: [parsed.error] };
  const { request } = parsed;
  const chosen = request.choice === undefined ? base : cached(strategies, request.choice);
  if (!chosen.ok) return chosen;
  const error = remoteError(request.remote, '"remote": ');
  if (error !== undefined) return { ok: false, errors: [error] };
  return { ok: true, chosen, request };
}

function cached(strategies: Map<string, StrategyResult>, choice: StrategyChoice): StrategyResult {
  const key = JSON.stringify([choice.trusted, choice.hops, choice.source]);
  let strategy = strategies.get(key);
  if (strategy === undefined) {
    if (strategies.size >= 256) strategies.clear();
    strategy = chooseStrategy(choice, LINE_LABEL);
    strategies.set(key, strategy);
  }
  return strategy;
}

/** A socket peer that is not an address is a mistake in the input, not a request to deny. */
function remoteError(remote: string, prefix: string): IpGateError | undefined {
  try {
    IpAddress.parse(remote);
    return undefined;
  } catch (error) {
    if (!isIpGateError(error)) throw error;
    return prefixError(error, prefix);
  }
}

function parseHops(value: string): number {
  if (!/^(?:0|[1-9][0-9]{0,5})$/.test(value)) {
    throw new InvalidArgumentError('give the number of proxies as a whole number, like 1.');
  }
  return Number(value);
}
