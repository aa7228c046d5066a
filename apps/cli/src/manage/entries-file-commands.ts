/**
 * `ipgate entries import` and `ipgate entries export`: a tenant's IP list or an API's allowlist to
 * and from a file, through the management API's import and export routes
 * (docs/architecture/management.md#importing-a-list).
 */
import { type Command, Option } from 'commander';
import { ExitCode } from '../exit-code.js';
import type { CommandIo } from '../output.js';
import { UsageError } from '../usage-error.js';
import { readFileArgument } from './file-argument.js';
import { type ListTarget, listTarget, type TargetOptions } from './list-target.js';
import { type RemoteOptions, runRemote } from './remote-command.js';
import { table } from './table.js';
import { terminalText } from './terminal-text.js';

type Format = 'text' | 'csv';

interface LineError {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly hint?: string;
}

/** What `preview: true` answers (the API's ImportPreview). */
interface Preview {
  readonly summary: {
    readonly add: number;
    readonly update: number;
    readonly unchanged: number;
    readonly remove: number;
    readonly invalid: number;
  };
  readonly lines: readonly {
    readonly line: number;
    readonly value: string;
    readonly canonical: string | null;
    readonly action: 'add' | 'update' | 'unchanged' | 'invalid';
    readonly changes: readonly string[];
    readonly warnings: readonly { readonly code: string; readonly message: string }[];
    readonly error: LineError | null;
  }[];
  readonly removed: readonly { readonly id: string; readonly canonical: string; readonly name: string }[];
  readonly count: number;
  readonly limit: number | null;
  readonly problems: readonly LineError[];
  readonly basis: string;
}

/** What an applied import answers (the API's ImportResult). */
interface Imported {
  readonly summary: {
    readonly add: number;
    readonly update: number;
    readonly unchanged: number;
    readonly remove: number;
  };
  readonly count: number;
  readonly changeVersion: number | null;
}

interface Exported {
  readonly format: Format;
  readonly count: number;
  readonly content: string;
  readonly basis: string;
}

const OPTIONS: Record<string, string> = {
  content: '<file>',
  format: '--format',
  mode: '--mode',
  basis: '--basis',
  confirmLockout: '--confirm-lockout',
};

/** Refusals a preview reports that are about the file's form (exit 2), not a reason to read (exit 1). */
const BAD_INPUT = new Set(['IPG_IMPORT_INVALID', 'IPG_IMPORT_DUPLICATE', 'IPG_IMPORT_TOO_LARGE']);

/**
 * The two subcommands, with the target options of the other `entries` commands.
 *
 * @example
 * for (const c of entriesFileCommands(io, targeted)) entries.addCommand(c);
 */
export function entriesFileCommands(
  io: CommandIo,
  targeted: (name: string, description: string) => Command,
): Command[] {
  const importCommand = targeted('import', 'import up to 1,000 entries from a text or CSV file as one change')
    .argument('<file>', 'the file, or - for standard input')
    .addOption(
      new Option(
        '--format <format>',
        'text (entry, then name) or csv (value,name,expiresAt,enabled)',
      ).choices(['text', 'csv']),
    )
    .addOption(
      new Option('--mode <mode>', 'merge keeps entries the file does not name; replace removes them')
        .choices(['merge', 'replace'])
        .default('merge'),
    )
    .option('--preview', 'change nothing: show what each line would do and what would refuse it')
    .option(
      '--basis <basis>',
      'apply only if the list is still as the export or preview with this basis saw it',
    )
    .option('--confirm-lockout', 'allow it even if it denies your own address')
    .action(
      (
        file: string,
        o: RemoteOptions &
          TargetOptions & {
            format?: Format;
            mode: 'merge' | 'replace';
            preview?: boolean;
            basis?: string;
            confirmLockout?: boolean;
          },
      ) =>
        runRemote(io, o, async (ctx) => {
          const target = fileTarget(o);
          const content = await readFileArgument(io, file);
          const format = o.format ?? (/\.csv$/i.test(file) ? 'csv' : 'text');
          const body = {
            format,
            content,
            mode: o.mode,
            ...(o.preview === true ? { preview: true } : {}),
            ...(o.basis === undefined ? {} : { basis: o.basis }),
            ...(o.confirmLockout === true ? { confirmLockout: true } : {}),
          };
          if (o.preview === true) {
            const { body: preview } = await ctx.client.call<Preview>('POST', `${target.path}/import`, {
              body,
              options: OPTIONS,
            });
            ctx.emit(preview, () => describePreview(preview, target, o.mode));
            for (const p of preview.problems) ctx.warn(`${p.message} (${p.code})`);
            ctx.exitWith(previewExit(preview));
            return;
          }
          const { body: result } = await ctx.client.call<Imported>('POST', `${target.path}/import`, {
            body,
            options: OPTIONS,
          });
          ctx.emit(result, () => [describeImport(result, target)]);
        }),
    );

  const exportCommand = targeted('export', 'print the list as a file that imports back to the same list')
    .addOption(
      new Option('--format <format>', 'text (entry, then name) or csv (every property)')
        .choices(['text', 'csv'])
        .default('text'),
    )
    .action((o: RemoteOptions & TargetOptions & { format: Format }) =>
      runRemote(io, o, async (ctx) => {
        const target = fileTarget(o);
        const { body } = await ctx.client.call<Exported>('GET', `${target.path}/export`, {
          query: { format: o.format },
          options: OPTIONS,
        });
        if (ctx.json) ctx.emit(body, () => []);
        else {
          // The file itself, byte for byte (every line of it ends in a line break).
          for (const line of body.content.split('\n').slice(0, -1)) io.out.line(line);
          ctx.note(
            `${body.count} ${body.count === 1 ? 'entry' : 'entries'} of ${target.label}; basis ${body.basis}`,
          );
        }
      }),
    );

  return [importCommand, exportCommand];
}

/** Only the lists with an import route. */
function fileTarget(o: TargetOptions): ListTarget {
  const target = listTarget(o);
  if (!target.full) {
    throw new UsageError(
      `${target.label} hold a few entries with a value and a name only and have no import or export; use entries add and list.`,
    );
  }
  return target;
}

function previewExit(preview: Preview): ExitCode {
  if (preview.problems.length === 0) return ExitCode.ok;
  return preview.problems.some((p) => BAD_INPUT.has(p.code)) ? ExitCode.badInput : ExitCode.denied;
}

function describePreview(p: Preview, target: ListTarget, mode: string): string[] {
  const s = p.summary;
  const limit = p.limit === null ? '' : ` of at most ${p.limit}`;
  const out = [
    `preview of a ${mode} into ${target.label} (nothing changed): ${s.add} to add, ${s.update} to update, ${s.unchanged} unchanged, ${s.remove} to remove, ${s.invalid} invalid; ${p.count} entries afterwards${limit}`,
  ];
  const shown = p.lines.filter((l) => l.action !== 'unchanged' || l.warnings.length > 0);
  if (shown.length > 0) {
    out.push(
      ...table(shown, [
        { heading: 'LINE', cell: (l) => l.line },
        { heading: 'ACTION', cell: (l) => l.action },
        { heading: 'ENTRY', cell: (l) => terminalText(l.canonical ?? l.value) },
        {
          heading: 'DETAIL',
          cell: (l) =>
            terminalText(
              l.error !== null
                ? `${l.error.message.replace(/^line \d+: /, '')} (${l.error.code})`
                : [
                    l.changes.length > 0 ? `changes ${l.changes.join(', ')}` : '',
                    ...l.warnings.map((w) => w.message),
                  ]
                    .filter((x) => x !== '')
                    .join('; '),
            ),
        },
      ]),
    );
  }
  for (const e of p.removed)
    out.push(
      `remove ${terminalText(e.canonical)}${e.name === '' ? '' : ` "${terminalText(e.name)}"`} (${e.id})`,
    );
  out.push(p.problems.length === 0 ? `it would apply; basis ${p.basis}` : 'it would be refused as it is');
  return out;
}

function describeImport(r: Imported, target: ListTarget): string {
  const s = r.summary;
  const change = r.changeVersion === null ? 'nothing to change' : `change ${r.changeVersion}`;
  return `imported into ${target.label}: ${s.add} added, ${s.update} updated, ${s.remove} removed, ${s.unchanged} unchanged; ${r.count} entries (${change})`;
}
