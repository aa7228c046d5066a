import { loadSettings, type ServeSettings, settingSpecs } from '@ipgate/server/settings';
import { Command, Option } from 'commander';
import { type CommandIo, flushAll } from './output.js';
import { UsageError } from './usage-error.js';

/** The settings that say where the store is; the rest of `serve`'s settings do not matter here. */
const STORE_SETTINGS: readonly (keyof ServeSettings)[] = ['dataDir', 'databaseUrl'];

const EXAMPLES = `
Examples:
  $ ipgate admin-token create --owner                          # the SQLite store in ./ipgate-data
  $ ipgate admin-token create --owner --data-dir /var/lib/ipgate
  $ DATABASE_URL=postgres://ipgate@db/ipgate ipgate admin-token create --owner --name 'break-glass 2025-06'

For when every admin token is lost (or the first start's token was never seen): whoever can reach the
data directory or the database can make a new owner token, whether ipgate serve is running or not;
the management API accepts it at once. The store is found as ipgate serve finds it (the same flags,
environment variables and --config file). The secret is printed once; only its hash is stored.
Other tokens (viewer, editor, one tenant) are made through the management API: POST /v1/tokens.`;

/**
 * `ipgate admin-token create --owner`: a new owner token written straight into the store.
 *
 * @example adminTokenCommand(processIo()) // added to the program with program.addCommand(…)
 */
export function adminTokenCommand(io: CommandIo): Command {
  const create = new Command('create')
    .description('make a new owner admin token straight in the data directory or database')
    .option('--owner', 'an owner token for every tenant (the one kind this command makes)')
    .option('--name <name>', 'the token\'s name [default: "owner (ipgate admin-token create, <time>)"]');
  const keyOf = new Map<string, keyof ServeSettings>();
  for (const spec of settingSpecs.filter((s) => STORE_SETTINGS.includes(s.key))) {
    const option = new Option(
      spec.flag,
      `${spec.description} [${spec.env.join(' or ')}; default ${spec.defaultText}]`,
    );
    keyOf.set(option.attributeName(), spec.key);
    create.addOption(option);
  }
  create
    .option('--config <file>', 'JSON file of settings, as for ipgate serve [IPGATE_CONFIG]')
    .addHelpText('after', EXAMPLES)
    .action(async (options: Record<string, string | boolean | undefined>) => {
      if (options['owner'] !== true) {
        throw new UsageError(
          'say --owner: this command makes owner tokens only (ipgate admin-token create --owner). ' +
            'Viewer, editor and one-tenant tokens are made through the management API: POST /v1/tokens.',
        );
      }
      const flags: Partial<Record<keyof ServeSettings, string | boolean | undefined>> = {};
      for (const [attribute, key] of keyOf) flags[key] = options[attribute];
      const configFile = (options['config'] as string | undefined) ?? process.env['IPGATE_CONFIG'];
      const settings = loadSettings({ flags, env: process.env, configFile });
      // Loaded only when run, as for serve: the other commands start without the server's modules.
      const { createOwnerToken, describeStore, openStore } = await import('@ipgate/server/store-access');
      const store = await openStore(settings);
      let token: Awaited<ReturnType<typeof createOwnerToken>>;
      try {
        token = await createOwnerToken(store, { name: options['name'] as string | undefined });
      } finally {
        await store.close();
      }
      io.out.line(
        `New owner admin token for ${describeStore(settings)} (shown this once; only its hash is stored — keep it):`,
      );
      io.out.line(`  ${token.secret}`);
      io.out.line(`  name "${token.name}", id ${token.id}`);
      if (token.first) {
        io.err.line(
          'note: this store had no admin tokens before, so ipgate serve will print none; if you expected ' +
            'an existing store, check --data-dir or --database-url.',
        );
      }
      await flushAll(io);
    });
  return new Command('admin-token')
    .description('make an admin token without the management API (when every token is lost)')
    .addCommand(create);
}
