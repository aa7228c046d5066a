import { Command, Option } from 'commander';
import type { CommandIo } from '../output.js';
import { segment } from './admin-client.js';
import { defined } from './defined.js';
import { wholeNumber } from './option-parsers.js';
import { emitPage, type PagingOptions, withPaging } from './paged-list.js';
import { type RemoteContext, type RemoteOptions, remoteCommand, runRemote } from './remote-command.js';
import { secretLines } from './secret-lines.js';
import { table } from './table.js';
import { terminalText } from './terminal-text.js';
import { EXPECT_VERSION_HELP, ifMatchFor } from './versioned-write.js';
import type { Entry, KeyWithSecret, ObservedIp } from './wire.js';

const EXAMPLES = `
Examples:
  $ ipgate observed list --tenant ten_… --status pending
  $ ipgate observed authorize obs_… --tenant ten_… --name 'new office' --reason 'confirmed by phone'
  $ ipgate observed reject obs_… --tenant ten_… --rotate-key   # the key leaked: a new secret, printed once

Every address that presents a tenant's key is recorded. Authorize adds it to the tenant's IP list
(unless an entry covers it already); reject keeps it denied and out of review.`;

const OPTIONS: Record<string, string> = {
  name: '--name',
  reason: '--reason',
  rotateKey: '--rotate-key',
  status: '--status',
  keyId: '--key',
  version: '--expect-version',
};

/**
 * `ipgate observed list|authorize|reject --tenant <id>` against a running server.
 *
 * @example program.addCommand(observedCommand(processIo()));
 */
export function observedCommand(io: CommandIo): Command {
  const tenantCommand = (name: string, description: string): Command =>
    remoteCommand(name, description).requiredOption(
      '--tenant <tenantId>',
      'the tenant whose keys were presented',
    );
  const base = (tenant: string) => `/v1/tenants/${segment(tenant)}/observed-ips`;
  const versionOf = async (ctx: RemoteContext, tenant: string, id: string) =>
    (await ctx.client.call<ObservedIp>('GET', `${base(tenant)}/${segment(id)}`)).body.version;

  const list = withPaging(
    tenantCommand('list', 'list observed addresses, last seen first')
      .addOption(new Option('--status <status>', 'only these').choices(['pending', 'authorized', 'rejected']))
      .option('--key <keyId>', 'only addresses seen with this key'),
  ).action((o: RemoteOptions & PagingOptions & { tenant: string; status?: string; key?: string }) =>
    runRemote(io, o, async (ctx) => {
      const page = await ctx.client.list<ObservedIp>(base(o.tenant), {
        query: { status: o.status, keyId: o.key },
        ...defined({ limit: o.limit, cursor: o.cursor }),
      });
      emitPage(ctx, page, 'no observed addresses', observedTable);
    }),
  );

  const authorize = tenantCommand('authorize', "add an observed address to the tenant's IP list")
    .argument('<observedId>')
    .option('--name <name>', 'the name of the entry it becomes')
    .option('--reason <text>', 'why (kept with the entry and in the audit trail)')
    .option('--expect-version <n>', EXPECT_VERSION_HELP, wholeNumber(1))
    .action(
      (
        id: string,
        o: RemoteOptions & { tenant: string; name?: string; reason?: string; expectVersion?: number },
      ) =>
        runRemote(io, o, async (ctx) => {
          const { body } = await ctx.client.call<{ observed: ObservedIp; entry: Entry | null }>(
            'POST',
            `${base(o.tenant)}/${segment(id)}/authorize`,
            {
              body: defined({ name: o.name, reason: o.reason }),
              ifMatch: await ifMatchFor(o.expectVersion, () => versionOf(ctx, o.tenant, id)),
              options: OPTIONS,
            },
          );
          ctx.emit(body, () => [
            `authorized ${terminalText(body.observed.address)} (${body.observed.id})`,
            body.entry === null
              ? "  an entry of the tenant's IP list covers it already; nothing was added"
              : `  added ${terminalText(body.entry.canonical)} (${body.entry.id}) to the tenant's IP list`,
          ]);
        }),
    );

  const reject = tenantCommand('reject', 'keep an observed address denied and out of review')
    .argument('<observedId>')
    .option('--rotate-key', 'also give the key a new secret (printed once): the key leaked')
    .option('--reason <text>', 'why (kept in the audit trail)')
    .option('--expect-version <n>', EXPECT_VERSION_HELP, wholeNumber(1))
    .action(
      (
        id: string,
        o: RemoteOptions & { tenant: string; rotateKey?: boolean; reason?: string; expectVersion?: number },
      ) =>
        runRemote(io, o, async (ctx) => {
          const { body } = await ctx.client.call<{ observed: ObservedIp; rotated: KeyWithSecret | null }>(
            'POST',
            `${base(o.tenant)}/${segment(id)}/reject`,
            {
              body: defined({ rotateKey: o.rotateKey === true ? true : undefined, reason: o.reason }),
              ifMatch: await ifMatchFor(o.expectVersion, () => versionOf(ctx, o.tenant, id)),
              options: OPTIONS,
            },
          );
          ctx.emit(body, () => [
            `rejected ${terminalText(body.observed.address)} (${body.observed.id})`,
            ...(body.rotated === null
              ? []
              : ['', ...secretLines(body.rotated, 'Rotated key'), 'The old secret stopped working.']),
          ]);
        }),
    );

  return new Command('observed')
    .description("review the addresses that presented a tenant's keys: list, authorize, reject")
    .addHelpText('after', EXAMPLES)
    .addCommand(list)
    .addCommand(authorize)
    .addCommand(reject);
}

function observedTable(items: readonly ObservedIp[]): string[] {
  return table(items, [
    { heading: 'ID', cell: (o) => o.id },
    { heading: 'ADDRESS', cell: (o) => o.address },
    { heading: 'KEY', cell: (o) => o.keyId },
    { heading: 'STATUS', cell: (o) => o.status },
    { heading: 'COUNT', cell: (o) => o.count },
    { heading: 'LAST SEEN', cell: (o) => o.lastSeen },
    { heading: 'REASONS', cell: (o) => o.reasons.join(', ') },
  ]);
}
