import { RESTRICTION_MODES } from '@ipgate/core';
import { Command, Option } from 'commander';
import type { CommandIo } from '../output.js';
import { UsageError } from '../usage-error.js';
import { segment } from './admin-client.js';
import { type Collection, deleteCommand, getCommand, listCommand, readItem } from './collection-commands.js';
import { defined } from './defined.js';
import { wholeNumber } from './option-parsers.js';
import { type RemoteContext, type RemoteOptions, remoteCommand, runRemote } from './remote-command.js';
import { fields, table } from './table.js';
import { EXPECT_VERSION_HELP, ifMatchFor } from './versioned-write.js';
import type { Tenant } from './wire.js';

const EXAMPLES = `
Examples:
  $ export IPGATE_TOKEN=ipg_adm_…        # an admin token; never a flag
  $ ipgate tenants list
  $ ipgate tenants create Acme --mode manual
  $ ipgate tenants update ten_… --mode off --confirm-lockout
  $ ipgate tenants get ten_… --json | jq .version

Tenants, their creation and deletion need a token for all tenants; a tenant's own token lists and
reads its tenant only. Mode: off (every address may call), manual (only listed addresses), auto (manual, plus unknown addresses
assessed and listed when trustworthy).`;

/** API fields and the options that set them, for errors that name a field. */
const OPTIONS: Record<string, string> = {
  name: '<name>',
  ipMode: '--mode',
  mode: '--mode',
  ipEntryLimit: '--ip-entry-limit',
  keyIpLimit: '--key-ip-limit',
  keyDomainLimit: '--key-domain-limit',
  confirmLockout: '--confirm-lockout',
  version: '--expect-version',
};

interface LimitOptions {
  readonly mode?: string;
  readonly ipEntryLimit?: number;
  readonly keyIpLimit?: number;
  readonly keyDomainLimit?: number;
}

/**
 * `ipgate tenants list|get|create|update|delete` against a running server.
 *
 * @example program.addCommand(tenantsCommand(processIo()));
 */
export function tenantsCommand(io: CommandIo): Command {
  const withLimits = (command: Command): Command =>
    command
      .addOption(new Option('--mode <mode>', 'the IP restriction mode').choices(RESTRICTION_MODES))
      .option('--ip-entry-limit <n>', "entries on the tenant's IP list", wholeNumber(0))
      .option('--key-ip-limit <n>', 'IP entries per key', wholeNumber(0))
      .option('--key-domain-limit <n>', 'domain rules per key', wholeNumber(0));

  const list = listCommand(io, TENANTS, 'list tenants (a tenant token sees its own)');
  const get = getCommand(io, TENANTS, 'show a tenant');

  const create = withLimits(remoteCommand('create', 'create a tenant (mode manual unless --mode)'))
    .argument('<name>')
    .action((name: string, o: RemoteOptions & LimitOptions) =>
      runRemote(io, o, async (ctx) => {
        const { body } = await ctx.client.call<Tenant>('POST', '/v1/tenants', {
          body: defined({
            name,
            ipMode: o.mode,
            ipEntryLimit: o.ipEntryLimit,
            keyIpLimit: o.keyIpLimit,
            keyDomainLimit: o.keyDomainLimit,
          }),
          options: OPTIONS,
        });
        for (const w of body.warnings ?? []) ctx.warn(`${w.message} (${w.code})`);
        ctx.emit(body, () => [`created tenant ${body.id}`, ...tenantFields(body)]);
      }),
    );

  const update = withLimits(remoteCommand('update', 'rename a tenant or change its mode and limits'))
    .argument('<tenantId>')
    .option('--name <name>', 'the new name')
    .option('--confirm-lockout', 'allow a mode change that denies your own address')
    .option('--expect-version <n>', EXPECT_VERSION_HELP, wholeNumber(1))
    .action(
      (
        id: string,
        o: RemoteOptions & LimitOptions & { name?: string; confirmLockout?: boolean; expectVersion?: number },
      ) =>
        runRemote(io, o, async (ctx) => {
          const restriction = defined({
            mode: o.mode,
            ipEntryLimit: o.ipEntryLimit,
            keyIpLimit: o.keyIpLimit,
            keyDomainLimit: o.keyDomainLimit,
          });
          const changesRestriction = Object.keys(restriction).length > 0;
          if (!changesRestriction && o.name === undefined) {
            throw new UsageError('nothing to change: give --name, --mode or a limit (--ip-entry-limit, …).');
          }
          let ifMatch = await ifMatchFor(o.expectVersion, async () => (await readTenant(ctx, id)).version);
          // Mode and limits first: they are what a guard or a role may refuse, and then nothing changed.
          if (changesRestriction) {
            const { etag } = await ctx.client.call('PATCH', `/v1/tenants/${segment(id)}/ip-restriction`, {
              body: { ...restriction, ...(o.confirmLockout === true ? { confirmLockout: true } : {}) },
              ifMatch,
              options: OPTIONS,
            });
            ifMatch = etag ?? ifMatch;
          }
          if (o.name !== undefined) {
            try {
              await ctx.client.call('PATCH', `/v1/tenants/${segment(id)}`, {
                body: { name: o.name },
                ifMatch,
                options: OPTIONS,
              });
            } catch (error) {
              if (changesRestriction) ctx.note('note: the mode and limits were changed; the name was not:');
              throw error;
            }
          }
          const tenant = await readTenant(ctx, id);
          if (o.mode !== undefined)
            for (const w of tenant.warnings ?? []) ctx.warn(`${w.message} (${w.code})`);
          ctx.emit(tenant, () => [`updated tenant ${tenant.id}`, ...tenantFields(tenant)]);
        }),
    );

  const remove = deleteCommand(
    io,
    TENANTS,
    'delete a tenant with its keys and lists (its audit events stay)',
    (tenant) => `deleted tenant ${tenant.id} (${tenant.name}) with its keys and lists`,
  );

  return new Command('tenants')
    .description('list, show, create, change and delete tenants on a running server')
    .addHelpText('after', EXAMPLES)
    .addCommand(list)
    .addCommand(get)
    .addCommand(create)
    .addCommand(update)
    .addCommand(remove);
}

const TENANTS: Collection<Tenant> = {
  path: '/v1/tenants',
  none: 'no tenants',
  idArgument: '<tenantId>',
  options: OPTIONS,
  table: (tenants) => tenantTable(tenants),
  fields: (tenant) => tenantFields(tenant),
};

function readTenant(ctx: RemoteContext, id: string): Promise<Tenant> {
  return readItem(ctx, TENANTS, id);
}

function tenantTable(tenants: readonly Tenant[]): string[] {
  return table(tenants, [
    { heading: 'ID', cell: (t) => t.id },
    { heading: 'NAME', cell: (t) => t.name },
    { heading: 'MODE', cell: (t) => t.ipMode },
    { heading: 'IP ENTRY LIMIT', cell: (t) => t.ipEntryLimit },
    { heading: 'KEY IP LIMIT', cell: (t) => t.keyIpLimit },
    { heading: 'KEY DOMAIN LIMIT', cell: (t) => t.keyDomainLimit },
    { heading: 'VERSION', cell: (t) => t.version },
  ]);
}

function tenantFields(t: Tenant): string[] {
  return fields([
    ['id', t.id],
    ['name', t.name],
    ['mode', t.ipMode],
    ['ip entry limit', t.ipEntryLimit],
    ['key ip limit', t.keyIpLimit],
    ['key domain limit', t.keyDomainLimit],
    ['version', t.version],
    ['created', t.createdAt],
    ['updated', t.updatedAt],
  ]);
}
