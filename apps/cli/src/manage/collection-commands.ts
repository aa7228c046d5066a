import type { Command } from 'commander';
import type { CommandIo } from '../output.js';
import { segment } from './admin-client.js';
import { defined } from './defined.js';
import { wholeNumber } from './option-parsers.js';
import { emitPage, type PagingOptions, withPaging } from './paged-list.js';
import { type RemoteContext, type RemoteOptions, remoteCommand, runRemote } from './remote-command.js';
import { EXPECT_VERSION_HELP, ifMatchFor } from './versioned-write.js';

/**
 * A top-level collection of the management API (`/v1/apis`, `/v1/tenants`) as the CLI shows it: its
 * `list`, `get` and `delete` subcommands are the same but for these words and renderings, so they are
 * made here once and each command file keeps only what differs (its create and update).
 */
export interface Collection<T extends { readonly id: string; readonly version: number }> {
  /** The collection's path: `/v1/apis`. */
  readonly path: string;
  /** What `list` says when there are none: `no APIs`. */
  readonly none: string;
  /** The id argument's name in help: `<apiId>`. */
  readonly idArgument: string;
  /** API fields and the options that set them, for errors that name a field. */
  readonly options: Record<string, string>;
  readonly table: (items: readonly T[]) => string[];
  readonly fields: (item: T) => string[];
}

/**
 * Reads one item of the collection.
 *
 * @example const api = await readItem(ctx, apis, 'api_…');
 */
export async function readItem<T extends { readonly id: string; readonly version: number }>(
  ctx: RemoteContext,
  c: Collection<T>,
  id: string,
): Promise<T> {
  return (await ctx.client.call<T>('GET', `${c.path}/${segment(id)}`)).body;
}

/**
 * `list`: a page of the collection (`--limit`, `--cursor`), as a table or JSON.
 *
 * @example program.addCommand(listCommand(io, apis, 'list APIs'));
 */
export function listCommand<T extends { readonly id: string; readonly version: number }>(
  io: CommandIo,
  c: Collection<T>,
  description: string,
): Command {
  return withPaging(remoteCommand('list', description)).action((o: RemoteOptions & PagingOptions) =>
    runRemote(io, o, async (ctx) => {
      const page = await ctx.client.list<T>(c.path, defined({ limit: o.limit, cursor: o.cursor }));
      emitPage(ctx, page, c.none, c.table);
    }),
  );
}

/**
 * `get <id>`: one item's fields, or JSON.
 *
 * @example program.addCommand(getCommand(io, apis, 'show an API'));
 */
export function getCommand<T extends { readonly id: string; readonly version: number }>(
  io: CommandIo,
  c: Collection<T>,
  description: string,
): Command {
  return remoteCommand('get', description)
    .argument(c.idArgument)
    .action((id: string, o: RemoteOptions) =>
      runRemote(io, o, async (ctx) => {
        const item = await readItem(ctx, c, id);
        ctx.emit(item, () => c.fields(item));
      }),
    );
}

/**
 * `delete <id> [--expect-version n]`: reads the item (to say what went, and for its version), deletes
 * it and prints `deleted(item)`.
 *
 * @example program.addCommand(deleteCommand(io, apis, 'delete an API', (a) => `deleted API ${a.id}`));
 */
export function deleteCommand<T extends { readonly id: string; readonly version: number }>(
  io: CommandIo,
  c: Collection<T>,
  description: string,
  deleted: (item: T) => string,
): Command {
  return remoteCommand('delete', description)
    .argument(c.idArgument)
    .option('--expect-version <n>', EXPECT_VERSION_HELP, wholeNumber(1))
    .action((id: string, o: RemoteOptions & { expectVersion?: number }) =>
      runRemote(io, o, async (ctx) => {
        const item = await readItem(ctx, c, id);
        await ctx.client.call('DELETE', `${c.path}/${segment(id)}`, {
          ifMatch: await ifMatchFor(o.expectVersion, async () => item.version),
          options: c.options,
        });
        ctx.emit({ deleted: item }, () => [deleted(item)]);
      }),
    );
}
