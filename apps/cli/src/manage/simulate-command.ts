import { parseAllowList, RESTRICTION_MODES } from '@ipgate/core';
import { type Command, InvalidArgumentError } from 'commander';
import { collect } from '../collect.js';
import { ExitCode } from '../exit-code.js';
import type { CommandIo } from '../output.js';
import { UsageError } from '../usage-error.js';
import { readFileArgument } from './file-argument.js';
import { listTarget, type TargetOptions } from './list-target.js';
import { onOff, wholeNumber } from './option-parsers.js';
import { type RemoteOptions, remoteCommand, runRemote } from './remote-command.js';
import { table } from './table.js';

const EXAMPLES = `
Examples:
  $ ipgate simulate --tenant ten_… --remove ent_… --add 198.51.100.0/24
  $ ipgate simulate --tenant ten_… --replace-file office-networks.txt --since 7d
  $ ipgate simulate --tenant ten_… --mode manual            # what leaving mode off would do
  $ ipgate simulate --api api_… --add 10.0.0.0/8 --json
  $ ipgate simulate --tenant ten_… --key key_… --restriction on --add 203.0.113.7
  $ ipgate simulate --tenant ten_… --key key_… --domains --add '*.example.com'

Decides the requests the server recorded in the window (default: the last 24 hours) with the rules in
force and with the draft, and prints what would flip: requests, addresses and keys, the top addresses,
and the draft's entries no request would match. Nothing is changed. Exit 0 when the draft denies no
request that is allowed now, 1 when it would deny some (so a script can stop before the change),
2 for bad input, 3 when the server cannot be used.`;

interface Options extends RemoteOptions, TargetOptions {
  readonly add?: readonly string[] | undefined;
  readonly remove?: readonly string[] | undefined;
  readonly replaceFile?: string | undefined;
  readonly mode?: string | undefined;
  readonly restriction?: boolean | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly top?: number | undefined;
  readonly maxRequests?: number | undefined;
}

/** What the server answers (the simulate routes' schema). */
interface Flip {
  readonly requests: number;
  readonly requestsWithoutKey: number;
  readonly addresses: number;
  readonly keys: number;
  readonly topAddresses: readonly { readonly address: string; readonly requests: number }[];
  readonly exact: boolean;
}
interface Simulation {
  readonly window: { readonly since: string; readonly until: string };
  readonly requests: {
    readonly examined: number;
    readonly decided: number;
    readonly undecidable: number;
    readonly allowedNow: number;
    readonly allowedWithDraft: number;
  };
  readonly allowedToDenied: Flip;
  readonly deniedToAllowed: Flip;
  readonly unmatchedEntries: readonly {
    readonly id: string | null;
    readonly value: string;
    readonly name: string;
  }[];
  readonly truncated: boolean;
}

const OPTIONS: Record<string, string> = {
  draft: '--add/--remove/--replace-file',
  'draft.replace': '--replace-file',
  mode: '--mode',
  restrictionEnabled: '--restriction',
  since: '--since',
  until: '--until',
  top: '--top',
  maxRequests: '--max-requests',
};

/**
 * `ipgate simulate`: a draft of one list against the server's recorded traffic
 * (docs/architecture/pipeline.md#simulating-a-change).
 *
 * @example program.addCommand(simulateCommand(processIo()));
 */
export function simulateCommand(io: CommandIo): Command {
  return remoteCommand('simulate', 'what a change of one list would have done to the recorded traffic')
    .option('--tenant <tenantId>', "a tenant's IP list (with --key: the key's tenant)")
    .option('--api <apiId>', "an API's network allowlist")
    .option('--key <keyId>', "a key's own IP rules (with --tenant)")
    .option('--domains', "with --key: the key's domain rules instead of its IP rules")
    .option('--add <value>', 'an entry the draft adds (repeatable)', collect)
    .option('--remove <entryId>', 'an entry the draft removes (repeatable)', collect)
    .option(
      '--replace-file <file>',
      'the whole list as the draft has it: one entry per line, a name after it, # comments (- reads standard input)',
    )
    .option('--mode <mode>', 'tenant lists: the mode under the draft (off, manual, auto)', mode)
    .option('--restriction <on|off>', "key lists: the key's switch for this list under the draft", onOff)
    .option(
      '--since <time>',
      'start of the window: a time with a zone, or 90m, 12h, 7d ago (default 24h)',
      pastTime,
    )
    .option('--until <time>', 'end of the window (default now)', pastTime)
    .option('--top <n>', 'addresses listed per flip (default 10, at most 100)', wholeNumber(1))
    .option('--max-requests <n>', 'most recorded requests read (default 1,000,000)', wholeNumber(1))
    .addHelpText('after', EXAMPLES)
    .action((o: Options) =>
      runRemote(io, o, async (ctx) => {
        const target = listTarget(o);
        if (o.mode !== undefined && target.kind !== 'tenant')
          throw new UsageError('--mode is for a tenant list (--tenant without --key).');
        if (o.restriction !== undefined && !target.kind.startsWith('key-'))
          throw new UsageError('--restriction is for a key list (--tenant and --key).');
        const draft = await draftOf(o, io);
        const body = {
          draft,
          ...(o.mode === undefined ? {} : { mode: o.mode }),
          ...(o.restriction === undefined ? {} : { restrictionEnabled: o.restriction }),
          ...(o.since === undefined ? {} : { since: o.since }),
          ...(o.until === undefined ? {} : { until: o.until }),
          ...(o.top === undefined ? {} : { top: o.top }),
          ...(o.maxRequests === undefined ? {} : { maxRequests: o.maxRequests }),
        };
        // The simulate route sits beside a list's entries (tenant, API) or at the end of its path (key lists).
        const path = target.path.endsWith('/entries')
          ? `${target.path.slice(0, -'/entries'.length)}/simulate`
          : `${target.path}/simulate`;
        const { body: result } = await ctx.client.call<Simulation>('POST', path, { body, options: OPTIONS });
        ctx.emit(result, () => describe(result, target.label));
        if (result.allowedToDenied.requests > 0) ctx.exitWith(ExitCode.denied);
      }),
    );
}

async function draftOf(o: Options, io: CommandIo): Promise<Record<string, unknown>> {
  const changes = (o.add?.length ?? 0) + (o.remove?.length ?? 0);
  if (o.replaceFile !== undefined) {
    if (changes > 0)
      throw new UsageError('--replace-file is the whole list; it does not go with --add or --remove.');
    const text = await readFileArgument(io, o.replaceFile);
    const parsed = o.domains === true ? domainLines(text) : parseAllowList(text, { source: o.replaceFile });
    const [first] = parsed.errors;
    if (first !== undefined) throw first;
    return {
      replace: parsed.entries.map((e) => ({
        value: e.value,
        ...(e.name === undefined ? {} : { name: e.name }),
      })),
    };
  }
  if (changes === 0 && o.mode === undefined && o.restriction === undefined) {
    throw new UsageError(
      'nothing to simulate: give --add, --remove, --replace-file, --mode or --restriction.',
    );
  }
  return { add: (o.add ?? []).map((value) => ({ value })), remove: [...(o.remove ?? [])] };
}

/** Domain rules, one per line with an optional name after it; the server checks each rule. */
function domainLines(text: string): {
  entries: { value: string; name: string | undefined }[];
  errors: Error[];
} {
  const entries: { value: string; name: string | undefined }[] = [];
  for (const raw of text.split(/\r\n|\n|\r/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    const [value, ...name] = line.split(/\s+/);
    entries.push({ value: value as string, name: name.length === 0 ? undefined : name.join(' ') });
  }
  return { entries, errors: [] };
}

function describe(r: Simulation, label: string): string[] {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `simulated ${label} on ${n(r.requests.examined)} recorded requests (${r.window.since} to ${r.window.until})`,
    `  decided again: ${n(r.requests.decided)}; allowed now ${n(r.requests.allowedNow)}, with the draft ${n(r.requests.allowedWithDraft)}` +
      (r.requests.undecidable > 0 ? `; not decidable: ${n(r.requests.undecidable)}` : ''),
  ];
  for (const [title, flip] of [
    ['allowed → denied', r.allowedToDenied],
    ['denied → allowed', r.deniedToAllowed],
  ] as const) {
    if (flip.requests === 0) {
      lines.push(`${title}: none`);
      continue;
    }
    const about = flip.exact ? '' : 'about ';
    lines.push(
      `${title}: ${n(flip.requests)} requests from ${about}${n(flip.addresses)} addresses, ${about}${n(flip.keys)} keys` +
        (flip.requestsWithoutKey > 0 ? ` (${n(flip.requestsWithoutKey)} before authentication)` : ''),
    );
    lines.push(
      ...table(flip.topAddresses, [
        { heading: '  ADDRESS', cell: (a) => `  ${a.address}` },
        { heading: 'REQUESTS', cell: (a) => n(a.requests) },
      ]),
    );
  }
  if (r.unmatchedEntries.length === 0) lines.push('every entry of the draft matches some request');
  else {
    lines.push(`entries no request would match: ${r.unmatchedEntries.length}`);
    lines.push(
      ...table(r.unmatchedEntries, [
        { heading: '  ID', cell: (e) => `  ${e.id ?? '(added)'}` },
        { heading: 'VALUE', cell: (e) => e.value },
        { heading: 'NAME', cell: (e) => e.name },
      ]),
    );
  }
  if (r.truncated)
    lines.push('truncated: the window holds more requests than --max-requests; the figures cover the oldest');
  return lines;
}

function mode(value: string): string {
  if ((RESTRICTION_MODES as readonly string[]).includes(value)) return value;
  throw new InvalidArgumentError(`expected off, manual or auto, got ${JSON.stringify(value)}.`);
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A time in the past: an ISO 8601 time with a zone, or a duration ago (`90m`, `12h`, `7d`).
 *
 * @example pastTime('7d'); // seven days ago, as an ISO string
 */
export function pastTime(value: string): string {
  const text = value.trim();
  const relative = /^([1-9][0-9]{0,5})([mhd])$/.exec(text);
  if (relative !== null) {
    return new Date(Date.now() - Number(relative[1]) * (UNITS[relative[2] ?? 'd'] ?? 0)).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const time = new Date(text);
    if (!Number.isNaN(time.getTime())) return time.toISOString();
  }
  throw new InvalidArgumentError(
    `expected a time with a zone (2026-12-01T00:00:00Z) or a time ago (90m, 12h, 7d); got ${JSON.stringify(value)}.`,
  );
}
