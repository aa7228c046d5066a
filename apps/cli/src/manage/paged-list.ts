/**
 * How every list command pages: `--limit` and `--cursor` on the command, and a page printed as a
 * table or a line saying the list is empty, with a note on how to go on when there is more.
 */
import type { Command } from 'commander';
import type { Page } from './admin-client.js';
import { wholeNumber } from './option-parsers.js';
import type { RemoteContext } from './remote-command.js';

/** The options `withPaging` adds. */
export interface PagingOptions {
  readonly limit?: number;
  readonly cursor?: string;
}

/**
 * Adds `--limit <n>` and `--cursor <cursor>` to a list command.
 *
 * @example withPaging(remoteCommand('list', 'list APIs')).action((o: RemoteOptions & PagingOptions) => …)
 */
export function withPaging(command: Command, limitHelp = 'show at most n (default: all)'): Command {
  return command
    .option('--limit <n>', limitHelp, wholeNumber(1))
    .option('--cursor <cursor>', 'go on from where a --limit stopped');
}

/**
 * Prints a page: the document with --json, else `rows` of its items or `empty`; then, when the
 * list goes on, the `--cursor` to add.
 *
 * @example emitPage(ctx, page, 'no APIs', apiTable);
 */
export function emitPage<T>(
  ctx: RemoteContext,
  page: Page<T>,
  empty: string,
  rows: (items: readonly T[]) => readonly string[],
): void {
  ctx.emit(page, () => (page.items.length === 0 ? [empty] : rows(page.items)));
  if (page.nextCursor !== undefined) ctx.note(`more: add --cursor ${page.nextCursor}`);
}
