import { AUTH_HEADERS } from '@ipgate/server/vocabulary';
import { Command, Option } from 'commander';
import type { CommandIo } from '../output.js';
import { UsageError } from '../usage-error.js';
import { segment } from './admin-client.js';
import { type Collection, deleteCommand, getCommand, listCommand, readItem } from './collection-commands.js';
import { defined } from './defined.js';
import { wholeNumber } from './option-parsers.js';
import { type RemoteContext, type RemoteOptions, remoteCommand, runRemote } from './remote-command.js';
import { fields, table, yesNo } from './table.js';
import { EXPECT_VERSION_HELP, ifMatchFor } from './versioned-write.js';
import type { Api } from './wire.js';

const EXAMPLES = `
Examples:
  $ ipgate apis create orders --upstream http://10.0.0.5:8080 --path-prefix /orders --strip-prefix
  $ ipgate apis update api_… --host api.example.com --key-header x-api-key
  $ ipgate apis list --json

APIs are what the gateway protects; they need a token for all tenants. An API's network allowlist:
ipgate entries list --api <apiId>.`;

const OPTIONS: Record<string, string> = {
  name: '--name',
  host: '--host',
  pathPrefix: '--path-prefix',
  stripPrefix: '--strip-prefix',
  upstreamUrl: '--upstream',
  authHeader: '--key-header',
  version: '--expect-version',
};

interface ApiOptions {
  readonly upstream?: string;
  readonly host?: string;
  readonly anyHost?: boolean;
  readonly pathPrefix?: string;
  readonly stripPrefix?: boolean;
  readonly keyHeader?: string;
}

/**
 * `ipgate apis list|get|create|update|delete` against a running server.
 *
 * @example program.addCommand(apisCommand(processIo()));
 */
export function apisCommand(io: CommandIo): Command {
  const withSettings = (command: Command): Command =>
    command
      .option('--host <host>', 'answer only requests for this Host')
      .option('--path-prefix <path>', 'the path the API is served under, e.g. /orders')
      .option('--strip-prefix', 'remove the path prefix before forwarding')
      .option('--no-strip-prefix', 'forward the path as it came')
      .addOption(
        new Option('--key-header <header>', 'the header that carries the key').choices(AUTH_HEADERS),
      );

  const list = listCommand(io, APIS, 'list APIs');
  const get = getCommand(io, APIS, 'show an API');

  const create = withSettings(remoteCommand('create', 'create an API'))
    .argument('<name>')
    .requiredOption('--upstream <url>', 'the http(s) URL requests are forwarded to')
    .action((name: string, o: RemoteOptions & ApiOptions) =>
      runRemote(io, o, async (ctx) => {
        const { body } = await ctx.client.call<Api>('POST', '/v1/apis', {
          body: { name, upstreamUrl: o.upstream, ...settings(o) },
          options: { ...OPTIONS, name: '<name>' },
        });
        ctx.emit(body, () => [`created API ${body.id}`, ...apiFields(body)]);
      }),
    );

  const update = withSettings(remoteCommand('update', "change an API's name, routing or upstream"))
    .argument('<apiId>')
    .option('--name <name>', 'the new name')
    .option('--upstream <url>', 'the http(s) URL requests are forwarded to')
    .option('--any-host', 'answer requests for any Host (clears --host)')
    .option('--expect-version <n>', EXPECT_VERSION_HELP, wholeNumber(1))
    .action((id: string, o: RemoteOptions & ApiOptions & { name?: string; expectVersion?: number }) =>
      runRemote(io, o, async (ctx) => {
        if (o.anyHost === true && o.host !== undefined)
          throw new UsageError('give --host or --any-host, not both.');
        const patch = { ...defined({ name: o.name, upstreamUrl: o.upstream }), ...settings(o) };
        if (Object.keys(patch).length === 0) {
          throw new UsageError(
            'nothing to change: give --name, --upstream, --host, --path-prefix, … (see --help).',
          );
        }
        const { body } = await ctx.client.call<Api>('PATCH', `/v1/apis/${segment(id)}`, {
          body: patch,
          ifMatch: await ifMatchFor(o.expectVersion, async () => (await readApi(ctx, id)).version),
          options: OPTIONS,
        });
        ctx.emit(body, () => [`updated API ${body.id}`, ...apiFields(body)]);
      }),
    );

  const remove = deleteCommand(
    io,
    APIS,
    'delete an API and its allowlist',
    (api) => `deleted API ${api.id} (${api.name}) and its allowlist`,
  );

  return new Command('apis')
    .description('list, show, create, change and delete the APIs the gateway protects')
    .addHelpText('after', EXAMPLES)
    .addCommand(list)
    .addCommand(get)
    .addCommand(create)
    .addCommand(update)
    .addCommand(remove);
}

const APIS: Collection<Api> = {
  path: '/v1/apis',
  none: 'no APIs',
  idArgument: '<apiId>',
  options: OPTIONS,
  table: (apis) => apiTable(apis),
  fields: (api) => apiFields(api),
};

function settings(o: ApiOptions): Record<string, unknown> {
  return defined({
    host: o.anyHost === true ? null : o.host,
    pathPrefix: o.pathPrefix,
    stripPrefix: o.stripPrefix,
    authHeader: o.keyHeader,
  });
}

function readApi(ctx: RemoteContext, id: string): Promise<Api> {
  return readItem(ctx, APIS, id);
}

function apiTable(apis: readonly Api[]): string[] {
  return table(apis, [
    { heading: 'ID', cell: (a) => a.id },
    { heading: 'NAME', cell: (a) => a.name },
    { heading: 'HOST', cell: (a) => a.host ?? '*' },
    { heading: 'PATH PREFIX', cell: (a) => a.pathPrefix },
    { heading: 'STRIP', cell: (a) => yesNo(a.stripPrefix) },
    { heading: 'KEY HEADER', cell: (a) => a.authHeader },
    { heading: 'UPSTREAM', cell: (a) => a.upstreamUrl },
    { heading: 'VERSION', cell: (a) => a.version },
  ]);
}

function apiFields(a: Api): string[] {
  return fields([
    ['id', a.id],
    ['name', a.name],
    ['host', a.host ?? '* (any)'],
    ['path prefix', a.pathPrefix],
    ['strip prefix', yesNo(a.stripPrefix)],
    ['key header', a.authHeader],
    ['upstream', a.upstreamUrl],
    ['version', a.version],
    ['created', a.createdAt],
    ['updated', a.updatedAt],
  ]);
}
