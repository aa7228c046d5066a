import { Command } from 'commander';
import type { CommandIo } from '../output.js';
import { UsageError } from '../usage-error.js';
import { segment } from './admin-client.js';
import { defined } from './defined.js';
import { onOff, wholeNumber } from './option-parsers.js';
import { emitPage, type PagingOptions, withPaging } from './paged-list.js';
import { type RemoteContext, type RemoteOptions, remoteCommand, runRemote } from './remote-command.js';
import { secretLines } from './secret-lines.js';
import { fields, table, when } from './table.js';
import { EXPECT_VERSION_HELP, ifMatchFor } from './versioned-write.js';
import type { Key, KeyWithSecret } from './wire.js';

const EXAMPLES = `
Examples:
  $ ipgate keys create ci --tenant ten_… --ip-restriction on
  $ ipgate keys create ci --tenant ten_… --json | jq -r .secret
  $ ipgate keys rotate key_… --tenant ten_…      # a new secret; the old one stops working at once
  $ ipgate keys revoke key_… --tenant ten_…      # for good

A key's secret is printed once, by create and rotate (and observed reject --rotate-key); ipgate keeps
only its hash. A key's own IP and domain rules: ipgate entries list --tenant <tenantId> --key <keyId>.`;

const OPTIONS: Record<string, string> = {
  name: '<name>',
  ipRestrictionEnabled: '--ip-restriction',
  domainRestrictionEnabled: '--domain-restriction',
  version: '--expect-version',
};

interface SwitchOptions {
  readonly ipRestriction?: boolean;
  readonly domainRestriction?: boolean;
}

/**
 * `ipgate keys list|get|create|update|rotate|revoke --tenant <id>` against a running server.
 *
 * @example program.addCommand(keysCommand(processIo()));
 */
export function keysCommand(io: CommandIo): Command {
  const tenantCommand = (name: string, description: string): Command =>
    remoteCommand(name, description).requiredOption('--tenant <tenantId>', 'the tenant the key belongs to');
  const withSwitches = (command: Command): Command =>
    command
      .option('--ip-restriction <on|off>', "enforce the key's own IP list (server callers)", onOff)
      .option('--domain-restriction <on|off>', "enforce the key's domain rules (browser callers)", onOff);
  const base = (tenant: string) => `/v1/tenants/${segment(tenant)}/keys`;
  const read = async (ctx: RemoteContext, tenant: string, id: string) =>
    (await ctx.client.call<Key>('GET', `${base(tenant)}/${segment(id)}`)).body;

  const list = withPaging(tenantCommand('list', "list a tenant's keys (never their secrets)")).action(
    (o: RemoteOptions & PagingOptions & { tenant: string }) =>
      runRemote(io, o, async (ctx) => {
        const page = await ctx.client.list<Key>(
          base(o.tenant),
          defined({ limit: o.limit, cursor: o.cursor }),
        );
        emitPage(ctx, page, 'no keys', keyTable);
      }),
  );

  const get = tenantCommand('get', 'show a key')
    .argument('<keyId>')
    .action((id: string, o: RemoteOptions & { tenant: string }) =>
      runRemote(io, o, async (ctx) => {
        const key = await read(ctx, o.tenant, id);
        ctx.emit(key, () => keyFields(key));
      }),
    );

  const create = withSwitches(tenantCommand('create', 'create a key and print its secret once'))
    .argument('<name>')
    .action((name: string, o: RemoteOptions & SwitchOptions & { tenant: string }) =>
      runRemote(io, o, async (ctx) => {
        const { body } = await ctx.client.call<KeyWithSecret>('POST', base(o.tenant), {
          body: {
            name,
            ...defined({
              ipRestrictionEnabled: o.ipRestriction,
              domainRestrictionEnabled: o.domainRestriction,
            }),
          },
          options: OPTIONS,
        });
        ctx.emit(body, () => secretLines(body, 'Created key'));
      }),
    );

  const update = withSwitches(tenantCommand('update', 'rename a key or switch its own restrictions'))
    .argument('<keyId>')
    .option('--name <name>', 'the new name')
    .option('--expect-version <n>', EXPECT_VERSION_HELP, wholeNumber(1))
    .action(
      (
        id: string,
        o: RemoteOptions & SwitchOptions & { tenant: string; name?: string; expectVersion?: number },
      ) =>
        runRemote(io, o, async (ctx) => {
          const patch = defined({
            name: o.name,
            ipRestrictionEnabled: o.ipRestriction,
            domainRestrictionEnabled: o.domainRestriction,
          });
          if (Object.keys(patch).length === 0) {
            throw new UsageError('nothing to change: give --name, --ip-restriction or --domain-restriction.');
          }
          const { body } = await ctx.client.call<Key>('PATCH', `${base(o.tenant)}/${segment(id)}`, {
            body: patch,
            ifMatch: await ifMatchFor(o.expectVersion, async () => (await read(ctx, o.tenant, id)).version),
            options: { ...OPTIONS, name: '--name' },
          });
          ctx.emit(body, () => [`updated key ${body.id}`, ...keyFields(body)]);
        }),
    );

  const action = (verb: 'rotate' | 'revoke', description: string) =>
    tenantCommand(verb, description)
      .argument('<keyId>')
      .option('--expect-version <n>', EXPECT_VERSION_HELP, wholeNumber(1))
      .action((id: string, o: RemoteOptions & { tenant: string; expectVersion?: number }) =>
        runRemote(io, o, async (ctx) => {
          const { body } = await ctx.client.call<KeyWithSecret | Key>(
            'POST',
            `${base(o.tenant)}/${segment(id)}/${verb}`,
            {
              ifMatch: await ifMatchFor(o.expectVersion, async () => (await read(ctx, o.tenant, id)).version),
              options: OPTIONS,
            },
          );
          ctx.emit(body, () =>
            'secret' in body
              ? [...secretLines(body, 'Rotated key'), 'The old secret stopped working.']
              : [`revoked key ${body.id} (${body.name}): it stops working for good.`],
          );
        }),
      );

  return new Command('keys')
    .description("list, show, create, change, rotate and revoke a tenant's API keys")
    .addHelpText('after', EXAMPLES)
    .addCommand(list)
    .addCommand(get)
    .addCommand(create)
    .addCommand(update)
    .addCommand(action('rotate', 'give a key a new secret (printed once); the old one stops working at once'))
    .addCommand(action('revoke', 'revoke a key for good'));
}

function restrictions(k: Key): string {
  const on = [k.ipRestrictionEnabled ? 'ip' : undefined, k.domainRestrictionEnabled ? 'domain' : undefined];
  return on.filter((x) => x !== undefined).join('+') || 'none';
}

function keyTable(keys: readonly Key[]): string[] {
  return table(keys, [
    { heading: 'ID', cell: (k) => k.id },
    { heading: 'NAME', cell: (k) => k.name },
    { heading: 'PREFIX', cell: (k) => k.prefix },
    { heading: 'STATUS', cell: (k) => k.status },
    { heading: 'OWN RULES', cell: restrictions },
    { heading: 'ROTATED', cell: (k) => when(k.rotatedAt) },
    { heading: 'VERSION', cell: (k) => k.version },
  ]);
}

function keyFields(k: Key): string[] {
  return fields([
    ['id', k.id],
    ['tenant', k.tenantId],
    ['name', k.name],
    ['prefix', k.prefix],
    ['status', k.status],
    ['ip restriction', k.ipRestrictionEnabled ? 'on' : 'off'],
    ['domain restriction', k.domainRestrictionEnabled ? 'on' : 'off'],
    ['version', k.version],
    ['created', k.createdAt],
    ['rotated', when(k.rotatedAt)],
    ['revoked', when(k.revokedAt)],
  ]);
}
