import { Command } from 'commander';
import { ExitCode } from '../exit-code.js';
import type { CommandIo } from '../output.js';
import { UsageError } from '../usage-error.js';
import { segment } from './admin-client.js';
import { defined } from './defined.js';
import { entriesFileCommands } from './entries-file-commands.js';
import { type ListTarget, listTarget, type TargetOptions } from './list-target.js';
import { expiry, NEVER, wholeNumber } from './option-parsers.js';
import { emitPage, type PagingOptions, withPaging } from './paged-list.js';
import { type RemoteContext, type RemoteOptions, remoteCommand, runRemote } from './remote-command.js';
import { RemoteError } from './remote-error.js';
import { fields, table, when, yesNo } from './table.js';
import { terminalText } from './terminal-text.js';
import { EXPECT_VERSION_HELP, ifMatchFor } from './versioned-write.js';
import type { Entry } from './wire.js';

const EXAMPLES = `
Examples:
  $ ipgate entries list --tenant ten_…
  $ ipgate entries add 203.0.113.0/24 --tenant ten_… --name office
  $ ipgate entries add 198.51.100.7 --tenant ten_… --name contractor --expires 30d
  $ ipgate entries edit ent_… --tenant ten_… --disable
  $ ipgate entries remove ent_… --tenant ten_… --confirm-lockout
  $ ipgate entries add 10.0.0.0/8 --api api_…                  # an API's network allowlist
  $ ipgate entries add 203.0.113.7 --tenant ten_… --key key_…   # a key's own IP rules
  $ ipgate entries add '*.example.com' --tenant ten_… --key key_… --domains
  $ ipgate entries import offices.txt --tenant ten_… --preview
  $ ipgate entries import list.csv --tenant ten_… --mode replace
  $ ipgate entries export --tenant ten_… --format csv > list.csv

Entries take every form of the entry grammar (address, CIDR, netmask, partial CIDR, range); the
server answers with its warnings (covers everything, private space, duplicate, overlaps). A change
that would deny your own address on a tenant's list or an API's allowlist is refused unless you add
--confirm-lockout. Edits and removals name the version they change (the one just read, or
--expect-version), so a concurrent change is reported instead of overwritten.

import takes a text file (one entry per line, a name after it, # comments) or CSV
(value,name,expiresAt,enabled; chosen by a .csv name or --format) of up to 1,000 entries and applies
all of it as one change, or nothing. --preview changes nothing and exits 0 when the import would
apply, 2 when lines are bad, 1 when it would be refused (limit, your own address). export prints the
list in address order; importing that file with --mode replace gives the same list back.`;

const OPTIONS: Record<string, string> = {
  value: '<value>',
  name: '--name',
  enabled: '--enable/--disable',
  expiresAt: '--expires',
  reason: '--reason',
  confirmLockout: '--confirm-lockout',
  version: '--expect-version',
};

type Options = RemoteOptions & TargetOptions;

/**
 * `ipgate entries list|add|edit|remove` on a tenant's IP list, an API's allowlist, or a key's IP and
 * domain rules, against a running server.
 *
 * @example program.addCommand(entriesCommand(processIo()));
 */
export function entriesCommand(io: CommandIo): Command {
  const targeted = (name: string, description: string): Command =>
    remoteCommand(name, description)
      .option('--tenant <tenantId>', "a tenant's IP list (with --key: the key's tenant)")
      .option('--api <apiId>', "an API's network allowlist")
      .option('--key <keyId>', "a key's own IP rules (with --tenant)")
      .option('--domains', "with --key: the key's domain rules instead of its IP rules");

  const list = withPaging(targeted('list', 'list the entries of one list')).action(
    (o: Options & PagingOptions) =>
      runRemote(io, o, async (ctx) => {
        const target = listTarget(o);
        const page = await ctx.client.list<Entry>(target.path, defined({ limit: o.limit, cursor: o.cursor }));
        emitPage(ctx, page, `no entries on ${target.label}`, (items) => entryTable(target, items));
      }),
  );

  const add = targeted('add', 'add an entry')
    .argument('<value>', 'an address, CIDR, netmask, range, or (with --domains) a domain rule')
    .option('--name <name>', 'what the entry is, e.g. office')
    .option(
      '--expires <time>',
      'when it stops applying: 2030-01-31T00:00:00Z, or 90m, 12h, 30d from now',
      expiry(false),
    )
    .option('--disabled', 'add it switched off')
    .option('--reason <text>', 'why it is there (kept with the entry)')
    .option('--confirm-lockout', 'allow it even if it denies your own address')
    .action((value: string, o: Options & StateOptions & { reason?: string; disabled?: boolean }) =>
      runRemote(io, o, async (ctx) => {
        const target = listTarget(o);
        refuseStateOptions(target, { ...o, ...(o.disabled === true ? { disable: true } : {}) });
        const body = target.full
          ? defined({
              value,
              name: o.name,
              enabled: o.disabled === true ? false : undefined,
              expiresAt: o.expires,
              reason: o.reason,
              confirmLockout: o.confirmLockout === true ? true : undefined,
            })
          : defined({ value, name: o.name });
        const { body: entry } = await ctx.client.call<Entry>('POST', target.path, { body, options: OPTIONS });
        warnAbout(ctx, entry);
        ctx.emit(entry, () => [`added ${describe(entry)} to ${target.label}`]);
      }),
    );

  const edit = targeted('edit', "change an entry's value, name, state or expiry")
    .argument('<entryId>')
    .option('--value <value>', 'the new value')
    .option('--name <name>', 'the new name')
    .option('--enable', 'switch it on')
    .option('--disable', 'switch it off')
    .option('--expires <time>', 'a new expiry (as for add), or never', expiry(true))
    .option('--confirm-lockout', 'allow it even if it denies your own address')
    .option('--expect-version <n>', EXPECT_VERSION_HELP, wholeNumber(1))
    .action((id: string, o: Options & StateOptions & { value?: string; expectVersion?: number }) =>
      runRemote(io, o, async (ctx) => {
        const target = listTarget(o);
        refuseStateOptions(target, o);
        if (o.enable === true && o.disable === true)
          throw new UsageError('give --enable or --disable, not both.');
        const patch = target.full
          ? defined({
              value: o.value,
              name: o.name,
              enabled: o.enable === true ? true : o.disable === true ? false : undefined,
              expiresAt: o.expires === NEVER ? null : o.expires,
            })
          : defined({ value: o.value, name: o.name });
        if (Object.keys(patch).length === 0) {
          throw new UsageError(
            `nothing to change: give --value or --name${target.full ? ', --enable, --disable or --expires' : ''}.`,
          );
        }
        const before = o.expectVersion === undefined ? await readEntry(ctx, target, id) : undefined;
        const { body: entry } = await ctx.client.call<Entry>('PATCH', `${target.path}/${segment(id)}`, {
          body: { ...patch, ...(o.confirmLockout === true ? { confirmLockout: true } : {}) },
          ifMatch: await ifMatchFor(o.expectVersion, async () => before?.version ?? 0),
          options: OPTIONS,
        });
        warnAbout(ctx, entry);
        ctx.emit(entry, () => [`changed ${describe(entry)} on ${target.label}`, ...changes(before, entry)]);
      }),
    );

  const remove = targeted('remove', 'remove an entry')
    .argument('<entryId>')
    .option('--confirm-lockout', 'allow it even if it denies your own address')
    .option('--expect-version <n>', EXPECT_VERSION_HELP, wholeNumber(1))
    .action((id: string, o: Options & { confirmLockout?: boolean; expectVersion?: number }) =>
      runRemote(io, o, async (ctx) => {
        const target = listTarget(o);
        if (o.confirmLockout === true && !target.full) throw new UsageError(notGuarded(target));
        const entry = await readEntry(ctx, target, id);
        await ctx.client.call('DELETE', `${target.path}/${segment(id)}`, {
          ifMatch: await ifMatchFor(o.expectVersion, async () => entry.version),
          query: { confirmLockout: o.confirmLockout === true ? true : undefined },
          options: OPTIONS,
        });
        ctx.emit({ deleted: entry }, () => [`removed ${describe(entry)} from ${target.label}`]);
      }),
    );

  const [importCommand, exportCommand] = entriesFileCommands(io, targeted) as [Command, Command];
  return new Command('entries')
    .description("manage a tenant's IP list, an API's allowlist, or a key's IP and domain rules")
    .addHelpText('after', EXAMPLES)
    .addCommand(list)
    .addCommand(add)
    .addCommand(edit)
    .addCommand(remove)
    .addCommand(importCommand)
    .addCommand(exportCommand);
}

interface StateOptions {
  readonly name?: string;
  readonly expires?: string;
  readonly enable?: boolean;
  readonly disable?: boolean;
  readonly confirmLockout?: boolean;
}

/** A key's rules have a value and a name only: options that would be ignored are refused. */
function refuseStateOptions(target: ListTarget, o: StateOptions & { reason?: string }): void {
  if (target.full) return;
  const given = [
    o.expires !== undefined ? '--expires' : undefined,
    o.enable === true ? '--enable' : undefined,
    o.disable === true ? '--disabled/--disable' : undefined,
    o.reason !== undefined ? '--reason' : undefined,
  ].filter((x) => x !== undefined);
  if (given.length > 0) {
    throw new UsageError(`${given.join(', ')}: ${target.label} hold a value and a name only.`);
  }
  if (o.confirmLockout === true) throw new UsageError(notGuarded(target));
}

function notGuarded(target: ListTarget): string {
  return `--confirm-lockout: ${target.label} govern API callers, not your admin access, and are never guarded.`;
}

/** One entry, read by id, or from its list where the API has no route for one (a key's rules). */
async function readEntry(ctx: RemoteContext, target: ListTarget, id: string): Promise<Entry> {
  if (target.readable) return (await ctx.client.call<Entry>('GET', `${target.path}/${segment(id)}`)).body;
  const { items } = await ctx.client.list<Entry>(target.path);
  const entry = items.find((e) => e.id === id);
  if (entry === undefined) {
    throw new RemoteError(`No entry ${JSON.stringify(id)} on ${target.label}.`, {
      code: 'IPG_NOT_FOUND',
      status: 404,
      hint: 'ipgate entries list with the same options shows the ids.',
      exitCode: ExitCode.denied,
    });
  }
  return entry;
}

function warnAbout(ctx: RemoteContext, entry: Entry): void {
  for (const w of entry.warnings ?? []) ctx.warn(`${w.message} (${w.code})`);
}

function describe(e: Entry): string {
  const name = e.name === '' ? '' : ` "${terminalText(e.name)}"`;
  return `${terminalText(e.canonical)}${name} (${e.id}, version ${e.version})`;
}

/** `name: office → HQ` lines for what an edit changed. */
function changes(before: Entry | undefined, after: Entry): string[] {
  if (before === undefined) return [];
  const changed = (['canonical', 'name', 'enabled', 'expiresAt'] as const).filter(
    (k) => before[k] !== after[k],
  );
  if (changed.length === 0) return [];
  return fields(
    changed.map(
      (k) => [`  ${k === 'canonical' ? 'value' : k}:`, `${show(before[k])} → ${show(after[k])}`] as const,
    ),
  );
}

function show(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'boolean') return yesNo(value);
  return String(value);
}

function state(e: Entry): string {
  if (e.enabled === false) return 'disabled';
  if (e.expiresAt !== null && e.expiresAt !== undefined && Date.parse(e.expiresAt) <= Date.now())
    return 'expired';
  return 'active';
}

function entryTable(target: ListTarget, entries: readonly Entry[]): string[] {
  if (!target.full) {
    return table(entries, [
      { heading: 'ID', cell: (e) => e.id },
      { heading: 'VALUE', cell: (e) => e.canonical },
      { heading: 'NAME', cell: (e) => e.name },
      { heading: 'VERSION', cell: (e) => e.version },
    ]);
  }
  return table(entries, [
    { heading: 'ID', cell: (e) => e.id },
    { heading: 'VALUE', cell: (e) => e.canonical },
    { heading: 'NAME', cell: (e) => e.name },
    { heading: 'STATE', cell: state },
    { heading: 'EXPIRES', cell: (e) => when(e.expiresAt) },
    { heading: 'SOURCE', cell: (e) => e.source },
    { heading: 'VERSION', cell: (e) => e.version },
  ]);
}
